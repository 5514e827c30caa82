package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backward's sites outside the blocks: CLIP's embed_ln kept alone, the objective's and the held sites checked
 * against the model's (a site the model lacks is refused by name, not reported as "not kept").
 */
class BackwardSiteChecksTest {

    /** Image 8, patch 4 (4 patches), width 16, 2 layers of 2 heads, MLP 32, eps 1e-6. */
    private static VitConfig small(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
    }

    private static final VitConfig CLIP = small(Architecture.clipVision(6), 6);
    private static final VitConfig VIT = small(Architecture.VIT, 3);

    private static Input pixels(int seed) {
        Nd4j.getRandom().setSeed(seed);
        return Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8).subi(0.5).muli(2));
    }

    @Test
    void clipsEmbedLnGradientIsComputedWhenItIsTheOnlySiteKept() {
        Vit vit = new Vit(VitWeights.random(CLIP, 3), KernelSet.PLAIN);
        try (Activations forward = vit.run(pixels(1), Vit.keepForBackward());
             Gradients all = vit.backward(forward, Objective.logit(2));
             Gradients one = vit.backward(forward, Objective.logit(2), Keep.sites(Site.embedLn()))) {
            INDArray want = all.get(Site.embedLn());
            INDArray got = one.get(Site.embedLn());
            assertArrayEquals(want.shape(), got.shape());
            assertTrue(want.sub(got).amaxNumber().doubleValue() <= 1e-6 * want.amaxNumber().doubleValue(),
                    "embed_ln's gradient kept alone differs from Keep.all()'s");
            assertFalse(one.has(Site.embed()), "embed was not asked for");
            assertThrows(IllegalArgumentException.class, one::input, "the pixels' gradient needs embed kept");
        }
    }

    @Test
    void anObjectiveAtASiteTheModelLacksIsRefusedNamingTheObjective() {
        Vit vit = new Vit(VitWeights.random(VIT, 3), KernelSet.PLAIN);
        Objective atEmbedLn = Objective.direction(Site.embedLn(),
                Nd4j.ones(DataType.FLOAT, Site.embedLn().shape(VIT, 1)));
        try (Activations forward = vit.run(pixels(1), Vit.keepForBackward())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.backward(forward, atEmbedLn));
            assertTrue(e.getMessage().contains("the objective names embed_ln")
                    && e.getMessage().contains("VitConfig.hasSite"), e.getMessage());
            IllegalArgumentException ref = assertThrows(IllegalArgumentException.class,
                    () -> new ReferenceForward(VitWeights.random(VIT, 3)).backward(forward, atEmbedLn));
            assertTrue(ref.getMessage().contains("the objective names embed_ln"), ref.getMessage());
        }
    }

    @Test
    void aHeldMaskAtASiteTheModelLacksIsRefusedNamingTheHeldSite() {
        Vit vit = new Vit(VitWeights.random(VIT, 3), KernelSet.PLAIN);
        try (Activations forward = vit.run(pixels(1), Vit.keepForBackward())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.backward(forward, Objective.logit(0), Keep.all(),
                            Map.of(Site.embedLn(), Nd4j.ones(DataType.FLOAT, 1, 1, 1))));
            assertTrue(e.getMessage().contains("a held site names embed_ln"), e.getMessage());
        }
    }

    @Test
    void aHeldEmbedLnOnARunResumedFromAResidPreIsRefusedAsNotComputed() {
        Vit vit = new Vit(VitWeights.random(CLIP, 3), KernelSet.PLAIN);
        INDArray resid = Nd4j.rand(DataType.FLOAT, Site.residPre(0).shape(CLIP, 1));
        try (Activations forward = vit.run(Input.residPre(0, resid), Vit.keepForBackward())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.backward(forward, Objective.logit(0), Keep.all(),
                            Map.of(Site.embedLn(), Nd4j.ones(DataType.FLOAT, 1, 1, 1))));
            assertTrue(e.getMessage().contains("cannot hold embed_ln fixed"), e.getMessage());
        }
    }

    @Test
    void classifyingWithAModelWithoutClassifierIsRefusedNamingEmbedAndZeroShot() {
        Vit vit = new Vit(VitWeights.random(CLIP, 3), KernelSet.PLAIN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vit.classify(pixels(1)));
        assertTrue(e.getMessage().contains("Vit.classify") && e.getMessage().contains("6-wide embedding")
                && e.getMessage().contains("Vit.embed") && e.getMessage().contains("ZeroShot"), e.getMessage());
    }

    @Test
    void aSoftmaxObjectiveOnAModelWithoutClassifierIsRefusedNamingTheLogitObjective() {
        Vit vit = new Vit(VitWeights.random(CLIP, 3), KernelSet.PLAIN);
        for (Objective o : java.util.List.of(Objective.probability(1), Objective.logProbability(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.gradients(pixels(1), Map.of(), o));
            assertTrue(e.getMessage().contains("the objective " + o) && e.getMessage().contains("Objective.logit"),
                    e.getMessage());
        }
        try (Gradients g = vit.gradients(pixels(1), Map.of(), Objective.logit(1))) {
            assertArrayEquals(new long[] {2, 3, 8, 8}, g.input().shape(), "a logit objective still works");
        }
    }
}
