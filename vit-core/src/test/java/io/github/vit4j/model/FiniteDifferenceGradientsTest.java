package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The backward pass against finite differences of an independent double-precision forward ({@link DoubleVit}), for
 * every site kind at both layers of a small random model, the embedding, ln_final, the logits and the input, batch 2,
 * for each kind of {@link Objective}.
 *
 * <p>Tolerance: {@code |fd − ⟨g, u⟩| ≤ 1e-4·|fd| + 1e-6·‖g‖·‖u‖}. The first term is the float32 backward's relative
 * error (a chain of about 40 float32 operations, each off by a few 1e-7); the second covers a directional derivative
 * that is small by chance (⟨g, u⟩ ≪ ‖g‖‖u‖), where float32 rounding of the elements of g, about 1e-7·‖g‖ each, does
 * not cancel. A wrong term in any derivative (a factor 0.999 included) breaks the first bound at the sites below it.
 */
class FiniteDifferenceGradientsTest {

    static final double RELATIVE = 1e-4;
    static final double ABSOLUTE = 1e-6;

    static final VitConfig CONFIG = GradientCheck.SMALL;
    static final VitWeights WEIGHTS = GradientCheck.weights(CONFIG, 21);
    static final INDArray PIXELS = GradientCheck.pixels(CONFIG, 2, 22);
    static final Vit VIT = new Vit(WEIGHTS, KernelSet.configured());
    static final GradientCheck CHECK = new GradientCheck(WEIGHTS, PIXELS, Map.of());

    /**
     * The oracle is right: vit4j's float32 forward agrees with it at every site within 1e-5 of the site's largest
     * value (float32 rounding through two blocks; observed ≈ 1e-6).
     */
    @Test
    void theDoubleOracleComputesTheSameForwardAsVit4j() {
        Activations run = VIT.run(Input.normalized(PIXELS), Keep.all());
        Map<Site, double[]> oracle = CHECK.run();
        assertEquals(run.sites(), oracle.keySet());
        for (Site site : run.sites()) {
            double[] ours = DoubleVit.doubles(run.get(site));
            double[] theirs = oracle.get(site);
            double max = 0;
            double err = 0;
            for (int i = 0; i < ours.length; i++) {
                max = Math.max(max, Math.abs(theirs[i]));
                err = Math.max(err, Math.abs(ours[i] - theirs[i]));
            }
            assertTrue(err <= 1e-5 * max, site + ": float32 differs from double by " + err + " of max " + max);
        }
    }

    /**
     * The oracle's erfc (and so its exact GELU) is right to double precision: against tabulated values, within 1e-15
     * absolute below 3 and 1e-13 relative in the tail, where GELU's left side lives.
     */
    @Test
    void theOraclesErfcIsAccurateToDoublePrecision() {
        assertEquals(1 - 0.5204998778130465, DoubleVit.erfc(0.5), 1e-15);
        assertEquals(1 - 0.8427007929497149, DoubleVit.erfc(1), 1e-15);
        assertEquals(1 + 0.9953222650189527, DoubleVit.erfc(-2), 1e-15);
        assertEquals(2.2090496998585438e-05, DoubleVit.erfc(3), 1e-13 * 2.2090496998585438e-05);
        assertEquals(1.5374597944280351e-12, DoubleVit.erfc(5), 1e-13 * 1.5374597944280351e-12);
        assertEquals(-5 * 0.5 * 5.733031437583892e-7, DoubleVit.gelu(-5), 1e-13 * 1.5e-6);
    }

    @Test
    void logitGradientsMatchFiniteDifferencesEverywhere() {
        assertMatches(CHECK.logit(1, 3));
    }

    @Test
    void probabilityGradientsMatchFiniteDifferencesEverywhere() {
        assertMatches(CHECK.probability(2));
    }

    @Test
    void logProbabilityGradientsMatchFiniteDifferencesEverywhere() {
        assertMatches(CHECK.logProbability(4, 0));
    }

    @Test
    void logitDiffGradientsMatchFiniteDifferencesEverywhere() {
        assertMatches(CHECK.logitDiff(0, 2));
    }

    /**
     * A direction in layer 0's mlp_post (one for both images): every site above it (mlp_out of layer 0 and later,
     * ln_final, logits) has gradient exactly zero, and every site below it matches finite differences.
     */
    @Test
    void aDirectionAtAMidSiteGivesZeroAboveItAndTheRightGradientBelow() {
        Site mlpPost = Site.of(0, Site.Kind.MLP_POST);
        INDArray direction = GradientCheck.gaussian(mlpPost.shape(CONFIG, 1), 23);
        GradientCheck.Pair objective = GradientCheck.direction(mlpPost, direction);
        try (Gradients g = VIT.gradients(Input.normalized(PIXELS), Map.of(), objective.objective())) {
            List<Site> forwardOrder = GradientCheck.everySite(CONFIG);
            List<Site> above = forwardOrder.subList(forwardOrder.indexOf(mlpPost) + 1, forwardOrder.size());
            assertEquals(List.of(Site.mlpOut(0), Site.residPost(0), Site.residPre(1)), above.subList(0, 3));
            for (Site s : above) {
                assertEquals(0.0, g.get(s).amaxNumber().doubleValue(), s + " is above the objective's site");
            }
        }
        assertMatches(objective);
    }

    private static void assertMatches(GradientCheck.Pair objective) {
        try (Gradients g = VIT.gradients(Input.normalized(PIXELS), Map.of(), objective.objective())) {
            List<GradientCheck.Comparison> all = CHECK.compare(objective, g, GradientCheck.everySite(CONFIG), 100);
            for (GradientCheck.Comparison c : all) {
                assertTrue(c.within(RELATIVE, ABSOLUTE), objective + " at " + c);
            }
        }
    }
}
