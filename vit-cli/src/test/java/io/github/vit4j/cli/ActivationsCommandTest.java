package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    private long[] shape(String file) throws Exception {
        return Npy.read(dir.resolve(file)).shape();
    }
}
