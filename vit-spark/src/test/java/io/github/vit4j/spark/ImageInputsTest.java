package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageFiles;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.RgbImage;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.TraceRow;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inputs a Spark trace reads besides a CIFAR-10 file — a folder of image files (Spark's {@code binaryFile}
 * source) and a Parquet table of {@code (id, image, label)} — against {@code vit trace}'s library on the same images:
 * the first 24 CIFAR-10 test images of ../shared written as PNG and JPEG files (a JPEG decodes to other pixels than
 * the record, the same ones on both sides), traced with the CIFAR-10 model, noise k = 3, seed 7, batches of 8.
 */
class ImageInputsTest {

    private static final int IMAGES = 24;
    private static final int BATCH = 8;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static String model;
    private static Path folder;
    private static List<String> names;
    private static int[] labels;
    private static TraceJob topOne;

    @BeforeAll
    static void writeImages() throws IOException {
        model = Fixtures.model();
        Cifar10.Records records = Cifar10.read(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"), 0,
                IMAGES);
        folder = Files.createDirectories(dir.resolve("images"));
        names = new ArrayList<>();
        labels = records.labels();
        for (int i = 0; i < IMAGES; i++) {
            // file-name order is not record order; a JPEG decodes to other pixels, the same on both sides; one name
            // with a space and an accent, which a path URI would escape
            String name = "cifar_" + (char) ('a' + (i * 7) % IMAGES) + (i == 4 ? " café" : "") + (i % 3 == 0 ? ".jpg"
                    : i % 3 == 1 ? ".png" : ".PNG");
            Files.write(folder.resolve(name), encode(records.images().get(i), name.endsWith("jpg") ? "jpg" : "png"));
            names.add(name);
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image: vit trace skips it, and so does the Spark job");
        topOne = new TraceJob(model, Corruption.parse("noise:3"), Fixtures.spec(3, "resid", "attn", "mlp"),
                TraceMethod.exact(), DatasetTrace.Target.CLEAN_TOP1, 7, BATCH);
        spark = LocalSpark.session();
    }

    @Test
    void aFolderOfImagesIsTracedAsVitTraceTracesItBitForBitWhateverTheNumberOfPartitions() throws IOException {
        ImageSource source = ImageSource.imageFolder(folder);
        List<TraceRow> expected = Fixtures.vitTrace(source, topOne, IMAGES).rows();
        Dataset<Row> images = ImageTable.read(spark, folder.toString());
        assertEquals(source.names(), images.orderBy("index").select("id").as(Encoders.STRING()).collectAsList());
        for (int partitions : new int[] {1, 3}) {
            List<TraceRow> rows = TraceTable.traceRows(SparkTrace.of(topOne).trace(images, folder.toString(), IMAGES,
                    partitions), topOne.sweepKinds());
            assertEquals(expected, rows, partitions + " partitions");
        }
        assertEquals(IMAGES * 12, expected.size());
    }

    @Test
    void aParquetTableOfImageFilesIsTracedInIdOrderWithItsLabels() throws IOException {
        String table = parquet("labelled.parquet", true);
        TraceJob labelled = new TraceJob(model, topOne.corruption(), topOne.spec(),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 7, BATCH);
        List<String> sorted = names.stream().sorted().toList();
        int[] y = sorted.stream().mapToInt(n -> labels[names.indexOf(n)]).toArray();
        List<RgbImage> decoded = new ArrayList<>();
        for (String n : sorted) {
            decoded.add(ImageFiles.read(folder.resolve(n)));
        }
        ImageSource held = ImageSource.held("table", 0, y, decoded, OptionalInt.empty());

        List<TraceRow> rows = TraceTable.traceRows(SparkTrace.of(labelled).trace(
                ImageTable.read(spark, ImageTable.PARQUET_PREFIX + table), table, IMAGES, 2), labelled.sweepKinds());
        assertEquals(Fixtures.vitTrace(held, labelled, IMAGES).rows(), rows);
        assertEquals(sorted.stream().mapToInt(n -> labels[names.indexOf(n)]).boxed().toList(),
                rows.stream().filter(r -> r.layer() == 0 && r.kind() == labelled.sweepKinds().get(0))
                        .map(TraceRow::label).toList());
    }

    @Test
    void theSparkSubmitJobTracesAParquetTableMadeFromAFolderAsVitTraceTracesTheFolder() throws IOException {
        String table = parquet("unlabelled.parquet", false);
        Path out = dir.resolve("app");
        TraceApp.run(spark, new String[] {"--model", model, "--images", ImageTable.PARQUET_PREFIX + table,
            "--out", out.toString(), "--corruption", "noise:3", "--label", "clean-top1", "--seed", "7",
            "--batch", "8", "--partitions", "2"});
        ExecutorModels.Loaded m = ExecutorModels.get(model);
        new DatasetTrace(m.vit(), m.pretrained().preprocessing(), ImageSource.parse(folder.toString()),
                topOne.options(100)).run(dir.resolve("vit-trace"), done -> { });   // vit trace's --limit 100

        assertEquals(Files.readString(dir.resolve("vit-trace/trace.csv")), Files.readString(out.resolve("trace.csv")));
    }

    @Test
    void imagesWithoutLabelsAreRefusedOnTheDriverWhenTheTrueLabelIsTracked() {
        TraceJob trueLabel = new TraceJob(model, Corruption.parse("grayscale"), Fixtures.spec(3, "resid"),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 7, BATCH);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkTrace.of(trueLabel)
                .trace(ImageTable.read(spark, folder.toString()), "the folder", IMAGES, 2));
        assertEquals("the folder has no label for image 0 (" + names.stream().sorted().findFirst().orElseThrow()
                + "); trace with --label clean-top1 (the clean run's top class)", e.getMessage());
    }

