package io.github.vit4j.cli;

import io.github.vit4j.embed.EmbeddingRun;
import io.github.vit4j.embed.EmbeddingWriter;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Embedding;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.spark.EmbedJob;
import io.github.vit4j.spark.ParquetEmbeddings;
import io.github.vit4j.spark.SparkEmbeddings;
import io.github.vit4j.spark.SparkTraceRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit embed}: every image's embedding into one .npy or Parquet file, resumable, with or without Spark. */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed the first N images: one vector per image, what image search and clustering are built "
                + "on. --pooled: the model's pooled vector (CLIP's post-LayerNorm CLS, DINOv2's CLS, SigLIP's "
                + "attention pooling; for the original ViT/DeiT the CLS row of ln_final); --projected: image_embeds "
                + "(CLIP's projection); by default projected where the model has a projection, else pooled.",
            "FILE.npy: float32 [N, E] (np.load) and FILE.index.csv (index,name,label) beside it. FILE.parquet: one "
                    + "row per image, columns index, name, label (where the images have labels) and embedding "
                    + "(list<float>); written with parquet-java, which ./vit adds from Spark's jars.",
            "Resumable: the rows go to FILE.partial/ batch by batch; re-running the same command after a kill "
                    + "continues where it stopped, and gives the same bytes; other arguments are refused, naming "
                    + "what differs. The file is put in place whole once every image is done.",
            "With --spark MASTER the batches are computed as Spark jobs (vit-spark), bit-identical to a run "
                    + "without Spark; it resumes the same way, from either."},
        footer = {"", "Examples:", "  vit embed --limit 500 --out emb.npy",
            "  vit embed --images photos --normalize --out photos.parquet",
            "  vit embed --spark 'local[4]' --out emb.npy"})
final class EmbedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--out", paramLabel = "FILE", required = true,
            description = "The output: FILE.npy (with FILE.index.csv) or FILE.parquet.")
    Path out;

    @Option(names = "--pooled", description = "The pooled vector (for the original ViT/DeiT: the CLS row of "
            + "ln_final).")
    boolean pooled;

    @Option(names = "--projected", description = "The projected vector image_embeds (models with a projection).")
    boolean projected;

    @Option(names = "--normalize", description = "L2-normalised rows (unit length; for cosine similarity).")
    boolean normalize;

    @Option(names = "--limit", paramLabel = "N", description = "The first N images (default: all).")
    Integer limit;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Images per forward; a resumed run must use the same (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = {"Compute the batches as Apache Spark jobs at MASTER (local[2]: two task threads in this "
                    + "JVM; spark://HOST:7077, yarn: a cluster); the model and images at paths every executor reads. "
                    + "Spark is not in vit.jar: the ./vit launcher adds it. Not with --mapping. Spark settings: "
                    + "-Dspark.KEY=VALUE in VIT4J_JAVA_OPTS."})
    String spark;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
            description = "With --spark: partitions of whole batches (default: ${DEFAULT-VALUE}, one per core, at "
                    + "most one per batch).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImagesOption.positive("--batch", batch);
        EmbeddingWriter writer = writer();
        if (pooled && projected) {
            throw new IllegalArgumentException("--pooled and --projected name two vectors; give one (or neither: "
                    + "projected where the model has a projection, else pooled)");
        }
        if (spark != null) {
            sparkChecks();
        }
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        Embedding kind = kind(vit.config());
        EmbeddingRun.Options options = new EmbeddingRun.Options(kind, normalize, batch, n);
        EmbeddingRun run = new EmbeddingRun(vit, pretrained.preprocessing(), source, options);
        SparkEmbeddings onSpark = spark == null ? null
                : SparkEmbeddings.at(spark, new EmbedJob(model.location(), kind, normalize, batch), images.spec(),
                partitions);
        long[] clock = new long[2];                   // when the first and the last batch were done
        EmbeddingRun.Result result;
        try (Progress progress = Progress.start("embed", n, err)) {
            IntConsumer done = count -> {
                clock[clock[0] == 0 ? 0 : 1] = System.nanoTime();
                progress.update(count);
            };
            result = onSpark == null ? run.run(out, writer, done) : run.run(out, writer, onSpark, done);
        }
        int fresh = result.images() - result.resumed();
        double seconds = clock[1] == 0 ? 0 : (clock[1] - clock[0]) / 1e9;
        String where = onSpark == null ? "" : String.format(Locale.ROOT, " on Spark (%s, %s)", spark,
                TerminalText.count(onSpark.partitions(), "partition"));
        text.printf(Locale.ROOT, "%s%s embedded%s (%s, %d values each%s) in %.1f s: %.1f images/s; wrote %s%s%n",
                result.resumed() > 0 ? TerminalText.count(result.resumed(), "image") + " resumed from an earlier "
                        + "run, " : "", TerminalText.count(fresh, "image"), where, kind.label(), result.width(),
                normalize ? ", L2-normalised" : "", seconds, seconds > 0 ? fresh / seconds : 0.0, out,
                String.valueOf(out.getFileName()).toLowerCase(Locale.ROOT).endsWith(".parquet") ? ""
                        : " and " + EmbeddingWriter.indexOf(out));
        text.flush();
        return 0;
    }

    /** The writer the output's extension names. */
    private EmbeddingWriter writer() {
        String name = String.valueOf(out.getFileName()).toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            return EmbeddingWriter.npy();
        }
        if (name.endsWith(".parquet")) {
            Optional<String> missing = ParquetEmbeddings.missing();
            if (missing.isPresent()) {
                throw new IllegalStateException("--out " + out + ": " + missing.get() + ". vit.jar does not bundle "
                        + "them (they come with Spark's jars): build with ./mvnw -q -B package -DskipTests, which "
                        + "writes vit-cli/target/spark.classpath, and run ./vit, which adds it for a .parquet output; "
                        + "or write FILE.npy");
            }
            return ParquetEmbeddings.of();
        }
        throw new IllegalArgumentException("--out " + out + " ends in neither .npy nor .parquet; give FILE.npy "
                + "(float32 [N, E] with FILE.index.csv) or FILE.parquet");
    }

    private Embedding kind(VitConfig config) throws IOException {
        if (projected && !config.hasSite(Site.Kind.IMAGE_EMBEDS)) {
            throw new IllegalArgumentException("--projected: the model " + model.shortName()
                    + " has no projection (image_embeds), its architecture is " + config.architecture()
                    + "; use --pooled (or neither)");
        }
        return projected ? Embedding.PROJECTED : pooled ? Embedding.POOLED : Embedding.defaultFor(config);
    }

    private void sparkChecks() {
        if (model.mapping != null) {
            throw new IllegalArgumentException("--spark loads the model on every executor, which --mapping "
                    + model.mapping + " is not given to: convert the model to a .vit file first (vit convert "
                    + "--mapping), or run without --spark");
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: one per core), got " + partitions);
        }
        Optional<String> missing = SparkTraceRun.missing();
        if (missing.isPresent()) {
            throw new IllegalStateException("--spark " + spark + ": " + missing.get() + ". vit.jar does not bundle "
                    + "Spark (its jars are about 280 MB): build with ./mvnw -q -B package -DskipTests, which writes "
                    + "vit-cli/target/spark.classpath (Spark's jars) and spark-jvm.options (its Java 17 flags), and "
                    + "run ./vit, which adds both when --spark is given");
        }
    }
}
