package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link ReferenceForward} built without a kernel set, and its backward, run on the plain kernels (a {@link Vit}
 * on {@link KernelSet#configured()}: oneDNN's here): they read the weights afresh at every run (no packed copy, nothing reused), and the
 * fast path on its own kernels gives their values at every site.
 */
class ReferenceOnPlainKernelsTest {

    static final VitConfig CONFIG = new VitConfig(32, 8, 3, 48, 2, 3, 96, 1e-6, VitConfig.numberedLabels(7));

    @Test
    void aReferenceBuiltWithoutAKernelSetRunsOnThePlainOnesWhereVitRunsOnTheConfiguredOnes() {
        VitWeights w = VitWeights.random(CONFIG, 1);
        assertEquals(KernelSet.PLAIN, new ReferenceForward(w).kernels());
        assertEquals(KernelSet.configured(), new Vit(w).kernels());
        assertEquals(KernelSet.OPENBLAS, new ReferenceForward(w, KernelSet.OPENBLAS).kernels());
    }

    /** oneDNN packs each weight matrix once and keeps it: a weight written after a run would not show there. */
    @Test
    void theReferenceReadsItsWeightsAtEveryRunSoAHeadWrittenBetweenRunsShowsInTheLogits() {
        VitWeights w = VitWeights.random(CONFIG, 2);
        ReferenceForward reference = new ReferenceForward(w);
        INDArray pixels = GradientCheck.pixels(CONFIG, 2, 3);
        INDArray before = reference.run(Input.normalized(pixels), Keep.logitsOnly()).logits().dup();
        assertTrue(before.amaxNumber().doubleValue() > 0, "a head of random weights gives logits of its own");
        w.head().weight().assign(0);
        INDArray after = reference.run(Input.normalized(pixels), Keep.logitsOnly()).logits();
        for (int i = 0; i < 2; i++) {
            assertEquals(w.head().bias(), after.getRow(i), "logits of a zero head are its bias, image " + i);
        }
    }

    @Test
    void theReferencesBackwardReadsItsWeightsAtEveryRunSoAZeroHeadPassesNoGradient() {
        VitWeights w = VitWeights.random(CONFIG, 4);
        ReferenceForward reference = new ReferenceForward(w);
        INDArray pixels = GradientCheck.pixels(CONFIG, 1, 5);
        Keep need = Vit.keepForBackward();
        try (Activations f = reference.run(Input.normalized(pixels), need);
             Gradients g = reference.backward(f, Objective.logit(0))) {
            assertTrue(g.input().amaxNumber().doubleValue() > 0, "a random head passes a gradient to the pixels");
        }
        w.head().weight().assign(0);
        try (Activations f = reference.run(Input.normalized(pixels), need);
             Gradients g = reference.backward(f, Objective.logit(0))) {
            assertEquals(0.0, g.get(Site.lnFinal()).amaxNumber().doubleValue(), "d logit / d ln_final = the zero head");
            assertEquals(0.0, g.input().amaxNumber().doubleValue(), "nothing reaches the pixels");
        }
    }

    /**
     * The fast path on its default kernels (oneDNN here) gives the reference's gradients on the plain kernels at every
     * site and the input: within 1e-5 of each array's largest value, as the kernel sets agree with each other
     * ({@code BackwardKernelsTest}).
     */
    @Test
    void theFastPathsBackwardEqualsTheReferencesOnThePlainKernelsAtEverySite() {
        VitWeights w = GradientCheck.weights(CONFIG, 6);
        INDArray pixels = GradientCheck.pixels(CONFIG, 2, 7);
        Vit vit = new Vit(w);
        ReferenceForward reference = new ReferenceForward(w);
        Objective objective = Objective.logitDiff(5, 1);
        try (Activations fast = vit.run(Input.normalized(pixels), Keep.all());
             Activations plain = reference.run(Input.normalized(pixels), Keep.all());
             Gradients a = vit.backward(fast, objective);
             Gradients b = reference.backward(plain, objective)) {
            assertEquals(b.sites(), a.sites());
            for (Site s : b.sites()) {
                BackwardKernelsTest.assertClose(a.get(s), b.get(s), 1e-5, s.toString());
            }
            BackwardKernelsTest.assertClose(a.input(), b.input(), 1e-5, "the input");
            assertArrayEquals(b.values(), a.values(), 1e-5 * Math.max(1, Arrays.stream(b.values()).map(Math::abs)
                    .max().orElse(0)));
        }
    }
}
