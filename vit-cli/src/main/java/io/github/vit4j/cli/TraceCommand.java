package io.github.vit4j.cli;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.report.Heatmaps;
import io.github.vit4j.report.ImageHeatmaps;
import io.github.vit4j.report.SummaryJson;
import io.github.vit4j.report.TraceInfo;
import io.github.vit4j.report.SummaryTable;
import io.github.vit4j.spark.SparkTraceRun;
import io.github.vit4j.spark.TraceJob;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.ImageRuns;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.EstimateCheck;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit trace}: causal tracing over a dataset, with its summary, heatmaps and table. */
@Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Causal tracing (Meng et al., ROME) over the first N images: corrupt each image, then restore "
                + "one kind of site (resid = resid_post, attn = attn_out, mlp = mlp_out) from the clean run over a "
                + "window of layers around each layer, and measure how much of p(y) comes back.",
            "Writes to --out: trace.csv (one row per image, kind and layer; resumable: re-running the same command "
                    + "continues where it stopped), summary.json (arguments, model config, per-layer mean and 95%% CI "
                    + "per kind) and summary.csv (kind,layer,mean,ci95,count), heatmap.png and heatmap.svg (kinds "
                    + "× layers of the mean effect), images/ with one "
                    + "heatmap per image on request, and token_sweep.{png,svg,csv} with --token-sweep; prints a "
                    + "table of mean ± 95%% CI.",
            "With --method atp or atp-ig the cells are estimates (attribution patching: one backward pass at the "
                    + "corrupted run instead of one patched run per cell; first order, so not the exact IE); "
                    + "--verify-top N patches the N largest exactly and writes verify.csv.",
            "With --spark MASTER the trace runs as an Apache Spark job (vit-spark) and also writes trace.parquet; "
                    + "trace.csv is the same, and summary.json the same up to the last digits (Spark SQL adds in "
                    + "another order).",
            "With no arguments: the CIFAR-10 model of ../shared on its first 100 test images, grayscale."},
        footer = {"", "Examples:", "  vit trace", "  vit trace --limit 200 --corruption noise:3 --out noise-trace",
            "  vit trace --limit 20 --kinds resid --token-sweep 10 --per-image-heatmaps",
            "  vit trace --method atp --limit 1017 --verify-top 3 --out atp-trace",
            "  vit trace --spark 'local[2]' --limit 64 --out spark-trace"})
