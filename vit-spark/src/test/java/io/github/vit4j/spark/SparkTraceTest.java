package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark trace against {@code vit trace}'s library, {@link DatasetTrace#trace}, on the first 64 CIFAR-10 test
 * images of ../shared and its CIFAR-10 model, in local mode ({@link LocalSpark}: two task threads in this JVM, two
 * attempts per task). Noise is the corruption: it is calibrated (σ on the
 * first 64 clean runs) and random (seeded per image), the two ways a distributed trace could drift.
 */
class SparkTraceTest {

    private static final int IMAGES = 64;
    private static final int BATCH = 8;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static String model;
    private static Path cifar;
    private static TraceJob job;
    private static DatasetTrace.Traced single;

    @BeforeAll
    static void start() throws IOException {
        model = Fixtures.model();
        cifar = Fixtures.cifarFirst(dir, IMAGES);
        job = new TraceJob(model, Corruption.parse("noise:3"), Fixtures.spec(3, "resid", "attn", "mlp"),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 7, BATCH);
        single = Fixtures.vitTrace(ImageSource.cifar10(cifar), job, IMAGES);
        spark = LocalSpark.session();
    }

    @Test
    void rowsEqualVitTraceBitForBitWhateverTheNumberOfPartitions() throws IOException {
        for (int partitions : new int[] {1, 3, 7}) {                // 8 batches of 8 images
            Dataset<Row> traced = SparkTrace.of(job).trace(images(), "cifar", IMAGES, partitions);
            assertEquals(partitions, traced.rdd().getNumPartitions());
            assertEquals(single.rows(), sorted(traced), partitions + " partitions");
        }
        assertEquals(IMAGES * 3 * 4, single.rows().size());
    }

    @Test
    void attributionPatchingRowsEqualDatasetTracesAtpRowsBitForBitWhateverTheNumberOfPartitions() throws IOException {
        TraceJob atp = new TraceJob(model, Corruption.parse("noise:3"), Fixtures.spec(3, "resid", "attn", "mlp"),
                TraceMethod.atp(), DatasetTrace.Target.TRUE_LABEL, 7, BATCH);
        List<TraceRow> expected = Fixtures.vitTrace(ImageSource.cifar10(cifar), atp, 24).rows();
        for (int partitions : new int[] {1, 2, 3}) {                // 3 batches of 8 images
            List<TraceRow> rows = TraceTable.traceRows(SparkTrace.of(atp).trace(images(), "cifar", 24, partitions),
                    atp.sweepKinds());
            assertEquals(expected, rows, partitions + " partitions");
        }
        assertEquals(24 * 12, expected.size());
        assertTrue(expected.stream().allMatch(r -> r.method().equals(TraceMethod.atp())));
    }

    @Test
    void theCorruptionIsCalibratedOnceOnTheDriverAsVitTraceCalibratesIt() throws IOException {
        TraceJob calibrated = SparkTrace.of(job).calibrate(images());
        assertEquals(single.corruption(), calibrated.corruption());
        assertFalse(calibrated.corruption().needsCalibration());
    }

    @Test
    void aTraceOfTheFirstImagesEqualsVitTraceWithTheSameLimit() throws IOException {
        List<TraceRow> rows = sorted(SparkTrace.of(job).trace(images(), "cifar", 20, 3));
        assertEquals(single.rows().subList(0, 20 * 12), rows);    // calibrated on 64 images, as vit trace --limit 20
    }

    @Test
    void theParquetTableReadsBackAsTheSameRowsAndItsSparkSqlSummaryIsTraceSummary() throws IOException {
        String parquet = dir.resolve("trace.parquet").toString();
        SparkTrace.of(job).trace(images(), "cifar", IMAGES, 3).write().parquet(parquet);
        Dataset<Row> table = spark.read().parquet(parquet);
        assertEquals(single.rows(), sorted(table));
        assertEquals(IMAGES * 12, table.select("id").distinct().count() * 12);

        TraceSummary sql = SparkTrace.summary(table, job.sweepKinds(), 4, job.method());
        TraceSummary expected = single.summary();
        assertEquals(expected.images(), sql.images());
        assertEquals(expected.pClean(), sql.pClean(), 1e-12);
        assertEquals(expected.pCorrupt(), sql.pCorrupt(), 1e-12);
        for (SweepKind k : job.sweepKinds()) {
            assertTrue(Arrays.equals(expected.count().get(k), sql.count().get(k)), k.label());
            for (int l = 0; l < 4; l++) {                          // Spark adds in another order: 1e-12 absolute
                assertEquals(expected.mean().get(k)[l], sql.mean().get(k)[l], 1e-12, k.label() + " " + l);
                assertEquals(expected.ci95().get(k)[l], sql.ci95().get(k)[l], 1e-12, k.label() + " " + l);
            }
        }
    }

