package io.github.vit4j.spark;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageFiles;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The images of a Spark trace as a table, one row per image: {@code (index, id, label, image, format)}, numbered as
 * {@code vit trace --images} numbers them, so that the same seed gives the same rows. Three inputs, named as
 * {@code --images} names them:
 * <ul>
 *   <li>{@code cifar10:PATH} — a CIFAR-10 binary file ({@link CifarRecords}): images in file order, with labels;
 *       {@code image} is a record's 3072 planar pixel bytes, {@code format} {@value #CIFAR10};</li>
 *   <li>{@code PATH} — a folder of image files, read by Spark's {@code binaryFile} source: the files directly
 *       inside it that {@code vit trace} takes ({@link ImageFiles#isImageName}), numbered in file-name order as
 *       {@code vit trace} numbers them ({@link ImageFiles#listImages}), {@code id} the file name, labels unknown
 *       (names starting with '_', which Spark's file sources skip, are refused);</li>
 *   <li>{@code parquet:PATH} — a Parquet table of image files: columns {@code id} (string, unique), {@code image}
 *       (binary: a PNG, JPEG, … file's bytes) and, optionally, {@code label} (integer, the model's class; null or
 *       absent: unknown); numbered in {@code id} order, so that a table made from a folder (id = file name) is
 *       traced as the folder is.</li>
 * </ul>
 * Image files stay encoded in the table ({@code format} {@value #FILE}) and are decoded by the task that traces them,
 * with the decoder {@code vit trace} uses ({@link ImageFiles#read(String, byte[])}). Unknown labels are
 * {@link ImageSource#UNKNOWN_LABEL}: trace such images with {@code --label clean-top1}.
 */
public final class ImageTable {

    /** The table's schema, the input of {@link SparkTrace#trace}. */
    public static final StructType SCHEMA = new StructType()
            .add("index", DataTypes.IntegerType, false)
            .add("id", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("image", DataTypes.BinaryType, false)
            .add("format", DataTypes.StringType, false);

    /** {@code format} of a CIFAR-10 record's 3072 planar pixel bytes (1024 R, 1024 G, 1024 B, row-major 32×32). */
    public static final String CIFAR10 = "cifar10";

    /** {@code format} of an image file's bytes (PNG, JPEG, … whatever {@link ImageFiles} decodes). */
    public static final String FILE = "file";

    /** The prefix that marks a Parquet table of images in {@code --images}. */
    public static final String PARQUET_PREFIX = "parquet:";

    private static final String FORMS = "cifar10:PATH (a CIFAR-10 binary file), PATH (a folder of images) or "
            + "parquet:PATH (a table of id, image, label), each a path every executor reads";

    private ImageTable() {
    }

    /**
     * The images {@code spec} names: {@code cifar10:PATH}, {@code parquet:PATH} or the path of a folder of images
     * (any path Hadoop reads: local, {@code hdfs:}, {@code s3a:}).
     *
     * @throws IllegalArgumentException when the spec names no path, or a Parquet table lacks a column
     * @throws IOException              when a folder cannot be listed or holds no image files
     */
    public static Dataset<Row> read(SparkSession spark, String spec) throws IOException {
        return read(spark, spec, Integer.MAX_VALUE);
    }

    /**
     * The first {@code first} images (in the dataset's order) of {@link #read(SparkSession, String)}: a folder's
     * later files and a table's later rows are neither numbered nor read, so a trace of a few images of a large
     * folder reads a few files ({@link SparkTrace#imagesRead} says how many a trace needs).
     */
    public static Dataset<Row> read(SparkSession spark, String spec, int first) throws IOException {
        if (first <= 0) {
            throw new IllegalArgumentException("images to read: " + first + "; expected a positive number");
        }
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no images given; expected " + FORMS);
        }
        for (String prefix : List.of(ImageSource.CIFAR10_PREFIX, PARQUET_PREFIX)) {
            if (spec.startsWith(prefix) && spec.substring(prefix.length()).isBlank()) {
                throw new IllegalArgumentException("'" + spec + "' names no path; expected " + FORMS);
            }
        }
        if (spec.startsWith(ImageSource.CIFAR10_PREFIX)) {
            return CifarRecords.read(spark, spec.substring(ImageSource.CIFAR10_PREFIX.length()))
                    .filter(col("index").lt(lit(first)));           // one file: its records are read anyway
        }
        if (spec.startsWith(PARQUET_PREFIX)) {
            return parquet(spark, spec.substring(PARQUET_PREFIX.length()), first);
        }
        return folder(spark, spec, first);
    }

    /**
     * The image files directly inside {@code folder}, listed on the driver as {@code vit trace} lists a folder
     * (names ending in .png, .jpg, .jpeg, .bmp or .gif in any case, not starting with '.'; sorted by name), their
     * bytes read by the executors with Spark's {@code binaryFile} source: the first {@code first} of them.
     *
     * @throws IOException when the folder cannot be listed or holds no image files, or Spark's source does not give
     *                     back a listed file (checked by counting, before any image is read)
     */
    private static Dataset<Row> folder(SparkSession spark, String folder, int first) throws IOException {
        Path dir = new Path(folder);
        FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
        List<FileStatus> files = new ArrayList<>(Arrays.stream(fs.listStatus(dir))
                .filter(f -> f.isFile() && ImageFiles.isImageName(f.getPath().getName())).toList());
        if (files.isEmpty()) {
            throw new IOException("folder " + folder + " holds no image files (names ending in "
                    + String.join(", ", ImageFiles.EXTENSIONS.stream().sorted().map(e -> "." + e).toList())
                    + "); give a folder of images, cifar10:PATH or parquet:PATH");
        }
        List<String> hidden = files.stream().map(f -> f.getPath().getName()).filter(ImageTable::hiddenFromSpark)
                .sorted().toList();
        if (!hidden.isEmpty()) {
            throw new IllegalArgumentException("folder " + folder + " holds image files that Spark's file sources "
                    + "skip (names starting with '_' and without '='): " + String.join(", ", hidden) + "; vit trace "
                    + "reads them, so the Spark trace would number the images differently. Rename them (e.g. drop the "
                    + "'_'), or give a Parquet table of the images (parquet:PATH)");
        }
        files.sort(Comparator.comparing(f -> f.getPath().getName()));
        files = files.subList(0, Math.min(first, files.size()));
        List<Row> numbered = new ArrayList<>(files.size());
        String[] paths = new String[files.size()];
        for (int i = 0; i < paths.length; i++) {
            paths[i] = files.get(i).getPath().toString();
            numbered.add(RowFactory.create(paths[i], i, files.get(i).getPath().getName()));
        }
        Dataset<Row> index = spark.createDataFrame(numbered, new StructType()
                .add("path", DataTypes.StringType, false)
                .add("index", DataTypes.IntegerType, false)
                .add("id", DataTypes.StringType, false));
        Dataset<Row> content = spark.read().format("binaryFile").load(paths).select("path", "content");
        Dataset<Row> table = content.join(broadcast(index), "path");
        if (table.count() != paths.length) {                // the paths alone: Spark reads no content for this
            List<String> missing = index.join(content.select("path"), index.col("path").equalTo(content.col("path")),
                    "left_anti").select("id").as(Encoders.STRING()).collectAsList();
            throw new IOException("Spark's binaryFile source did not give the files " + missing + " of " + folder
                    + " under the paths listed for them; expected every listed image once. Give a Parquet table of "
                    + "the images (parquet:PATH) instead");
        }
        return table.select(col("index"), col("id"), lit(ImageSource.UNKNOWN_LABEL).as("label"),
                col("content").as("image"), lit(FILE).as("format"));
    }

    /**
     * Whether Spark's file sources leave out a file of this name, even named explicitly (its file index skips names
     * starting with '.' or '_', but not '_' names holding '=', which are partition folders' names).
     */
    private static boolean hiddenFromSpark(String name) {
        return name.startsWith("_") && !name.contains("=");
    }

    /**
     * A Parquet table of image files: {@code id} (string, unique), {@code image} (binary) and optionally
     * {@code label} (integer; null: unknown), numbered in {@code id} order (the ids are collected on the driver to
     * number them); the first {@code first} in that order (the later rows drop out in the join, before any decoding).
     *
     * @throws IllegalArgumentException when a column is missing or of another type, or an id is null or repeated
     */
    private static Dataset<Row> parquet(SparkSession spark, String table, int first) {
        Dataset<Row> t;
        try {
            t = spark.read().parquet(table);
        } catch (Exception e) {                      // Scala's AnalysisException, which Java's compiler cannot see
            if (e instanceof AnalysisException missing) {   // no such path, or not a Parquet table
                throw new IllegalArgumentException("cannot read the image table " + table + ": "
                        + missing.getSimpleMessage() + "; expected a Parquet table (a folder or file every executor "
                        + "reads) with columns id, image[, label]", e);
            }
            throw e;
        }
        StructType schema = t.schema();
        column(schema, table, "id", DataTypes.StringType);
        column(schema, table, "image", DataTypes.BinaryType);
        boolean labelled = Arrays.asList(schema.fieldNames()).contains("label");
        if (labelled && !List.of(DataTypes.IntegerType, DataTypes.LongType, DataTypes.ShortType, DataTypes.ByteType)
                .contains(schema.apply("label").dataType())) {
            throw new IllegalArgumentException("column label of " + table + " is " + schema.apply("label").dataType()
                    .simpleString() + "; expected an integer type (the model's class index; null when unknown)");
        }
        List<String> ids = new ArrayList<>(t.select("id").as(Encoders.STRING())
                .collectAsList());
        ids.sort(Comparator.nullsFirst(Comparator.naturalOrder()));
        List<Row> numbered = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i) == null || i > 0 && ids.get(i).equals(ids.get(i - 1))) {
                throw new IllegalArgumentException("the image table " + table + " has " + (ids.get(i) == null
                        ? "an image without an id" : "two images with id '" + ids.get(i) + "'") + "; expected a "
                        + "unique id per image (e.g. its file name): images are numbered in id order");
            }
            if (i < first) {
                numbered.add(RowFactory.create(ids.get(i), i));
            }
        }
        Dataset<Row> index = spark.createDataFrame(numbered, new StructType()
                .add("id", DataTypes.StringType, false)
                .add("index", DataTypes.IntegerType, false));
        return t.join(broadcast(index), "id")
                .select(col("index"), col("id"),
                        labelled ? coalesce(col("label").cast(DataTypes.IntegerType), lit(ImageSource.UNKNOWN_LABEL))
                                .as("label") : lit(ImageSource.UNKNOWN_LABEL).as("label"),
                        col("image"), lit(FILE).as("format"));
    }

    private static void column(StructType schema, String table, String name, DataType type) {
        StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the image table " + table + " has no column "
                        + name + " (its columns: " + String.join(", ", schema.fieldNames()) + "); expected id "
                        + "(string), image (binary: an image file's bytes) and, optionally, label (integer)"));
        if (!field.dataType().equals(type)) {
            throw new IllegalArgumentException("column " + name + " of " + table + " is "
                    + field.dataType().simpleString() + "; expected " + type.simpleString());
        }
    }

    /** The image of a row with {@link #SCHEMA}, decoded as its {@code format} says. */
    static RgbImage image(Row row) {
        byte[] bytes = row.getAs("image");
        String format = row.getAs("format");
        if (CIFAR10.equals(format)) {
            return CifarRecords.image(bytes);
        }
        if (FILE.equals(format)) {
            try {
                return ImageFiles.read(row.<String>getAs("id"), bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalArgumentException("image " + row.getAs("id") + " has format '" + format + "'; expected "
                + CIFAR10 + " or " + FILE + " (read the images with ImageTable.read)");
    }

    /** The images of rows with {@link #SCHEMA}. */
    static List<RgbImage> images(List<Row> rows) {
        return rows.stream().map(ImageTable::image).toList();
    }

    /** The classes the labels of rows with {@link #SCHEMA} range over: CIFAR-10's 10 for its records, else unknown. */
    static OptionalInt labelClasses(List<Row> rows) {
        return rows.stream().allMatch(r -> CIFAR10.equals(r.getAs("format"))) ? OptionalInt.of(Cifar10.CLASSES)
                : OptionalInt.empty();
    }
}
