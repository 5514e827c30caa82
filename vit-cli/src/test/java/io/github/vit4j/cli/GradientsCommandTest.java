package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code vit gradients} on the CIFAR-10 model against PyTorch autograd (../shared/reference/simplevit-cifar10/
 * grads_first8_float32.npz, per image, summed here over the 8 images):
 * max |ours − reference| ≤ 1e-4 · max |reference|.
 */
class GradientsCommandTest {

    static final double RELATIVE_TOLERANCE = 1e-4;
    static final String[] SITES = {"blocks.3.mlp_pre", "blocks.1.pattern", "blocks.0.resid_pre", "embed", "ln_final"};
    static Map<String, INDArray> reference;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws Exception {
        reference = Npy.readNpz(SharedAssets.resolve("reference/simplevit-cifar10/grads_first8_float32.npz"));
    }

    @Test
    void theLogitAndProbabilityGradientsSummedOverBatchesMatchPyTorch() throws Exception {
        for (String[] objective : new String[][] {{"logit", "logit_y"}, {"prob", "prob_y"}}) {
            Path out = dir.resolve(objective[0]);
            // 8 images in batches of 3, 3 and 2: the files are sums over three backward passes
            CliRun run = CliRun.of("gradients", "--limit", "8", "--batch", "3", "--objective", objective[0],
                    "--label", "true", "--out", out.toString());
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.out().contains("summed over 8 images"), run.out());
            for (String site : SITES) {
                assertWithinTolerance(objective[1] + "/" + site, Npy.read(out.resolve(site + ".npy")),
                        reference.get(objective[1] + "/" + site));
            }
            assertWithinTolerance(objective[1] + "/input_normalized", Npy.read(out.resolve("input.npy")),
                    reference.get(objective[1] + "/input_normalized"));
            assertEquals(8, Files.readAllLines(out.resolve("images.txt")).size());
        }
    }

    @Test
    void pixelsAreTheInputGradientOverEachChannelsStd() throws Exception {
        CliRun run = CliRun.of("gradients", "--limit", "2", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        INDArray input = Npy.read(dir.resolve("input.npy"));
        INDArray pixels = Npy.read(dir.resolve("pixels.npy"));
        assertArrayEquals(new long[] {1, 3, 32, 32}, pixels.shape());
        double[] std = {0.2470, 0.2435, 0.2616};                  // preprocessor_config.json of the CIFAR model
        for (int c = 0; c < 3; c++) {
            INDArray expected = input.slice(0).slice(c).div(std[c]);
            double diff = pixels.slice(0).slice(c).sub(expected).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-6 * expected.amaxNumber().doubleValue(), "channel " + c + " differs by " + diff);
        }
        try (Stream<Path> files = Files.list(dir)) {
            // every site (embed + 4 layers × 14 + ln_final + logits) + input + pixels
            assertEquals(1 + 4 * 14 + 2 + 2, files.filter(p -> p.toString().endsWith(".npy")).count());
        }
    }

    @Test
    void aFixedClassAndTheCleanTopClassAreAccepted() throws Exception {
        CliRun fixed = CliRun.of("gradients", "--limit", "2", "--label", "3", "--out", dir.resolve("k").toString());
        assertEquals(0, fixed.exitCode(), fixed.toString());
        assertTrue(Files.readAllLines(dir.resolve("k/images.txt")).stream()
                .allMatch(l -> l.split("\t")[2].equals("3")), fixed.out());
        CliRun top = CliRun.of("gradients", "--limit", "2", "--label", "clean-top1", "--objective", "logit-diff",
                "--out", dir.resolve("top").toString());
        assertEquals(0, top.exitCode(), top.toString());
        // the top class wins: logit y − the largest other logit is positive for each image
        assertTrue(Files.readAllLines(dir.resolve("top/images.txt")).stream()
                .allMatch(l -> Double.parseDouble(l.split("\t")[3]) >= 0), top.out());
    }

    @Test
    void imagesWithoutLabelsAreRefusedForTheTrueLabelWithAHint() {
        CliRun run = CliRun.of("gradients", "--images",
                SharedAssets.resolve("data/images/imagenet_val_00000001.png").toString(),
                "--model", SharedAssets.resolve("models/simplevit-cifar10/hf").toString(), "--out", dir.toString());
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("has no label") && run.err().contains("--label clean-top1"), run.err());
    }

    @Test
    void badObjectiveAndLabelAreRefusedNamingTheValue() {
        CliRun objective = CliRun.of("gradients", "--objective", "loss", "--out", dir.toString());
        assertEquals(Vit4jCli.USAGE, objective.exitCode(), objective.toString());
        assertTrue(objective.err().contains("'loss'") && objective.err().contains("logit-diff"), objective.err());
        CliRun label = CliRun.of("gradients", "--label", "10", "--limit", "1", "--out", dir.toString());
        assertEquals(Vit4jCli.USAGE, label.exitCode(), label.toString());
        assertTrue(label.err().contains("--label 10") && label.err().contains("0..9"), label.err());
    }

    private static void assertWithinTolerance(String name, INDArray ours, INDArray perImage) {
        INDArray ref = perImage.castTo(DataType.DOUBLE).sum(true, 0);
        assertArrayEquals(ref.shape(), ours.shape(), name + " shape");
        double scale = ref.amaxNumber().doubleValue();
        double diff = ours.castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue();
        assertTrue(diff <= RELATIVE_TOLERANCE * scale, name + " differs by " + diff + ", max |ref| " + scale);
    }
}
