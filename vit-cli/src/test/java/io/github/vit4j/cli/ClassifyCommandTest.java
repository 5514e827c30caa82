package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ClassifyCommandTest {

    @TempDir
    Path dir;

    @Test
    void classifyOnFirst16CifarImagesWritesLogitsWhoseArgmaxMatchesTheReference() throws Exception {
        Path logits = dir.resolve("logits.npy");
        CliRun run = CliRun.of("classify", "--limit", "16", "--batch", "6", "--logits", logits.toString());
        assertEquals(0, run.exitCode(), run.toString());

        INDArray ours = Npy.read(logits);
        assertEquals(DataType.FLOAT, ours.dataType());
        assertArrayEquals(new long[] {16, 10}, ours.shape());
        INDArray reference = Npy.read(SharedAssets.resolve(
                "reference/simplevit-cifar10/logits_first1017_float64.npy")).get(NDArrayIndex.interval(0, 16));
        assertArrayEquals(reference.argMax(1).toLongVector(), ours.argMax(1).toLongVector(),
                "top-1 class of every image, in input order, across batches of 6");
        double maxDiff = ours.castTo(DataType.DOUBLE).sub(reference).amaxNumber().doubleValue();
        assertTrue(maxDiff < 1e-3, "logits within 1e-3 of the float64 reference (float32 forward), got " + maxDiff);
    }

    @Test
    void classifyPrintsTopKWithLabelNamesAndTheAccuracy() {
        CliRun run = CliRun.of("classify", "--limit", "4", "--top", "2");
        assertEquals(0, run.exitCode(), run.toString());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].startsWith("test_batch_first1017.bin#0") && lines[0].contains("[cat]")
                && lines[0].contains("cat 0."), lines[0]);
        assertTrue(run.out().contains("top-1 accuracy: 4/4"), run.out());
    }
}
