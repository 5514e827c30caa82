package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ActivationsCommandTest {

    @TempDir
    Path dir;

    @Test
    void activationsWritesEverySiteAsNpyWithBatchFirstShapes() throws Exception {
        // 3 images in batches of 2: every site is the concatenation of two runs
        CliRun run = CliRun.of("activations", "--limit", "3", "--batch", "2", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());

        assertArrayEquals(new long[] {3, 64, 128}, shape("embed.npy"));
        assertArrayEquals(new long[] {3, 65, 128}, shape("blocks.0.attn_out.npy"));
        assertArrayEquals(new long[] {3, 65, 128}, shape("blocks.3.resid_post.npy"));
        assertArrayEquals(new long[] {3, 4, 65, 65}, shape("blocks.2.pattern.npy"));
        assertArrayEquals(new long[] {3, 4, 65, 32}, shape("blocks.1.z.npy"));
        assertArrayEquals(new long[] {3, 65, 256}, shape("blocks.0.mlp_post.npy"));
        assertArrayEquals(new long[] {3, 65, 128}, shape("ln_final.npy"));
        assertArrayEquals(new long[] {3, 10}, shape("logits.npy"));
        try (Stream<Path> files = Files.list(dir)) {
            // embed + 4 layers × 14 per-block kinds + ln_final + logits
            assertEquals(1 + 4 * 14 + 2, files.filter(p -> p.toString().endsWith(".npy")).count());
        }
        assertEquals(3, Files.readAllLines(dir.resolve("images.txt")).size());
    }

    @Test
    void activationsOfTheLastBatchLandInTheirRows() throws Exception {
        CliRun run = CliRun.of("activations", "--limit", "3", "--batch", "2", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        INDArray logits = Npy.read(dir.resolve("logits.npy"));
        INDArray reference = Npy.read(SharedAssets.resolve(
                "reference/simplevit-cifar10/logits_first1017_float64.npy")).get(NDArrayIndex.interval(0, 3));
        assertArrayEquals(reference.argMax(1).toLongVector(), logits.argMax(1).toLongVector());
    }

    @Test
    void activationsPrintsHowMuchMemoryItsImagesTake() {
        // CIFAR-10 model: 583,322 floats per image (embed, 4 blocks × 14 sites, ln_final, logits) = 2.33 MB
        CliRun run = CliRun.of("activations", "--limit", "3", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("3 images × 2.3 MB = 7.0 MB held in memory"), run.out());
    }

    @Test
    void activationsOfMoreImagesThanMemoryHoldsAreRefusedUpFrontWithTheEstimateAndWhatToDo() {
        System.setProperty(ActivationsCommand.MEMORY_LIMIT_PROPERTY, "100000000");       // 100 MB
        CliRun run;
        try {
            run = CliRun.of("activations", "--limit", "100000", "--out", dir.resolve("acts").toString());
        } finally {
            System.clearProperty(ActivationsCommand.MEMORY_LIMIT_PROPERTY);
        }
        assertEquals(2, run.exitCode(), run.toString());
        // all 1017 shared images × 2.33 MB = 2.37 GB, over the 100 MB limit
        assertTrue(run.err().contains("1017 images × 2.3 MB = 2.4 GB"), run.err());
        assertTrue(run.err().contains("100.0 MB"), run.err());
        assertTrue(run.err().contains("--limit 42"), run.err());                       // 42 × 2.33 MB ≤ 100 MB
        assertTrue(run.err().contains("VIT4J_JAVA_OPTS"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertFalse(Files.exists(dir.resolve("acts")), "nothing is written");
    }

    @Test
    void oneImageIsOneImageNotOneImages() {
        CliRun run = CliRun.of("activations", "--limit", "1", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("of 1 image to"), run.out());
        assertFalse(run.out().contains("1 images"), run.out());
    }

    private long[] shape(String file) throws Exception {
        return Npy.read(dir.resolve(file)).shape();
    }
}
