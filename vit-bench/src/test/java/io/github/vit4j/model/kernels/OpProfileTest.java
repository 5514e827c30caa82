package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vit4j.bench.BenchModels;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitWeights;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The profiled forward makes the same calls as {@code Vit.run}: the same logits, so its timings are of that forward. */
class OpProfileTest {

    @Test
    void theProfiledForwardGivesTheLogitsOfTheRealOne() {
        assumeTrue(KernelSet.ONEDNN.runsHere(), "oneDNN's natives load here");
        assertSameLogits(KernelSet.ONEDNN);
    }

    @Test
    void theProfiledForwardOfTheOpenBlasPathGivesItsLogitsToo() {
        assertSameLogits(KernelSet.OPENBLAS);
    }

    private static void assertSameLogits(KernelSet ops) {
        VitWeights weights = BenchModels.weights("cifarVit");
        INDArray pixels = BenchModels.pixels(weights.config(), 2, 7L);
        OpProfile profile = new OpProfile(weights, ops);
        float[] profiled = profile.forward(pixels).dup('c').data().asFloat();
        profile.close();
        try (Activations run = new Vit(weights, ops).run(Input.normalized(pixels), Keep.all(), Map.of())) {
            float[] real = run.logits().dup('c').data().asFloat();
            assertEquals(2 * weights.config().classes(), real.length);
            assertArrayEquals(real, profiled, 1e-5f);
        }
    }
}