final class TraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Mixin
    RunsOptions runs;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Trace the first N images (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--window", paramLabel = "W", defaultValue = "3",
            description = "Layers restored around each layer, ROME's window (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--kinds", paramLabel = "K", split = ",", defaultValue = "resid,attn,mlp",
            description = "Kinds of site restored, comma-separated: resid, attn, mlp (default: ${DEFAULT-VALUE}).")
    List<String> kinds;

    @Option(names = "--tokens", paramLabel = "T", defaultValue = "all",
            description = "Tokens restored at each patched site: all | cls | patches | registers | distillation, "
                    + "where the model has them: vit inspect shows its tokens (default: ${DEFAULT-VALUE}).")
    String tokens;

    /** The metric traced: --metric, else the model's default (set once the model is loaded). */
    private Metric metricUsed;

    @Option(names = "--method", paramLabel = "M", defaultValue = "exact",
            description = {"exact: one patched run per cell | atp: attribution patching, every cell estimated as "
                    + "(clean − corrupt) · ∂metric/∂site from one backward at the corrupted run | atp-ig[:K]: the "
                    + "same with the gradient averaged over K points between the corrupted and the clean input "
                    + "(atp-ig alone: K = 4) (default: ${DEFAULT-VALUE})."})
    String method;

    @Option(names = "--verify-top", paramLabel = "N", defaultValue = "0",
            description = {"With an estimated --method: for each image, patch exactly the N cells with the largest "
                    + "|estimate|, write verify.csv (image,kind,layer,estimate,exact) and print their per-kind "
                    + "agreement (default: ${DEFAULT-VALUE}, none)."})
    int verifyTop;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "trace-out",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--per-image-heatmaps",
            description = "Also write DIR/images/image_NNNN.png and .svg, one kinds × layers heatmap per image.")
    boolean perImageHeatmaps;

    @Option(names = "--token-sweep", paramLabel = "N", defaultValue = "0",
            description = {"Also sweep patch positions on the first N images: at each layer restore resid at one "
                    + "patch token at a time (same window and metric); writes token_sweep.csv "
                    + "(image,layer,cell,row,col,ie) and token_sweep.png/.svg, the layer × grid map averaged over "
                    + "the N images (default: ${DEFAULT-VALUE}, none)."})
    int tokenSweep;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = {"Run the trace as an Apache Spark job at MASTER (local[2]: two task threads in this JVM; "
                    + "spark://HOST:7077, yarn: a cluster) and also write trace.parquet; the rows, summary and "
                    + "heatmaps are those of the trace without Spark. Spark is not in vit.jar: the ./vit launcher "
                    + "adds it. Not with --token-sweep, --verify-top or --mapping; a Spark trace does not resume, it "
                    + "writes its files anew (Spark retries failed tasks), holding the folder's lock as a trace without Spark does, "
                    + "and refuses a folder holding such a trace. Spark settings: -Dspark.KEY=VALUE in "
                    + "VIT4J_JAVA_OPTS."})
    String spark;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
            description = "With --spark: partitions of whole batches (default: ${DEFAULT-VALUE}, one per core, at "
                    + "most one per batch).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        PrintWriter outText = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every argument is parsed here, once, and checked before the model is loaded, so a typo fails at once.
        Corruption corruptionSpec = runs.parsedCorruption();
        List<SweepKind> sweepKinds = kinds.stream().map(SweepKind::parse)
                .distinct().toList();
        Tokens tokenChoice = Tokens.parse(tokens);
        Metric metricChoice = runs.givenMetric().orElse(Metric.PROB);
        TraceMethod methodChoice = TraceMethod.parse(method);
        DatasetTrace.Target target = runs.target();
        CausalTrace.Spec traceSpec = new CausalTrace.Spec(sweepKinds, window, tokenChoice, metricChoice);
        metricUsed = metricChoice;
        ImagesOption.positive("--limit", limit);
        int batch = runs.checkedBatch();
        if (tokenSweep < 0) {
            throw new IllegalArgumentException("--token-sweep must be >= 0, got " + tokenSweep);
        }
        if (verifyTop < 0) {
            throw new IllegalArgumentException("--verify-top must be >= 0, got " + verifyTop);
        }
        if (verifyTop > 0 && !methodChoice.estimated()) {
            throw new IllegalArgumentException("--verify-top " + verifyTop + " checks an estimate against exact "
                    + "patching; use it with --method atp or atp-ig (the exact trace needs no check)");
        }
        if (spark != null) {
            return traceOnSpark(new TraceJob(model.location(), corruptionSpec, traceSpec, methodChoice, target,
                    runs.seed, batch), outText, err);
        }

        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig config = vit.config();
        traceSpec = traceSpec.withMetric(runs.metricFor(config));
        metricUsed = traceSpec.metric();
        ImageSource source = images.open();
        int n = Math.min(limit, source.size());
        if (target == DatasetTrace.Target.TRUE_LABEL) {
            source.checkLabelsFit(config.classes(), "trace with --label clean-top1 (the clean run's top class)");
        }
        if (target == DatasetTrace.Target.TRUE_LABEL
                && source.read(0, 1, pretrained.preprocessing()).label(0).isEmpty()) {
            throw new IllegalArgumentException(images.spec() + " has no labels; trace with --label clean-top1");
        }
        DatasetTrace.Options options = new DatasetTrace.Options(corruptionSpec, traceSpec, methodChoice, target,
                runs.seed, batch, n);
        DatasetTrace trace = new DatasetTrace(vit, pretrained.preprocessing(), source, options);

        // One lock on the folder covers the trace and every report written from it.
        long t0 = System.nanoTime();
        try (Progress progress = Progress.start("trace", n, err)) {
            trace.run(out, progress::update, result -> {
                progress.close();
                report(new Job(vit, pretrained, source, options, n), result, (System.nanoTime() - t0) / 1e9,
                        outText, err);
            });
        }
        return 0;
    }

    /** What was traced. */
    private record Job(Vit vit, Pretrained pretrained, ImageSource source, DatasetTrace.Options options, int n) {
    }

    /**
     * Writes the summary, heatmaps, token sweep and verification of a finished trace into its folder (whose lock the
     * trace still holds), then prints its table.
     */
    private void report(Job job, DatasetTrace.Result result, double seconds, PrintWriter outText, PrintWriter err)
            throws IOException {
        DatasetTrace.Options options = job.options();
        CausalTrace.Spec traceSpec = options.spec();
        VitConfig config = job.vit().config();
        String corruptionText = result.corruption().describe();
        TraceInfo info = new TraceInfo(model.shortName(), corruptionText, result.summary().images(), window,
                traceSpec.tokens().toString(), traceSpec.metric(), options.target().label(), options.method());

        List<String> written = new ArrayList<>(List.of("trace.csv"));
        written.addAll(summaryFiles(config, corruptionText, result.summary(), info));
        ImageRuns imageRuns = new ImageRuns(job.vit(), job.pretrained().preprocessing(), job.source(),
                result.corruption(), options.target(), runs.seed, runs.batch);
        if (tokenSweep > 0) {
            int m = Math.min(tokenSweep, job.n());
            TokenSweepRun sweep = new TokenSweepRun(job.vit(), imageRuns);
            try (Progress progress = Progress.start("token sweep", m, err)) {
                sweep.run(m, window, traceSpec.metric(), info, out, progress::update);
            }
            written.addAll(List.of("token_sweep.csv", "token_sweep.png", "token_sweep.svg"));
        }
        List<EstimateCheck.Agreement> agreement = List.of();
        if (verifyTop > 0) {
            VerifyRun verify = new VerifyRun(new Patcher(job.vit()), imageRuns);
            try (Progress progress = Progress.start("verify", job.n(), err)) {
                agreement = verify.run(result.csv(), job.n(), traceSpec, verifyTop, out, progress::update);
            }
            written.add("verify.csv");
        }

        printTable(result.summary(), info, outText);
        if (!agreement.isEmpty()) {
            outText.printf(Locale.ROOT, "%s estimate vs exact patching, the %s per image with the largest "
                    + "|estimate|:%n", options.method().label(), TerminalText.count(verifyTop, "cell"));
            outText.print(EstimateCheck.table(agreement));
        }
        int fresh = job.n() - result.resumed();
        outText.printf(Locale.ROOT, "%s%s traced in %.1f s; wrote to %s: %s%n",
                result.resumed() > 0 ? TerminalText.count(result.resumed(), "image") + " resumed from an earlier run, "
                        : "", TerminalText.count(fresh, "image"), seconds, out, String.join(", ", written));
        outText.flush();
    }

    /**
     * {@code summary.json}, {@code summary.csv}, the heatmaps and, on request, the
     * per-image heatmaps of a trace whose rows are in {@code out/trace.csv}; the names of what was written.
     */
    private List<String> summaryFiles(VitConfig config, String corruptionText, TraceSummary summary, TraceInfo info)
            throws IOException {
        SummaryJson.write(out.resolve("summary.json"), arguments(summary.images()), config, corruptionText, summary);
        summary.writeCsv(out.resolve("summary.csv"));
        Heatmaps.kindsByLayers(summary, info).write(out, "heatmap");
        List<String> written = new ArrayList<>(List.of("summary.json", "summary.csv", "heatmap.png", "heatmap.svg"));
        if (perImageHeatmaps) {
            int files = ImageHeatmaps.write(out.resolve("trace.csv"), out.resolve("images"), info, config.labels(),
                    config.layers()).size();
            written.add("images/ (" + TerminalText.count(files, "heatmap") + ")");
        }
        return written;
    }

    private static void printTable(TraceSummary summary, TraceInfo info, PrintWriter outText) {
        outText.println(info.title()); // its model name is ModelOption.shortName(), escaped
        outText.println(info.settings());
        outText.print(SummaryTable.format(summary, info));
    }

    /**
     * The trace as a Spark job at {@link #spark} (vit-spark's {@link SparkTraceRun}): the rows, trace.csv and the
     * Parquet table from Spark, the summary from Spark SQL over the table, then the same reports as without Spark.
     */
    private int traceOnSpark(TraceJob job, PrintWriter outText, PrintWriter err) throws IOException {
        if (tokenSweep > 0 || verifyTop > 0 || model.mapping != null) {
            throw new IllegalArgumentException("--spark runs the trace itself as a Spark job; "
                    + (tokenSweep > 0 ? "--token-sweep " + tokenSweep : verifyTop > 0 ? "--verify-top " + verifyTop
                    : "--mapping " + model.mapping) + " is not run on Spark: run it without --spark"
                    + (model.mapping != null ? ", or convert the model to a .vit file first (vit convert --mapping)"
                    : " (on the trace's folder of a run without --spark)"));
        }
        if (!model.zeroShotClasses().isEmpty()) {
            throw new IllegalArgumentException("--spark loads the model on every executor from " + model.location()
                    + ", without the zero-shot classes of --classes / --classes-file: run the trace without --spark");
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: one per core), got " + partitions);
        }
        Optional<String> missing = SparkTraceRun.missing();
        if (missing.isPresent()) {
            throw new IllegalStateException("--spark " + spark + ": " + missing.get() + ". vit.jar does not bundle "
                    + "Spark (its jars are about 280 MB): build with ./mvnw -q -B package -DskipTests, which writes "
                    + "vit-cli/target/spark.classpath (Spark's jars) and spark-jvm.options (its Java 17 flags), and "
                    + "run ./vit, which adds both when --spark is given; or spark-submit vit-spark's job jar (see "
                    + "vit-spark/README.md)");
        }
        err.printf(Locale.ROOT, "trace: the first %d images as a Spark job at %s%n", limit, spark);
        err.flush();
        long t0 = System.nanoTime();
        List<String> written = new ArrayList<>(List.of("trace.parquet", "trace.csv"));
        double[] seconds = new double[1];
        SparkTraceRun.Written w = SparkTraceRun.run(spark, job, images.spec(), limit, partitions, out, traced -> {
            seconds[0] = (System.nanoTime() - t0) / 1e9;
            // the reports under the folder's lock, as without Spark
            written.addAll(summaryFiles(traced.config(), traced.corruption().describe(), traced.summary(),
                    sparkInfo(traced, job)));
        });
        TraceSummary summary = w.summary();
        TraceInfo info = sparkInfo(w, job);
        printTable(summary, info, outText);
        outText.printf(Locale.ROOT, "%s traced on Spark (%s, %s) in %.1f s; wrote to %s: %s%n",
                TerminalText.count(summary.images(), "image"), spark, TerminalText.count(w.partitions(), "partition"),
                seconds[0], out, String.join(", ", written));
        outText.flush();
        return 0;
    }

    /** What a Spark trace traced, for its reports. */
    private TraceInfo sparkInfo(SparkTraceRun.Written w, TraceJob job) throws IOException {
        CausalTrace.Spec s = job.spec();
        return new TraceInfo(model.shortName(), w.corruption().describe(), w.summary().images(), s.window(),
                s.tokens().toString(), s.metric(), job.target().label(), job.method());
    }

    /** The arguments as summary.json records them. */
    private Map<String, Object> arguments(int n) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("model", model.location());
        a.put("mapping", model.mapping == null ? null : model.mapping.toString());
        a.put("images", images.spec());
        a.put("limit", limit);
        a.put("images_traced", n);
        a.put("corruption", runs.corruption);
        a.put("window", window);
        a.put("kinds", kinds);
        a.put("tokens", tokens);
        a.put("metric", metricUsed == null ? runs.metric : metricUsed.label());
        a.put("method", method);
        a.put("verify_top", verifyTop);
        a.put("label", runs.label);
        a.put("seed", runs.seed);
        a.put("batch", runs.batch);
        a.put("out", out.toString());
        a.put("per_image_heatmaps", perImageHeatmaps);
        a.put("token_sweep", tokenSweep);
        a.put("spark", spark);
        return a;
    }
}