    @Test
    void aLabelThatIsNotOneOfTheModelsClassesFailsTheJobNamingImageAndLabel() throws IOException {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType)
                .add("label", DataTypes.IntegerType);
        String table = dir.resolve("label-10.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create("a.png", Files.readAllBytes(folder.resolve(names.get(1))), 10)),
                schema).write().parquet(table);
        TraceJob trueLabel = new TraceJob(model, Corruption.parse("grayscale"), Fixtures.spec(3, "resid"),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 7, BATCH);
        Exception e = assertThrows(Exception.class, () -> SparkTrace.of(trueLabel)
                .trace(ImageTable.read(spark, ImageTable.PARQUET_PREFIX + table), "the table", 1, 1).count());
        assertTrue(e.getMessage().contains("image 0 (a.png) of the table has label 10, but the model's classes are "
                + "0 .. 9; give the model's class indices as labels"), e.getMessage());
    }

    @Test
    void aParquetTableThatIsMissingHasRepeatedIdsOrNoImageColumnIsRefusedNamingIt() {
        StructType idOnly = new StructType().add("id", DataTypes.StringType).add("label", DataTypes.IntegerType);
        String noImage = dir.resolve("no-image.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create("a.png", 1)), idOnly).write().parquet(noImage);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ImageTable.read(spark, ImageTable.PARQUET_PREFIX + noImage));
        assertTrue(missing.getMessage().startsWith("the image table " + noImage + " has no column image (its "
                + "columns: id, label); expected id (string), image (binary"), missing.getMessage());

        String twice = dir.resolve("twice.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create("a.png", new byte[] {1}), RowFactory.create("a.png",
                new byte[] {2})), new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType))
                .write().parquet(twice);
        IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class,
                () -> ImageTable.read(spark, ImageTable.PARQUET_PREFIX + twice));
        assertTrue(repeated.getMessage().startsWith("the image table " + twice + " has two images with id 'a.png'"),
                repeated.getMessage());

        String nowhere = dir.resolve("nowhere.parquet").toString();
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> ImageTable.read(spark, ImageTable.PARQUET_PREFIX + nowhere));
        assertTrue(absent.getMessage().startsWith("cannot read the image table " + nowhere + ": "), absent.getMessage());
        assertTrue(absent.getMessage().endsWith("with columns id, image[, label]"), absent.getMessage());
    }

    @Test
    void aTraceOfTheFirstImagesReadsOnlyThoseAndTheOnesItsCalibrationNeeds() throws IOException {
        Dataset<Row> firstTwo = ImageTable.read(spark, folder.toString(), 2);
        List<String> sorted = names.stream().sorted().toList();
        assertEquals(sorted.subList(0, 2), firstTwo.orderBy("index").select("id").as(Encoders.STRING())
                .collectAsList());
        assertEquals(1, ImageTable.read(spark, ImageTable.PARQUET_PREFIX + parquet("first.parquet", true), 1).count());
        assertEquals(3, SparkTrace.of(topOne.withCorruption(Corruption.parse("grayscale"))).imagesRead(3));
        assertEquals(64, SparkTrace.of(topOne).imagesRead(3), "noise is calibrated on the first 64");
    }

    @Test
    void aFolderWithAnImageThatSparksFileSourcesSkipIsRefusedNamingIt() throws IOException {
        Path withHidden = Files.createDirectories(dir.resolve("with-hidden"));
        Files.copy(folder.resolve(names.get(0)), withHidden.resolve("a.jpg"));
        Files.copy(folder.resolve(names.get(1)), withHidden.resolve("_b.png"));   // vit trace reads it, Spark skips it
        assertEquals(2, ImageSource.imageFolder(withHidden).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageTable.read(spark, withHidden.toString()));
        assertTrue(e.getMessage().startsWith("folder " + withHidden + " holds image files that Spark's file sources "
                + "skip (names starting with '_' and without '='): _b.png; vit trace reads them"), e.getMessage());
    }

    /** The folder's image files as a Parquet table {@code (id, image[, label])}, rows in reverse file order. */
    private static String parquet(String name, boolean withLabels) throws IOException {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType);
        List<Row> rows = new ArrayList<>();
        for (int i = IMAGES - 1; i >= 0; i--) {
            byte[] bytes = Files.readAllBytes(folder.resolve(names.get(i)));
            rows.add(withLabels ? RowFactory.create(names.get(i), bytes, labels[i])
                    : RowFactory.create(names.get(i), bytes));
        }
        String table = dir.resolve(name).toString();
        spark.createDataFrame(rows, withLabels ? schema.add("label", DataTypes.IntegerType) : schema)
                .repartition(3).write().parquet(table);
        return table;
    }

    private static byte[] encode(RgbImage image, String format) throws IOException {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                b.setRGB(x, y, image.sample(x, y, 0) << 16 | image.sample(x, y, 1) << 8 | image.sample(x, y, 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(b, format, out)) {
            throw new IOException("the JDK has no " + format + " writer");
        }
        return out.toByteArray();
    }
}
