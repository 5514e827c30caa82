package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.embed.EmbeddingRun;
import io.github.vit4j.embed.EmbeddingWriter;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Embedding;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code vit embed} on ../shared's CIFAR-10 model (the original ViT: the pooled vector is the CLS row of ln_final,
 * 128 values) and the first 12 of its test images, batches of 4.
 */
class EmbedCommandTest {

    private static final String MODEL = "models/simplevit-cifar10/hf";
    private static final String IMAGES = "data/cifar10/test_batch_first1017.bin";

    @TempDir
    Path dir;

    private static String[] embed(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("embed", "--limit", "12", "--batch", "4", "--out",
                out.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void theNpyHoldsVitEmbedOfTheImagesAndTheIndexNamesThem() throws IOException {
        Path out = dir.resolve("emb.npy");
        CliRun run = CliRun.of(embed(out));
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("12 images embedded (pooled, 128 values each) in "), run.out());
        assertTrue(run.out().contains(" images/s; wrote " + out + " and " + dir.resolve("emb.index.csv")), run.out());

        INDArray written = Npy.read(out);
        assertArrayEquals(new long[] {12, 128}, written.shape());
        Pretrained p = ModelLoader.load(SharedAssets.resolve(MODEL).toString());
        Vit vit = new Vit(p.weights());
        ImageSource source = ImageSource.cifar10(SharedAssets.resolve(IMAGES));
        for (int first = 0; first < 12; first += 4) {
            INDArray direct = vit.embed(source.read(first, 4, p.preprocessing()).input(), Embedding.POOLED);
            assertEquals(direct, written.get(NDArrayIndex.interval(first, first + 4), NDArrayIndex.all()),
                    "images " + first + " .. " + (first + 3));
        }
        List<String> index = Files.readAllLines(dir.resolve("emb.index.csv"));
        assertEquals(13, index.size());
        assertEquals("1,test_batch_first1017.bin#1,8", index.get(2));           // a ship
    }

    @Test
    void normalizeGivesRowsOfUnitLength() throws IOException {
        Path out = dir.resolve("unit.npy");
        CliRun run = CliRun.of(embed(out, "--normalize"));
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("(pooled, 128 values each, L2-normalised)"), run.out());
        INDArray norms = Npy.read(out).castTo(DataType.DOUBLE).norm2(1);
        assertTrue(norms.sub(1).amaxNumber().doubleValue() < 1e-6, "row norms " + norms);
    }

    /** What an interrupted `vit embed --limit 12 --batch 4` leaves: its first batch, in its partial folder. */
    private static void interrupted(Path out) throws IOException {
        Pretrained p = ModelLoader.load(SharedAssets.resolve(MODEL).toString());
        EmbeddingRun run = new EmbeddingRun(new Vit(p.weights()), p.preprocessing(),
                ImageSource.cifar10(SharedAssets.resolve(IMAGES)),
                new EmbeddingRun.Options(Embedding.POOLED, false, 4, 12));
        assertThrows(IOException.class, () -> run.run(out, EmbeddingWriter.npy(), (from, to, sink) -> {
            run.embed(from, from + 4, sink);
            throw new IOException("interrupted");
        }, done -> { }));
    }

    @Test
    void aRunInterruptedAfterItsFirstBatchResumesToTheBytesOfAnUninterruptedOne() throws IOException {
        Path whole = dir.resolve("whole.npy");
        assertEquals(0, CliRun.of(embed(whole)).exitCode());
        Path out = dir.resolve("resumed.npy");
        interrupted(out);
        CliRun run = CliRun.of(embed(out));
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().startsWith("4 images resumed from an earlier run, 8 images embedded"), run.out());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole.index.csv")),
                Files.readAllBytes(dir.resolve("resumed.index.csv")));
        assertFalse(Files.exists(dir.resolve("resumed.npy.partial")));
    }

    @Test
    void resumingWithOtherOptionsOrAnotherModelIsRefusedNamingWhatDiffers() throws IOException {
        Path out = dir.resolve("emb.npy");
        interrupted(out);
        CliRun normalized = CliRun.of(embed(out, "--normalize"));
        assertEquals(Vit4jCli.USAGE, normalized.exitCode(), normalized.toString());
        assertTrue(normalized.err().contains("normalize was 'false', now 'true'"), normalized.err());
        CliRun batch = CliRun.of("embed", "--limit", "12", "--batch", "6", "--out", out.toString());
        assertTrue(batch.err().contains("batch_size was '4', now '6'"), batch.err());
        CliRun other = CliRun.of(embed(out, "--model", SharedAssets.resolve("models/deit-tiny-imagenet/hf")
                .toString()));
        assertEquals(Vit4jCli.USAGE, other.exitCode(), other.toString());
        assertTrue(other.err().contains("model.weights was '") && other.err().contains("embedding.width was '128', "
                + "now '192'"), other.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void projectedOnAModelWithoutAProjectionIsRefusedNamingItsArchitecture() {
        CliRun run = CliRun.of(embed(dir.resolve("p.npy"), "--projected"));
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--projected: the model simplevit-cifar10/hf has no projection"), run.err());
        assertTrue(run.err().contains("Architecture[tokens=CLS") && run.err().contains("use --pooled"), run.err());
    }

    @Test
    void anOutputThatIsNeitherNpyNorParquetIsRefusedBeforeAnythingRuns() {
        CliRun run = CliRun.of(embed(dir.resolve("emb.csv")));
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("ends in neither .npy nor .parquet"), run.err());
        assertFalse(Files.exists(dir.resolve("emb.csv.partial")));
    }

    @Test
    void parquetWithoutParquetJavaOnTheClassPathSaysWhatToRun() {
        CliRun run = CliRun.of(embed(dir.resolve("emb.parquet")));
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("parquet-java and Hadoop's client are not on the class path"), run.err());
        assertTrue(run.err().contains("run ./vit"), run.err());
    }

    @Test
    void onSparkTheNpyIsByteForByteTheRunWithoutSparkAndParquetIsWrittenBesideSparksJars() throws Exception {
        Path local = dir.resolve("local.npy");
        assertEquals(0, CliRun.of(embed(local)).exitCode());
        Path spark = dir.resolve("spark.npy");
        SparkChild child = SparkChild.run(dir, List.of(embed(spark, "--spark", "local[2]")));
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("12 images embedded on Spark (local[2], 2 partitions)"), child.output());
        assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(spark));
        assertArrayEquals(Files.readAllBytes(dir.resolve("local.index.csv")),
                Files.readAllBytes(dir.resolve("spark.index.csv")));

        Path parquet = dir.resolve("emb.parquet");
        SparkChild written = SparkChild.run(dir, List.of(embed(parquet)));
        assertEquals(0, written.exitCode(), written.output());
        assertTrue(written.output().contains("wrote " + parquet + "\n"), written.output());
        byte[] bytes = Files.readAllBytes(parquet);
        assertEquals("PAR1", new String(bytes, 0, 4, StandardCharsets.US_ASCII));
        assertEquals("PAR1", new String(bytes, bytes.length - 4, 4, StandardCharsets.US_ASCII));
    }
}
