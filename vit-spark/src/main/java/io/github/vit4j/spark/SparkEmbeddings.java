package io.github.vit4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;

import io.github.vit4j.embed.Embedded;
import io.github.vit4j.embed.EmbeddingRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code vit embed}'s computation as Spark jobs, for {@link EmbeddingRun#run(java.nio.file.Path,
 * io.github.vit4j.embed.EmbeddingWriter, EmbeddingRun.Compute, java.util.function.IntConsumer)}: the images of a
 * table ({@link ImageTable}) are split into partitions of whole batches, each executor loads the model once
 * ({@link ExecutorModels}) and embeds its batches with the library's {@link EmbeddingRun#embed}, and the driver
 * appends the batches in order to the run's partial folder. The images go in waves of a few batches per partition,
 * so that the driver holds one wave's rows at a time, the progress moves wave by wave, and a run killed midway
 * resumes (with or without Spark) after the last whole wave.
 *
 * <p>The rows are those of the run without Spark, bit for bit, whatever the number of partitions or executors: each
 * batch is the single-machine run's batch (a partition holds whole ones), so its forward adds up the same numbers
 * in the same order. Its API names no Spark type, so its callers compile and run without Spark;
 * {@link SparkTraceRun#missing()} says beforehand whether this JVM can run it.
 */
public final class SparkEmbeddings implements EmbeddingRun.Compute {

    /** Batches per partition in one wave. */
    static final int BATCHES_PER_WAVE = 4;

    /** The rows a task gives back: index, label and the embedding's little-endian float32 bytes. */
    static final StructType SCHEMA = new StructType()
            .add("index", DataTypes.IntegerType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("values", DataTypes.BinaryType, false);

    private final String master;
    private final EmbedJob job;
    private final String images;
    private final int partitions;
    private int used;

    private SparkEmbeddings(String master, EmbedJob job, String images, int partitions) {
        this.master = master;
        this.job = job;
        this.images = images;
        this.partitions = partitions;
    }

    /**
     * The job's computation in a Spark application of its own at {@code master} (started when a run asks for
     * batches, stopped when they are done).
     *
     * @param images     {@code cifar10:PATH}, a folder of images or {@code parquet:PATH} ({@link ImageTable}): the
     *                   images the run's source reads, at a path every executor reads
     * @param partitions partitions per wave; 0 for one per core, at most one per batch
     */
    public static SparkEmbeddings at(String master, EmbedJob job, String images, int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0 (0: one per core), got " + partitions);
        }
        return new SparkEmbeddings(master, job, images, partitions);
    }

    /** The partitions of the last wave computed; 0 before any. */
    public int partitions() {
        return used;
    }

    @Override
    public void embed(int from, int to, EmbeddingRun.Sink sink) throws IOException {
        if (from % job.batch() != 0 || to <= from) {
            throw new IllegalArgumentException("images " + from + " .. " + (to - 1) + "; expected a range that "
                    + "starts at a multiple of the batch size " + job.batch());
        }
        SparkSession spark = TraceApp.session(master, "vit4j embed");
        try {
            embed(spark, from, to, sink);
        } finally {
            spark.stop();
        }
    }

    /** {@link #embed(int, int, EmbeddingRun.Sink)} in {@code spark}'s application, which it leaves running. */
    void embed(SparkSession spark, int from, int to, EmbeddingRun.Sink sink) throws IOException {
        ExecutorModels.get(job.model());                          // on the driver: a bad model fails here
        Dataset<Row> table = ImageTable.read(spark, images, to);
        int batches = (to - from + job.batch() - 1) / job.batch();
        used = partitions > 0 ? Math.min(partitions, batches)
                : Math.max(1, Math.min(spark.sparkContext().defaultParallelism(), batches));
        int wave = used * job.batch() * BATCHES_PER_WAVE;
        for (int a = from; a < to; a += wave) {
            int b = Math.min(to, a + wave);
            List<Row> rows = new ArrayList<>(table.filter(col("index").geq(lit(a)).and(col("index").lt(lit(b))))
                    .withColumn("batch", floor(col("index").divide(lit(job.batch()))))
                    .repartitionByRange(used, col("batch"))
                    .sortWithinPartitions("index")
                    .mapPartitions(new EmbedPartition(job, images, b), Encoders.row(SCHEMA))
                    .collectAsList());
            rows.sort(Comparator.comparingInt(r -> r.getInt(0)));
            if (rows.size() != b - a) {
                throw new IOException(images + " gave " + rows.size() + " images numbered " + a + " .. "
                        + (b - 1) + ", expected " + (b - a) + "; the images changed while the run read them");
            }
            for (int first = a; first < b; first += job.batch()) {
                sink.accept(batch(rows.subList(first - a, Math.min(b, first + job.batch()) - a), first, images));
            }
        }
    }

    /**
     * The rows of one batch, in index order, as the library's batch: row {@code i} must be image {@code first + i}
     * and every row as long as the first (4 bytes a value).
     *
     * @throws IOException naming {@code images} and the row for a duplicated or missing index or another width
     */
    static Embedded batch(List<Row> rows, int first, String images) throws IOException {
        byte[] firstValues = rows.get(0).getAs("values");
        int width = firstValues.length / 4;
        if (width == 0 || firstValues.length % 4 != 0) {
            throw new IOException(images + ": image " + first + " has " + firstValues.length + " bytes of values,"
                    + " not a positive number of float32");
        }
        int[] labels = new int[rows.size()];
        float[] values = new float[rows.size() * width];
        for (int i = 0; i < labels.length; i++) {
            Row row = rows.get(i);
            if (row.getInt(0) != first + i) {
                throw new IOException(images + " gave image " + row.getInt(0) + " where image " + (first + i)
                        + " was expected; its index column must number the images 0, 1, 2, … once each");
            }
            byte[] bytes = row.getAs("values");
            if (bytes.length != 4 * width) {
                throw new IOException(images + ": image " + (first + i) + " has " + bytes.length + " bytes of"
                        + " values, expected " + 4 * width + " (" + width + " float32, as image " + first + ")");
            }
            labels[i] = row.getInt(1);
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, i * width, width);
        }
        return new Embedded(first, labels, values, width);
    }
}
