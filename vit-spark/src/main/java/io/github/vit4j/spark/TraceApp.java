package io.github.vit4j.spark;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.report.Heatmaps;
import io.github.vit4j.report.SummaryJson;
import io.github.vit4j.report.TraceInfo;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceFolder;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The job's main class for {@code spark-submit}: {@code vit trace}'s options, {@code --partitions} and
 * {@code --out}; {@code --images} is {@code cifar10:PATH}, a folder of images or {@code parquet:PATH}
 * ({@link ImageTable#read}). Writes {@code OUT/trace.parquet} (the rows, {@link TraceTable#SCHEMA}),
 * {@code OUT/trace.csv} ({@code vit trace}'s file: sorted by image, kind and layer) and {@code OUT/summary.csv} (mean
 * and 95% CI per cell, from Spark SQL). The master and executors are spark-submit's.
 */
public final class TraceApp {

    private static final Map<String, String> DEFAULTS = defaults();

    private TraceApp() {
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("--model", null);
        d.put("--images", null);
        d.put("--out", null);
        d.put("--limit", "100");
        d.put("--corruption", "grayscale");
        d.put("--window", "3");
        d.put("--kinds", "resid,attn,mlp");
        d.put("--tokens", "all");
        d.put("--metric", "prob");
        d.put("--method", "exact");
        d.put("--label", "true");
        d.put("--seed", "0");
        d.put("--batch", "16");
        d.put("--partitions", "0");
        return d;
    }

    public static void main(String[] args) throws IOException {
        SparkSession spark = SparkSession.builder().appName("vit4j trace").getOrCreate();
        try {
            System.out.println(run(spark, args));
        } finally {
            spark.stop();
        }
    }

    /**
     * Runs the trace {@code args} describe in {@code spark}'s application, holding the folder's lock
     * ({@link TraceFolder#lockToRewrite}) until its reports are written.
     *
     * @return what was written, in a sentence
     * @throws IllegalArgumentException naming a bad, unknown or missing option
     */
    static String run(SparkSession spark, String[] args) throws IOException {
        Map<String, String> a = parse(args);
        CausalTrace.Spec spec = new CausalTrace.Spec(Arrays.stream(a.get("--kinds").split(",")).map(SweepKind::parse)
                .distinct().toList(), Integer.parseInt(a.get("--window")), Tokens.parse(a.get("--tokens")),
                Metric.parse(a.get("--metric")));
        TraceJob job = new TraceJob(a.get("--model"), Corruption.parse(a.get("--corruption")), spec,
                TraceMethod.parse(a.get("--method")), DatasetTrace.Target.parse(a.get("--label")),
                Long.parseLong(a.get("--seed")), Integer.parseInt(a.get("--batch")));
        Path out = Path.of(a.get("--out"));
        try (TraceFolder folder = TraceFolder.lockToRewrite(out)) {    // held until the last report is written
            SparkTraceRun.Written w = write(spark, job, a.get("--images"), Integer.parseInt(a.get("--limit")),
                    Integer.parseInt(a.get("--partitions")), out);
            // the reports vit trace writes, from the Spark SQL summary
            TraceSummary summary = w.summary();
            String corruption = w.corruption().describe();
            Map<String, Object> arguments = new LinkedHashMap<>();
            a.forEach((option, value) -> arguments.put(option.substring(2), value));
            arguments.put("images_traced", summary.images());
            summary.writeCsv(out.resolve("summary.csv"));
            SummaryJson.write(out.resolve("summary.json"), arguments, w.config(), corruption, summary);
            TraceInfo info = new TraceInfo(job.model(), corruption, summary.images(), spec.window(),
                    spec.tokens().toString(), spec.metric(), job.target().label(), job.method());
            Heatmaps.kindsByLayers(summary, info).write(out, "heatmap");
            return String.format(Locale.ROOT, "traced %d images in %d partitions; wrote %s: trace.parquet, "
                    + "trace.csv, summary.csv, summary.json, heatmap.png, heatmap.svg", summary.images(),
                    w.partitions(), out);
        }
    }

    /**
     * {@link SparkTraceRun#run}'s work in a Spark application of its own at {@code master}, stopped at the end: the
     * application's settings are Spark's defaults and {@code spark.*} system properties, with the web UI and console
     * progress bars off unless those properties turn them on, and, for a local master, the driver at 127.0.0.1.
     */
    static SparkTraceRun.Written runAt(String master, TraceJob job, String images, int limit, int partitions,
                                       Path out) throws IOException {
        SparkSession spark = session(master, "vit4j trace");
        try {
            return write(spark, job, images, limit, partitions, out);
        } finally {
            spark.stop();
        }
    }

    /**
     * A Spark application of its own at {@code master}, for a program that is not a Spark application itself: its
     * settings are Spark's defaults and {@code spark.*} system properties, with the web UI and console progress bars
     * off unless those properties turn them on, and, for a local master, the driver at 127.0.0.1. Stop it after use.
     */
    static SparkSession session(String master, String appName) {
        SparkSession.Builder builder = SparkSession.builder().master(master).appName(appName);
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("spark.ui.enabled", "false");
        defaults.put("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local")) {
            defaults.put("spark.driver.host", "127.0.0.1");
        }
        defaults.forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                builder.config(key, value);
            }
        });
        return builder.getOrCreate();
    }

    /**
     * Traces the first {@code limit} images of {@code images} in {@code spark}'s application and writes (under
     * {@code out}'s lock, which the caller holds)
     * {@code out/trace.parquet} and {@code out/trace.csv} (sorted by image, kind and layer); the summary it returns
     * is Spark SQL's over the Parquet table as written, for the caller's reports.
     *
     * @param partitions how many partitions; 0 for one per core, at most one per batch
     */
    static SparkTraceRun.Written write(SparkSession spark, TraceJob job, String images, int limit, int partitions,
                                         Path out) throws IOException {
        VitConfig config = ExecutorModels.get(job.model()).vit().config();   // on the driver: a bad model fails here
        if (images.startsWith(ImageSource.CIFAR10_PREFIX)
                && job.target() == DatasetTrace.Target.TRUE_LABEL
                && config.classes() != Cifar10.CLASSES) {
            throw new IllegalArgumentException("the labels of " + images + " are CIFAR-10's " + Cifar10.CLASSES
                    + " classes but the model " + job.model() + " has " + config.classes() + ", so they cannot be "
                    + "scored against its predictions; trace with --label clean-top1 (the clean run's top class)");
        }
        Files.createDirectories(out);
        if (partitions <= 0) {                                  // one task per core and batch, at most
            partitions = Math.max(1, Math.min(spark.sparkContext().defaultParallelism(),
                    (limit + job.batch() - 1) / job.batch()));
        }
        Dataset<Row> source = ImageTable.read(spark, images, SparkTrace.of(job).imagesRead(limit));
        TraceJob calibrated = SparkTrace.of(job).calibrate(source);        // once, here; trace() keeps it as it is
        Dataset<Row> rows = SparkTrace.of(calibrated).trace(source, images, limit, partitions);
        String parquet = out.resolve("trace.parquet").toString();
        rows.write().mode("overwrite").parquet(parquet);
        Dataset<Row> table = spark.read().parquet(parquet);
        TraceRow.write(out.resolve("trace.csv"), TraceTable.traceRows(table, job.sweepKinds()));
        TraceSummary summary = SparkTrace.summary(table, job.sweepKinds(), config.layers(), job.method());
        return new SparkTraceRun.Written(summary, calibrated.corruption(), config, partitions);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> a = new LinkedHashMap<>(DEFAULTS);
        for (int i = 0; i < args.length; i += 2) {
            if (!DEFAULTS.containsKey(args[i]) || i + 1 == args.length) {
                throw new IllegalArgumentException("unknown option or option without a value: '" + args[i]
                        + "' in " + Arrays.toString(args) + "; expected --option value pairs of " + DEFAULTS.keySet());
            }
            a.put(args[i], args[i + 1]);
        }
        for (Map.Entry<String, String> e : a.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("missing " + e.getKey() + "; a Spark trace needs --model, --images "
                        + "(cifar10:PATH, a folder of images or parquet:PATH) and --out DIR, each a path every "
                        + "executor (and the driver, for --out) reads");
            }
        }
        return a;
    }
}
