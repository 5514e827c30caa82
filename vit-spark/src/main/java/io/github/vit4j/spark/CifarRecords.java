package io.github.vit4j.spark;

import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.RgbImage;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A CIFAR-10 binary file as Spark reads it: one row per 3073-byte record, {@link ImageTable#SCHEMA}'s
 * {@code (index, id, label, image, format)} with {@code image} the record's 3072 planar pixel bytes (1024 R, 1024 G,
 * 1024 B, row-major 32×32), {@code format} {@value ImageTable#CIFAR10} and {@code id} {@code FILE#INDEX}, the name
 * {@code vit trace} gives the image.
 */
public final class CifarRecords {

    private CifarRecords() {
    }

    /**
     * The records of {@code file} (any path Hadoop reads: a local file, {@code hdfs:}, {@code s3a:}), read by Spark
     * ({@code binaryRecords}), numbered in file order.
     */
    public static Dataset<Row> read(SparkSession spark, String file) {
        String name = Path.of(file).getFileName().toString();
        JavaRDD<byte[]> records = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .binaryRecords(file, Cifar10.RECORD_BYTES);
        JavaRDD<Row> rows = records.zipWithIndex().map(r -> {
            byte[] record = r._1();
            int index = Math.toIntExact(r._2());
            return RowFactory.create(index, name + "#" + index, record[0] & 0xFF,
                    Arrays.copyOfRange(record, 1, Cifar10.RECORD_BYTES), ImageTable.CIFAR10);
        });
        return spark.createDataFrame(rows, ImageTable.SCHEMA);
    }

    /** The image of a row's {@code image} bytes. */
    static RgbImage image(byte[] planar) {
        if (planar.length != Cifar10.RECORD_BYTES - 1) {
            throw new IllegalArgumentException("a CIFAR-10 image of " + planar.length + " bytes; expected "
                    + (Cifar10.RECORD_BYTES - 1) + " (3 planes of 32×32); read the file with CifarRecords.read");
        }
        return RgbImage.fromPlanar(Cifar10.SIDE, Cifar10.SIDE, planar);
    }
}
