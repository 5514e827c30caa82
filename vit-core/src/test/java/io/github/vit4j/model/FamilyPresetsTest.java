package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every family preset on seeded random weights: the fast path equals the reference at every site, and the
 * backward's input gradient agrees with a central difference of the forward along a random direction. (The golden
 * tests against Hugging Face's models are in weights-converter's {@code FamilyGoldenTest}.)
 */
class FamilyPresetsTest {

    /** Image 8, patch 4 (4 patches), width 16, 2 layers of 2 heads, MLP 32, eps 1e-6. */
    private static VitConfig small(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("clip vision", small(Architecture.clipVision(6), 6)),
                Arguments.of("clip zero-shot", small(Architecture.clipVision(6).withCosineHead(), 3)),
                Arguments.of("dinov2", small(Architecture.dinov2(0, 0), 16)),
                Arguments.of("dinov2 cosine head", small(Architecture.dinov2(0, 0).withCosineHead(), 3)),
                Arguments.of("vit cosine head", small(Architecture.VIT.withCosineHead(), 3)),
                Arguments.of("dinov2 registers classifier", small(Architecture.dinov2Classifier(3, 0), 5)),
                Arguments.of("siglip", small(Architecture.siglipVision(), 16)),
                Arguments.of("deit distilled", small(Architecture.deitDistilled(), 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theFastPathEqualsTheReferenceAtEverySiteOfEveryFamily(String name, VitConfig config) {
        assertFastPathEqualsReference(name, config, Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8).subi(0.5).muli(2));
    }

    /** Every site of a run of {@code config}'s random model on {@code x}: the fast path's within 1e-5 of the reference's. */
    static void assertFastPathEqualsReference(String name, VitConfig config, INDArray x) {
        VitWeights w = VitWeights.random(config, 7);
        try (Activations ref = new ReferenceForward(w).run(Input.normalized(x), Keep.all());
             Activations fast = new Vit(w, KernelSet.configured()).run(Input.normalized(x), Keep.all())) {
            assertEquals(config.sites(), ref.sites().stream().toList(), name + ": the reference's sites");
            for (Site s : config.sites()) {
                INDArray a = ref.get(s);
                INDArray b = fast.get(s);
                assertArrayEquals(a.shape(), b.shape(), name + " " + s);
                double scale = Math.max(1e-3, a.amaxNumber().doubleValue());
                double diff = a.sub(b).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-5 * scale, name + " " + s + ": differs by " + diff + " of " + scale);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void aRunThatKeepsNoMlpPreGetsTheActivationFromInsideFc1sProductEqualToTheReference(String name, VitConfig config) {
        // keeping mlp_post but not mlp_pre: fc1 and the activation run as one product on oneDNN (its post-op)
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8).subi(0.5).muli(2);
        VitWeights w = VitWeights.random(config, 7);
        Keep posts = Keep.sites(Site.mlpPost(0), Site.mlpPost(1), Site.logits());
        try (Activations ref = new ReferenceForward(w).run(Input.normalized(x), Keep.all());
             Activations fast = new Vit(w, KernelSet.configured()).run(Input.normalized(x), posts)) {
            assertTrue(!fast.has(Site.mlpPre(0)), name + ": mlp_pre was not kept");
            for (Site s : new Site[] {Site.mlpPost(0), Site.mlpPost(1), Site.logits()}) {
                INDArray a = ref.get(s);
                double scale = Math.max(1e-3, a.amaxNumber().doubleValue());
                double diff = a.sub(fast.get(s)).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-5 * scale, name + " " + s + ": differs by " + diff + " of " + scale);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theInputGradientAgreesWithACentralDifferenceForEveryFamily(String name, VitConfig config) {
        assertInputGradientAgrees(name, config, 8, 8);
    }

    /**
     * The input gradient of a random logit of {@code config}'s random model at a random {@code [1, 3, h, w]} input,
     * along a random direction u: within 2e-3·‖g‖‖u‖ of the central difference with step 1e-2.
     */
    static void assertInputGradientAgrees(String name, VitConfig config, int h, int w) {
        Vit vit = new Vit(VitWeights.random(config, 11), KernelSet.PLAIN);
        int k = new Random(3).nextInt(config.classes());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, h, w).subi(0.5).muli(2);
        INDArray u = Nd4j.rand(DataType.FLOAT, 1, 3, h, w).subi(0.5);
        Gradients g = vit.gradients(Input.normalized(x), Map.of(), Objective.logit(k));
        assertArrayEquals(x.shape(), g.input().shape(), name);
        double eps = 1e-2;
        double plus = vit.logits(Input.normalized(x.add(u.mul(eps)))).getDouble(0, k);
        double minus = vit.logits(Input.normalized(x.sub(u.mul(eps)))).getDouble(0, k);
        double fd = (plus - minus) / (2 * eps);
        double backward = g.input().castTo(DataType.DOUBLE).mul(u.castTo(DataType.DOUBLE)).sumNumber().doubleValue();
        double norms = g.input().norm2Number().doubleValue() * u.norm2Number().doubleValue();
        assertTrue(Math.abs(fd - backward) <= 2e-3 * norms, name + ": finite difference " + fd + ", backward "
                + backward + " (‖g‖‖u‖ " + norms + ")");
    }

    @org.junit.jupiter.api.Test
    void aSubstitutionAtTheEmbeddingOfARunResumedAtBlockZeroIsRefusedAsNeverUsed() {
        VitConfig config = small(Architecture.clipVision(6), 6);
        Vit vit = new Vit(VitWeights.random(config, 5), KernelSet.PLAIN);
        INDArray resid = Nd4j.zeros(DataType.FLOAT, 1, config.tokens(), config.hiddenSize());
        for (Site site : java.util.List.of(Site.embed(), Site.embedLn())) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> vit.run(Input.residPre(0, resid), Keep.logitsOnly(), Map.of(site, Substitution.whole(
                            Nd4j.zeros(DataType.FLOAT, site.shape(config, 1))))));
            assertTrue(e.getMessage().contains(site + " is never used"), e.getMessage());
        }
    }
}
