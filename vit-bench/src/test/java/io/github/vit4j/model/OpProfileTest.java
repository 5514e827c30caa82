package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.bench.BenchModels;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The profiled forward makes the same calls as {@code Vit.run}: the same logits, so its timings are of that forward. */
class OpProfileTest {

    @Test
    void theProfiledForwardGivesTheLogitsOfTheRealOne() {
        assertSameLogits(CpuOps.INSTANCE);
    }

    @Test
    void theProfiledForwardOfTheOpenBlasPathGivesItsLogitsToo() {
        assertSameLogits(CpuOps.OPENBLAS);
    }

    private static void assertSameLogits(CpuOps ops) {
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
