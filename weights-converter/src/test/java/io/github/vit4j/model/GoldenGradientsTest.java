package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The backward pass against PyTorch autograd in float64 (../shared/reference/simplevit-cifar10/
 * grads_first8_float32.npz): for CIFAR-10 test images 0..7, the gradients of two objectives summed over the images
 * (the logit of the true label; its softmax probability) with respect to the normalised input and every site.
 * Tolerance per site: max |ours − reference| ≤ 1e-4 · max |reference| (a float32 backward against a float64 one;
 * observed ≤ 1.6e-6 on 2026-11-25).
 * The same folder's sites_first8_float32.npz checks every site of the forward under the same names.
 */
class GoldenGradientsTest {

    static final double RELATIVE_TOLERANCE = 1e-4;
    static Pretrained cifar;
    static ImageSource.Batch batch;

    @BeforeAll
    static void load() throws IOException {
        cifar = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"), Optional.empty());
        batch = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 8, cifar.preprocessing());
    }

    static Map<String, INDArray> reference(String file) throws IOException {
        return Npy.readNpz(SharedAssets.resolve("reference/simplevit-cifar10/" + file));
    }

    /** max |actual − reference| / max |reference|. */
    static double relativeDiff(INDArray actual, INDArray reference) {
        assertArrayEquals(reference.shape(), actual.shape(), "shape");
        INDArray r = reference.castTo(DataType.DOUBLE);
        double scale = r.amaxNumber().doubleValue();
        return actual.castTo(DataType.DOUBLE).sub(r).amaxNumber().doubleValue() / (scale == 0 ? 1 : scale);
    }

    @Test
    void theGradientsOfTheTrueLogitAndItsProbabilityMatchPyTorchAtEverySiteAndTheInput() throws IOException {
        Map<String, INDArray> ref = reference("grads_first8_float32.npz");
        int[] labels = batch.labels();
        assertArrayEquals(ref.get("labels").toIntVector(), labels);
        Vit vit = new Vit(cifar.weights());
        Map<String, Double> diffs = new LinkedHashMap<>();
        for (String objective : new String[] {"logit_y", "prob_y"}) {
            Objective o = objective.equals("logit_y") ? Objective.logit(labels) : Objective.probability(labels);
            try (Gradients g = vit.gradients(batch.input(), Map.of(), o)) {
                diffs.put(objective + "/input_normalized",
                        relativeDiff(g.input(), ref.get(objective + "/input_normalized")));
                for (Site site : g.sites()) {
                    INDArray r = ref.get(objective + "/" + site);
                    if (r != null) {
                        diffs.put(objective + "/" + site, relativeDiff(g.get(site), r));
                    }
                }
            }
        }
        long expected = ref.keySet().stream().filter(k -> !k.equals("labels")).count();
        assertTrue(diffs.size() == expected, "compared " + diffs.size() + " of " + expected + " reference arrays: "
                + diffs.keySet());
        diffs.forEach((site, d) -> assertTrue(d <= RELATIVE_TOLERANCE, site + " differs by " + d + " of its"
                + " largest value; all: " + diffs));
    }

    @Test
    void everySiteOfTheForwardMatchesPyTorchUnderVit4jNames() throws IOException {
        Map<String, INDArray> ref = reference("sites_first8_float32.npz");
        Activations run = new Vit(cifar.weights()).run(batch.input(), Keep.all());
        int compared = 0;
        for (Site site : run.sites()) {
            INDArray r = ref.get(site.toString());
            assertTrue(r != null, "no reference for " + site);
            double d = GoldenForwardTest.maxDiff(run.get(site), r);
            assertTrue(d <= GoldenForwardTest.TOLERANCE, site + " differs by " + d);
            compared++;
        }
        assertTrue(compared == 3 + 15 * cifar.config().layers() - cifar.config().layers(),
                "compared " + compared + " sites");
    }
}
