package io.github.vit4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code vit trace} as a Spark job: the images of a table ({@link ImageTable#SCHEMA}) are split into partitions of
 * whole batches, each executor loads the model once ({@link ExecutorModels}) and traces its partitions batch by
 * batch with the library's {@link DatasetTrace}, and the rows ({@link TraceTable#SCHEMA}) are a Spark table.
 *
 * <p>The rows are {@code vit trace}'s rows on the same images with the same options, bit for bit, whatever the
 * number of partitions or executors: every image is corrupted with a random stream fixed by the seed and its index;
 * batches are the single-machine trace's batches (a partition holds whole ones), so every batched forward adds up
 * the same numbers in the same order; and a corruption that is calibrated (noise's σ on the first 64 images' clean
 * runs) is calibrated once, on the driver, exactly as {@code vit trace} does ({@link #calibrate}), and shipped to the
 * tasks.
 */
public final class SparkTrace {

    private final TraceJob job;
    private final BeforeBatch beforeBatch;

    private SparkTrace(TraceJob job, BeforeBatch beforeBatch) {
        this.job = job;
        this.beforeBatch = beforeBatch;
    }

    /** A Spark trace of {@code job}. */
    public static SparkTrace of(TraceJob job) {
        return new SparkTrace(job, BeforeBatch.NOTHING);
    }

    /** A Spark trace of {@code job} whose tasks run {@code beforeBatch} before each batch they trace. */
    static SparkTrace of(TraceJob job, BeforeBatch beforeBatch) {
        return new SparkTrace(job, beforeBatch);
    }

    /**
     * How many of a dataset's first images a trace of the first {@code limit} reads: those, and the first
     * {@link DatasetTrace#CALIBRATION_IMAGES} when the corruption is calibrated on them
     * ({@link ImageTable#read(SparkSession, String, int)} reads no more).
     */
    public int imagesRead(int limit) {
        return job.corruption().needsCalibration() ? Math.max(limit, DatasetTrace.CALIBRATION_IMAGES) : limit;
    }

    /**
     * The job with its corruption calibrated as {@code vit trace} calibrates it, on the clean runs of the dataset's
     * first 64 images (whatever the limit), here on the driver; the job itself when its corruption needs no
     * calibration (then the model is not loaded on the driver).
     */
    public TraceJob calibrate(Dataset<Row> images) throws IOException {
        if (!job.corruption().needsCalibration()) {
            return job;
        }
        List<Row> first = images.filter(col("index").lt(lit(DatasetTrace.CALIBRATION_IMAGES))).orderBy("index")
                .collectAsList();
        if (first.isEmpty() || first.get(0).getInt(first.get(0).fieldIndex("index")) != 0) {
            throw new IllegalArgumentException("the images' table has no image 0; a corruption is calibrated on the "
                    + "dataset's first 64 images, so give the whole dataset, numbered from 0");
        }
        int[] labels = first.stream().mapToInt(r -> r.getInt(r.fieldIndex("label"))).toArray();
        ImageSource source = ImageSource.held("calibration images", 0, labels, ImageTable.images(first),
                ImageTable.labelClasses(first));
        ExecutorModels.Loaded model = ExecutorModels.get(job.model());
        DatasetTrace trace = new DatasetTrace(model.vit(), model.pretrained().preprocessing(), source,
                job.options(first.size()));
        return job.withCorruption(trace.calibrated());
    }

    /**
     * The rows of the trace of the first {@code limit} images of {@code images}, in {@code partitions} partitions
     * of whole batches (a lazy table: Spark runs the job when it is written or collected). Its rows are in no
     * particular order; sort by image, kind and layer for {@code trace.csv}'s.
     *
     * @param images     a table with {@link ImageTable#SCHEMA} ({@link ImageTable#read})
     * @param dataset    the dataset's name, for messages
     * @param limit      trace images {@code 0 .. limit − 1}
     * @param partitions how many partitions (at most the number of batches take part)
     * @throws IOException              when the corruption's calibration cannot read the first images
     * @throws IllegalArgumentException when the job tracks the true label and an image has none
     */
    public Dataset<Row> trace(Dataset<Row> images, String dataset, int limit, int partitions) throws IOException {
        if (limit <= 0 || partitions <= 0) {
            throw new IllegalArgumentException("limit " + limit + " and partitions " + partitions + "; expected both "
                    + "positive");
        }
        if (job.target() == DatasetTrace.Target.TRUE_LABEL) {
            List<Row> unlabelled = images.filter(col("index").lt(lit(limit)).and(col("label").lt(lit(0))))
                    .select("index", "id").orderBy("index").limit(1).collectAsList();
            if (!unlabelled.isEmpty()) {
                throw new IllegalArgumentException(dataset + " has no label for image " + unlabelled.get(0).getInt(0)
                        + " (" + unlabelled.get(0).getString(1) + "); trace with --label clean-top1 (the clean "
                        + "run's top class)");
            }
        }
        TraceJob calibrated = calibrate(images);
        Dataset<Row> batches = images.filter(col("index").lt(lit(limit)))
                .withColumn("batch", floor(col("index").divide(lit(job.batch()))))
                .repartitionByRange(partitions, col("batch"))
                .sortWithinPartitions("index");
        return batches.mapPartitions(new TracePartition(calibrated, dataset, beforeBatch),
                Encoders.row(TraceTable.SCHEMA));
    }

    /**
     * {@code summary.json}'s numbers computed from a trace's rows with Spark SQL: per kind and layer the mean effect,
     * its 95% CI half-width 1.96·sd/√n (sd the sample standard deviation) and n, NaN effects left out; mean p_clean
     * and p_corrupt over images. They equal {@link TraceSummary#of} on the same rows up to the order of additions
     * (Spark sums in partitions; the CI's sd is its one-pass {@code stddev_samp}).
     *
     * @param rows   a trace's rows ({@link TraceTable#SCHEMA})
     * @param kinds  the kinds, in trace order
     * @param layers the model's layers
     * @param method how the rows were made
     */
    public static TraceSummary summary(Dataset<Row> rows, List<SweepKind> kinds, int layers, TraceMethod method) {
        SparkSession spark = rows.sparkSession();
        rows.createOrReplaceTempView("vit4j_trace_rows");
        List<Row> cells = spark.sql("""
                SELECT kind, layer, avg(effect) AS mean, 1.96 * stddev_samp(effect) / sqrt(count(effect)) AS ci95,
                       count(effect) AS n
                FROM (SELECT kind, layer, CASE WHEN isnan(ie) THEN NULL ELSE ie END AS effect FROM vit4j_trace_rows)
                GROUP BY kind, layer""").collectAsList();
        Row images = spark.sql("""
                SELECT count(*), avg(p_clean), avg(p_corrupt)
                FROM (SELECT image, first(p_clean) AS p_clean, first(p_corrupt) AS p_corrupt FROM vit4j_trace_rows
                      GROUP BY image)""").first();
        Map<SweepKind, double[]> mean = new LinkedHashMap<>();
        Map<SweepKind, double[]> ci95 = new LinkedHashMap<>();
        Map<SweepKind, int[]> count = new LinkedHashMap<>();
        for (SweepKind k : kinds) {
            double[] m = new double[layers];
            double[] c = new double[layers];
            Arrays.fill(m, Double.NaN);
            Arrays.fill(c, Double.NaN);
            mean.put(k, m);
            ci95.put(k, c);
            count.put(k, new int[layers]);
        }
        for (Row cell : cells) {
            SweepKind k = SweepKind.parse(cell.getString(0));
            int layer = cell.getInt(1);
            if (!mean.containsKey(k) || layer < 0 || layer >= layers) {
                throw new IllegalArgumentException("the trace has rows at kind " + k.label() + ", layer " + layer
                        + ", outside the summary's kinds " + kinds.stream().map(SweepKind::label).toList()
                        + " and layers 0 .. " + (layers - 1) + "; summarise with the kinds and layers it was traced "
                        + "with");
            }
            mean.get(k)[layer] = cell.isNullAt(2) ? Double.NaN : cell.getDouble(2);
            ci95.get(k)[layer] = cell.isNullAt(3) ? Double.NaN : cell.getDouble(3);
            count.get(k)[layer] = Math.toIntExact(cell.getLong(4));
        }
        return new TraceSummary(Math.toIntExact(images.getLong(0)), kinds, layers, mean, ci95, count,
                images.isNullAt(1) ? Double.NaN : images.getDouble(1),
                images.isNullAt(2) ? Double.NaN : images.getDouble(2), method);
    }
}
