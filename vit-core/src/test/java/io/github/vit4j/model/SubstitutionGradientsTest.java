package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The backward respects a run's substitutions both ways. A site replaced whole cuts the graph: its gradient is that
 * of the array used, and nothing flows to what produced the original. A masked site passes gradient upstream only
 * where the mask kept the computed value. Checked exactly (zeros are exact zeros; unmasked rows equal the site's
 * gradient bit for bit) and against finite differences of the double oracle run with the same substitution, with
 * {@link FiniteDifferenceGradientsTest}'s tolerance ({@code 1e-4·|fd| + 1e-6·‖g‖‖u‖}).
 */
class SubstitutionGradientsTest {

    static final VitConfig CONFIG = GradientCheck.SMALL;
    static final VitWeights WEIGHTS = GradientCheck.weights(CONFIG, 31);
    static final INDArray PIXELS = GradientCheck.pixels(CONFIG, 2, 32);
    /** The run the substituted arrays come from: other images. */
    static final Activations DONOR = new Vit(WEIGHTS, KernelSet.configured()).run(Input.normalized(GradientCheck.pixels(CONFIG, 2, 33)), Keep.all());
    static final Vit VIT = new Vit(WEIGHTS, KernelSet.configured());

    /**
     * resid_post of layer 0 replaced whole: every site of layer 0 below it, the embedding and the input get exactly
     * zero; resid_post itself and everything after it match finite differences of the substituted run.
     */
    @Test
    void aResidPostReplacedWholeCutsEverythingBelowIt() {
        Site cut = Site.residPost(0);
        Map<Site, Substitution> subs = Map.of(cut, Substitution.whole(DONOR.get(cut)));
        GradientCheck check = new GradientCheck(WEIGHTS, PIXELS, subs);
        GradientCheck.Pair objective = check.logProbability(3);
        try (Gradients g = VIT.gradients(Input.normalized(PIXELS), subs, objective.objective())) {
            List<Site> sites = GradientCheck.everySite(CONFIG);
            List<Site> below = sites.subList(0, sites.indexOf(cut));
            for (Site s : below) {
                assertEquals(0.0, maxAbs(g.get(s)), s + " is below a site replaced whole");
            }
            assertEquals(0.0, maxAbs(g.input()), "the input is below a site replaced whole");
            assertTrue(maxAbs(g.get(cut)) > 0, "the substituted site has the gradient of the array used");
            assertMatches(check, objective, g);
        }
    }

    /**
     * attn_out of layer 1 replaced whole: ln1, q, k, v, pattern and z of layer 1 get exactly zero, while resid_pre of
     * layer 1, and so all of layer 0, still get gradient through the residual path and the MLP; all match finite
     * differences.
     */
    @Test
    void anAttnOutReplacedWholeCutsTheAttentionButNotTheResidualPath() {
        Site cut = Site.attnOut(1);
        Map<Site, Substitution> subs = Map.of(cut, Substitution.whole(DONOR.get(cut)));
        GradientCheck check = new GradientCheck(WEIGHTS, PIXELS, subs);
        GradientCheck.Pair objective = check.logit(0, 4);
        try (Gradients g = VIT.gradients(Input.normalized(PIXELS), subs, objective.objective())) {
            for (Site.Kind kind : List.of(Site.Kind.LN1, Site.Kind.Q, Site.Kind.K, Site.Kind.V, Site.Kind.PATTERN,
                    Site.Kind.Z)) {
                assertEquals(0.0, maxAbs(g.get(Site.of(1, kind))), kind + " is inside the replaced attention");
            }
            assertTrue(maxAbs(g.get(Site.residPre(1))) > 0, "resid_pre still reaches the output past attention");
            assertTrue(maxAbs(g.input()) > 0, "so does the input");
            assertMatches(check, objective, g);
        }
    }

    /**
     * resid_mid of layer 0 with tokens 1 and 3 of image 0 and token 0 of image 1 taken from the donor (mask
     * {@code [B, T, 1]}): attn_out of layer 0 gets zero in exactly those rows and resid_mid's own gradient in the
     * others; every site matches finite differences of the masked run (resid_pre of layer 0 included, whose replaced
     * rows lose the residual path but keep what flows back through attention to their q, k and v).
     */
    @Test
    void aMaskedResidMidPassesGradientOnlyWhereTheRunKeptItsOwnValue() {
        Site site = Site.residMid(0);
        int[][] selected = {{0, 1}, {0, 3}, {1, 0}};
        INDArray mask = Nd4j.zeros(2, CONFIG.tokens(), 1);
        for (int[] s : selected) {
            mask.putScalar(new int[] {s[0], s[1], 0}, 1.0);
        }
        Map<Site, Substitution> subs = Map.of(site, Substitution.masked(DONOR.get(site), mask));
        GradientCheck check = new GradientCheck(WEIGHTS, PIXELS, subs);
        GradientCheck.Pair objective = check.probability(1);
        try (Gradients g = VIT.gradients(Input.normalized(PIXELS), subs, objective.objective())) {
            INDArray dResidMid = g.get(site);
            INDArray dAttnOut = g.get(Site.attnOut(0));
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < CONFIG.tokens(); t++) {
                    boolean replaced = mask.getDouble(b, t, 0) == 1;
                    assertEquals(replaced ? Nd4j.zeros(CONFIG.hiddenSize()) : row(dResidMid, b, t),
                            row(dAttnOut, b, t), "attn_out at image " + b + " token " + t);
                    if (replaced) {
                        assertTrue(maxAbs(row(dResidMid, b, t)) > 0, "the used value at a replaced row matters");
                    }
                }
            }
            assertMatches(check, objective, g);
        }
    }

    private static void assertMatches(GradientCheck check, GradientCheck.Pair objective, Gradients g) {
        for (GradientCheck.Comparison c : check.compare(objective, g, GradientCheck.everySite(CONFIG), 200)) {
            assertTrue(c.within(FiniteDifferenceGradientsTest.RELATIVE, FiniteDifferenceGradientsTest.ABSOLUTE),
                    objective + " at " + c);
        }
    }

    private static INDArray row(INDArray a, int b, int t) {
        return a.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all());
    }

    static double maxAbs(INDArray a) {
        return a.amaxNumber().doubleValue();
    }
}
