package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.embed.EmbeddingRun;
import io.github.vit4j.embed.EmbeddingWriter;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Embedding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalInputFile;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code vit embed}'s Spark computation ({@link SparkEmbeddings}) against the run without Spark, on the first 20
 * CIFAR-10 test images of ../shared and its CIFAR-10 model, batches of 4, in local mode ({@link LocalSpark}), and
 * the Parquet file ({@link ParquetEmbeddings}) read back with parquet-java.
 */
class SparkEmbeddingsTest {

    private static final int IMAGES = 20;
    private static final int BATCH = 4;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Path cifar;
    private static EmbedJob job;

    @BeforeAll
    static void start() throws IOException {
        cifar = Fixtures.cifarFirst(dir, IMAGES);
        job = new EmbedJob(Fixtures.model(), Embedding.POOLED, true, BATCH);
        spark = LocalSpark.session();
    }

    private static EmbeddingRun run() throws IOException {
        ExecutorModels.Loaded m = ExecutorModels.get(job.model());
        return new EmbeddingRun(m.vit(), m.pretrained().preprocessing(), ImageSource.cifar10(cifar),
                job.options(IMAGES));
    }

    /** The Spark computation at the tests' session, in {@code partitions} partitions. */
    private static EmbeddingRun.Compute onSpark(int partitions) {
        SparkEmbeddings e = SparkEmbeddings.at("unused: the tests' session", job, "cifar10:" + cifar, partitions);
        return (from, to, sink) -> e.embed(spark, from, to, sink);
    }

    @Test
    void theNpyAndItsIndexAreThoseOfTheRunWithoutSparkByteForByteWhateverThePartitions() throws IOException {
        Path single = dir.resolve("single.npy");
        run().run(single, EmbeddingWriter.npy(), done -> { });
        for (int partitions : new int[] {1, 3}) {                  // 5 batches: one wave, or waves of 3 × 4 batches
            Path out = dir.resolve("spark" + partitions + ".npy");
            run().run(out, EmbeddingWriter.npy(), onSpark(partitions), done -> { });
            assertArrayEquals(Files.readAllBytes(single), Files.readAllBytes(out), partitions + " partitions");
            assertArrayEquals(Files.readAllBytes(EmbeddingWriter.indexOf(single)),
                    Files.readAllBytes(EmbeddingWriter.indexOf(out)), partitions + " partitions");
        }
    }

    @Test
    void aRunStartedWithoutSparkResumesOnSparkToTheSameBytes() throws IOException {
        Path single = dir.resolve("whole.npy");
        run().run(single, EmbeddingWriter.npy(), done -> { });
        Path out = dir.resolve("resumed.npy");
        EmbeddingRun first = run();
        assertThrows(IOException.class, () -> first.run(out, EmbeddingWriter.npy(), (from, to, sink) -> {
            first.embed(from, from + 2 * BATCH, sink);
            throw new IOException("killed");
        }, done -> { }));
        EmbeddingRun.Result result = run().run(out, EmbeddingWriter.npy(), onSpark(2), done -> { });
        assertEquals(2 * BATCH, result.resumed());
        assertArrayEquals(Files.readAllBytes(single), Files.readAllBytes(out));
    }

    @Test
    void theParquetFileHoldsIndexNameLabelAndEmbeddingAsTheNpyDoesAndSparkWritesTheSameBytes() throws IOException {
        Path npy = dir.resolve("values.npy");
        run().run(npy, EmbeddingWriter.npy(), done -> { });
        Path local = dir.resolve("local.parquet");
        Path distributed = dir.resolve("spark.parquet");
        run().run(local, ParquetEmbeddings.of(), done -> { });
        run().run(distributed, ParquetEmbeddings.of(), onSpark(2), done -> { });
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(distributed));

        try (ParquetFileReader file = ParquetFileReader.open(new LocalInputFile(local))) {
            assertEquals(ParquetEmbeddingFile.schema(true), file.getFileMetaData().getSchema());
        }
        assertEquals("struct<index:bigint,name:string,label:int,embedding:array<float>>",
                spark.read().parquet(local.toString()).schema().simpleString(), "as Spark reads it");
        INDArray expected = Npy.read(npy);
        List<String> index = Files.readAllLines(EmbeddingWriter.indexOf(npy));
        List<Group> rows = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(),
                new org.apache.hadoop.fs.Path(local.toUri())).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) {
                rows.add(g);
            }
        }
        assertEquals(IMAGES, rows.size());
        for (int i = 0; i < IMAGES; i++) {
            Group row = rows.get(i);
            String[] csv = index.get(i + 1).split(",");
            assertEquals(i, row.getLong("index", 0));
            assertEquals(csv[1], row.getString("name", 0));
            assertEquals(Integer.parseInt(csv[2]), row.getInteger("label", 0));
            Group list = row.getGroup("embedding", 0);
            assertEquals(expected.size(1), list.getFieldRepetitionCount("list"));
            for (int j = 0; j < expected.size(1); j++) {
                assertEquals(expected.getFloat(i, j), list.getGroup("list", j).getFloat("element", 0),
                        "image " + i + ", value " + j);
            }
        }
    }

    @Test
    void aRangeThatDoesNotStartAtABatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkEmbeddings.at("local[1]", job, "cifar10:" + cifar, 0).embed(3, 8, batch -> { }));
        assertTrue(e.getMessage().contains("multiple of the batch size 4"), e.getMessage());
    }
}