    @Test
    void aTaskWhoseFirstAttemptFailsIsRetriedAndEveryImageIsTracedOnce() throws IOException {
        String parquet = dir.resolve("retried.parquet").toString();
        SparkTrace.of(job, Fault.failFirstAttemptAt(37)).trace(images(), "cifar", IMAGES, 3).write().parquet(parquet);
        assertEquals(single.rows(), sorted(spark.read().parquet(parquet)));
    }

    @Test
    void eachExecutorJvmLoadsTheModelOnce() throws IOException {
        ModelsSeen.SEEN.clear();
        SparkTrace.of(job, new ModelsSeen(model)).trace(images(), "cifar", 16, 2).count();
        assertEquals(2, ModelsSeen.SEEN.size(), "a batch of 8 images in each of 2 tasks");
        // local mode: the driver is the one executor, and every task has the model the driver loaded
        assertEquals(List.of(ExecutorModels.get(model)), ModelsSeen.SEEN.stream().distinct().toList());
    }

    /** Before each batch, notes the model its task's executor gives (local mode: the tasks run in this JVM). */
    private record ModelsSeen(String model) implements BeforeBatch {
        static final List<ExecutorModels.Loaded> SEEN = new CopyOnWriteArrayList<>();

        @Override
        public void run(int first, int count) {
            SEEN.add(ExecutorModels.get(model));
        }
    }

    @Test
    void theSparkSubmitJobWritesTheTraceCsvThatVitTraceWritesAndItsSummaryJsonAndHeatmaps() throws IOException {
        Path out = dir.resolve("app");
        TraceApp.run(spark, new String[] {"--model", model, "--images", "cifar10:" + cifar, "--out", out.toString(),
            "--limit", "24", "--corruption", "noise:3", "--seed", "7", "--batch", "8", "--partitions", "2"});
        ExecutorModels.Loaded m = ExecutorModels.get(model);
        new DatasetTrace(m.vit(), m.pretrained().preprocessing(), ImageSource.cifar10(cifar), job.options(24))
                .run(dir.resolve("vit-trace"), done -> { });

        assertEquals(Files.readString(dir.resolve("vit-trace/trace.csv")), Files.readString(out.resolve("trace.csv")));
        assertTrue(Files.isDirectory(out.resolve("trace.parquet")) && Files.isRegularFile(out.resolve("summary.csv")));

        // summary.json as vit trace writes it, its numbers those of the single-machine rows' summary (1e-12)
        TraceSummary expected = TraceSummary.of(TraceRow.read(dir.resolve("vit-trace/trace.csv")), job.sweepKinds(),
                m.vit().config().layers(), job.method());
        JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(24, json.get("n").asInt());
        assertEquals(24, json.get("arguments").get("images_traced").asInt());
        assertEquals(expected.pClean(), json.get("p_clean").asDouble(), 1e-12);
        for (SweepKind k : job.sweepKinds()) {
            JsonNode kind = json.get("kinds").get(k.label());
            for (int l = 0; l < m.vit().config().layers(); l++) {
                assertEquals(expected.mean().get(k)[l], kind.get("mean").get(l).asDouble(), 1e-12, k.label() + " " + l);
                assertEquals(expected.ci95().get(k)[l], kind.get("ci95").get(l).asDouble(), 1e-12, k.label() + " " + l);
                assertEquals(expected.count().get(k)[l], kind.get("count").get(l).asInt(), k.label() + " " + l);
            }
        }
        assertTrue(Files.size(out.resolve("heatmap.png")) > 0 && Files.size(out.resolve("heatmap.svg")) > 0);
    }

    @Test
    void theSparkSubmitJobIsRefusedInAFolderAnotherTraceIsWritingAndLeavesItsFilesAlone() throws IOException {
        Path out = dir.resolve("busy");
        ExecutorModels.Loaded m = ExecutorModels.get(model);
        String[] args = {"--model", model, "--images", "cifar10:" + cifar, "--out", out.toString(), "--limit", "8",
            "--batch", "8", "--partitions", "1"};
        new DatasetTrace(m.vit(), m.pretrained().preprocessing(), ImageSource.cifar10(cifar), job.options(8))
                .run(out, done -> { }, result -> {                 // the folder is locked by this running trace
                    byte[] csv = Files.readAllBytes(result.csv());
                    IOException e = assertThrows(IOException.class, () -> TraceApp.run(spark, args));
                    assertTrue(e.getMessage().contains("another trace"), e.getMessage());
                    assertArrayEquals(csv, Files.readAllBytes(result.csv()), "trace.csv is left alone");
                    assertFalse(Files.exists(out.resolve("trace.parquet")));
                });
    }

    private static Dataset<Row> images() {
        return CifarRecords.read(spark, cifar.toString());
    }

    /** A Spark trace's rows in {@code trace.csv}'s order: by image, kind and layer. */
    private static List<TraceRow> sorted(Dataset<Row> table) {
        return TraceTable.traceRows(table, job.sweepKinds());
    }
}
