package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Attribution patching on a random-weight model of the CIFAR-10 model's shape (4 layers, 4 heads, 65 tokens): the
 * estimate is the first-order term of the exact IE, and every number it reports is the dot product it claims.
 */
class AttributionPatchingTest {

    static final VitConfig CONFIG = VitConfig.cifar10();
    static final Vit VIT = new Vit(VitWeights.random(CONFIG, 5));
    static final AttributionPatching ATP = new AttributionPatching(VIT);
    static final CausalTrace.Spec ALL_KINDS = CausalTrace.Spec.defaults();                // window 3, all tokens, prob

    static INDArray pixels(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, new long[] {batch, 3, 32, 32}, 'c');
    }

    static Activations clean(INDArray x, CausalTrace.Spec spec) {
        return VIT.run(Input.normalized(x), AttributionPatching.keepForClean(spec));
    }

    static Activations corrupted(INDArray x, CausalTrace.Spec spec) {
        return VIT.run(Input.normalized(x), AttributionPatching.keepForCorrupted(spec).and(Patcher.keepForResume(CONFIG)));
    }

    static AttributionPatching.Estimate estimate(INDArray clean, INDArray corrupt, int y, CausalTrace.Spec spec,
                                                 TraceMethod method) {
        return ATP.estimate(clean(clean, spec), corrupted(corrupt, spec), new int[] {y}, spec, method).get(0);
    }

    static double maxAbs(double[][] a) {
        double m = 0;
        for (double[] r : a) {
            for (double v : r) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    /**
     * max over cells |estimate − exact| / max |exact| for a corruption x + eps · noise, restoring every token over
     * a window of w layers.
     */
    static double relativeError(double eps, int w) {
        CausalTrace.Spec spec = new CausalTrace.Spec(ALL_KINDS.kinds(), w, Tokens.all(), Metric.LOGIT_DIFF);
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(eps));
        Activations clean = clean(x, spec);
        Activations corrupted = corrupted(corrupt, spec);
        double[][] exact = new CausalTrace(new Patcher(VIT)).trace(clean, corrupted, 3, spec).effect();
        double[][] est = ATP.estimate(clean, corrupted, new int[] {3}, spec, TraceMethod.atp()).get(0).cells()
                .effect();
        double worst = 0;
        for (int k = 0; k < exact.length; k++) {
            for (int l = 0; l < exact[k].length; l++) {
                worst = Math.max(worst, Math.abs(est[k][l] - exact[k][l]));
            }
        }
        return worst / maxAbs(exact);
    }

    @Test
    void theEstimateIsTheExactIndirectEffectToFirstOrder() {
        // the error of a first-order estimate is O(eps²) against an effect of O(eps): relative error O(eps)
        for (int w : new int[] {1, 3}) {
            double coarse = relativeError(0.1, w);
            double fine = relativeError(0.01, w);
            assertTrue(fine < 0.02, "window " + w + ": at eps 0.01 every cell within 2% of the largest effect: "
                    + fine);
            assertTrue(fine < coarse / 4, "window " + w + ": ten times closer inputs, at least four times smaller"
                    + " relative error: " + coarse + " → " + fine);
        }
    }

    @Test
    void aCellIsTheDotProductOfTheActivationDifferenceAndTheGradientOverItsWindowAndTokens() {
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.MLP), 3, Tokens.positions(0, 5), Metric.PROB);
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(0.5));
        Activations clean = VIT.run(Input.normalized(x), Keep.all());
        Activations corrupted = VIT.run(Input.normalized(corrupt), Keep.all());
        double cell = ATP.estimate(clean, corrupted, new int[] {7}, spec, TraceMethod.atp()).get(0).cells()
                .effect()[0][2];
        // by hand: mlp_out of layers 1, 2, 3 (the window of 3 around 2), tokens 0 and 5, each site's gradient taken
        // with the window's restored elements held fixed (partial derivatives: the joint restoration's first order)
        INDArray tokens = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), 1);
        tokens.putScalar(new long[] {0, 0, 0}, 1f);
        tokens.putScalar(new long[] {0, 5, 0}, 1f);
        Gradients g = VIT.backward(corrupted, Objective.probability(7), Keep.all(),
                Map.of(Site.mlpOut(1), tokens, Site.mlpOut(2), tokens, Site.mlpOut(3), tokens));
        double byHand = 0;
        for (int l = 1; l <= 3; l++) {
            Site s = Site.mlpOut(l);
            INDArray product = clean.get(s).sub(corrupted.get(s)).mul(g.get(s));             // [1, T, D]
            for (int t : new int[] {0, 5}) {
                byHand += product.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all())
                        .sumNumber().doubleValue();
            }
        }
        assertEquals(byHand, cell, 1e-6 * Math.abs(byHand) + 1e-9, "float32 products summed in another order");
        assertTrue(Math.abs(byHand) > 1e-6, "a cell that is not trivially 0: " + byHand);
    }

    /**
     * Restoring resid_post at every token of layers a..b restores everything after b whatever a is: the joint
     * restoration is the restoration of layer b alone. The estimate knows it: with the window's sites held fixed, no
     * gradient reaches the earlier layers' resid_post, so a window's cell is its last layer's single-layer cell
     * (summing the single-layer cells instead would count the same effect once per layer).
     */
    @Test
    void aResidWindowOverEveryTokenIsEstimatedAsItsLastLayerAlone() {
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(0.5));
        List<SweepKind> resid = List.of(SweepKind.RESID);
        double[][] single = estimate(x, corrupt, 2, new CausalTrace.Spec(resid, 1, Tokens.all(), Metric.PROB),
                TraceMethod.atp()).cells().effect();
        double[][] windowed = estimate(x, corrupt, 2, new CausalTrace.Spec(resid, 3, Tokens.all(), Metric.PROB),
                TraceMethod.atp()).cells().effect();
        for (int l = 0; l < CONFIG.layers(); l++) {
            int last = Window.around(l, 3, CONFIG.layers()).last();
            assertEquals(single[0][last], windowed[0][l], 1e-7, "layer " + l);
        }
        assertTrue(Math.abs(single[0][1]) > 1e-4, "a cell that is not trivially 0: " + single[0][1]);
    }

    @Test
    void perTokenEstimatesSumToTheCellOverTheRestoredTokens() {
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(0.5));
        CausalTrace.Spec patches = new CausalTrace.Spec(ALL_KINDS.kinds(), 3, Tokens.patches(), Metric.NORMALIZED);
        CausalTrace.Spec patchesProb = new CausalTrace.Spec(ALL_KINDS.kinds(), 3, Tokens.patches(), Metric.PROB);
        AttributionPatching.Estimate all = estimate(x, corrupt, 2, ALL_KINDS, TraceMethod.atp());
        AttributionPatching.Estimate some = estimate(x, corrupt, 2, patches, TraceMethod.atp());
        AttributionPatching.Estimate someProb = estimate(x, corrupt, 2, patchesProb, TraceMethod.atp());
        double pc = all.cells().pClean();
        double pk = all.cells().pCorrupt();
        for (int k = 0; k < 3; k++) {
            for (int l = 0; l < CONFIG.layers(); l++) {
                double everyToken = 0;
                double patchTokens = 0;
                for (int t = 0; t < CONFIG.tokens(); t++) {
                    everyToken += all.perToken()[k][l][t];
                    patchTokens += t == 0 ? 0 : some.perToken()[k][l][t];
                }
                assertEquals(all.cells().effect()[k][l], everyToken, 1e-12);
                assertEquals(some.cells().effect()[k][l], patchTokens, 1e-12);
                // the normalised map is the prob map divided by p_clean − p_corrupt
                assertEquals(someProb.perToken()[k][l][9] / (pc - pk), some.perToken()[k][l][9], 1e-9);
            }
        }
    }

    @Test
    void perHeadEstimatesOfZSumToTheAttentionCell() {
        // attn_out = W_o · concat(z) + b is linear in z, so (Δz · ∂m/∂z) summed over heads = Δattn_out · ∂m/∂attn_out
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(0.5));
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.ATTN), 3, Tokens.cls(), Metric.LOGIT_DIFF);
        AttributionPatching.Estimate e = estimate(x, corrupt, 4, spec, TraceMethod.atp());
        double scale = maxAbs(e.cells().effect());
        for (int l = 0; l < CONFIG.layers(); l++) {
            double heads = 0;
            for (double h : e.perHead()[l]) {
                heads += h;
            }
            assertEquals(e.cells().effect()[0][l], heads, 1e-4 * scale, "layer " + l + ": float32 rounding");
        }
        assertTrue(scale > 1e-4, "attention matters in this model: " + scale);
    }

    @Test
    void integratedGradientsWithOneStepIsAttributionPatchingAtTheMidpoint() {
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.RESID), 1, Tokens.all(), Metric.PROB);
        INDArray x = pixels(1, 1);
        INDArray corrupt = x.add(pixels(1, 2).muli(0.5));
        Activations clean = clean(x, spec);
        Activations corrupted = corrupted(corrupt, spec);
        double cell = ATP.estimate(clean, corrupted, new int[] {1}, spec, TraceMethod.atpIg(1)).get(0).cells()
                .effect()[0][1];
        // by hand: the gradient at the run halfway between the corrupted and the clean input
        INDArray mid = clean.get(Site.residPre(0)).add(corrupted.get(Site.residPre(0))).muli(0.5);
        Gradients g = VIT.gradients(Input.residPre(0, mid), java.util.Map.of(), Objective.probability(1));
        Site s = Site.residPost(1);
        double byHand = clean.get(s).sub(corrupted.get(s)).mul(g.get(s)).sumNumber().doubleValue();
        assertEquals(byHand, cell, 1e-5 * Math.abs(byHand) + 1e-9);
        double atCorrupted = ATP.estimate(clean, corrupted, new int[] {1}, spec, TraceMethod.atp()).get(0).cells()
                .effect()[0][1];
        assertTrue(Math.abs(atCorrupted - cell) > 1e-3 * Math.abs(cell), "the midpoint is another point: "
                + atCorrupted + " vs " + cell);
    }

    @Test
    void integratedGradientsWithThreeStepsAveragesTheGradientsAtTheThreeMidpointsOfThePath() {
        // the three steps run as the rows of one run, and their gradients are summed before the one dot product
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.RESID, SweepKind.ATTN), 1, Tokens.all(),
                Metric.PROB);
        INDArray x = pixels(1, 1);
        Activations clean = clean(x, spec);
        Activations corrupted = corrupted(x.add(pixels(1, 2).muli(0.5)), spec);
        AttributionPatching.Estimate e = ATP.estimate(clean, corrupted, new int[] {1}, spec, TraceMethod.atpIg(3))
                .get(0);
        INDArray from = corrupted.get(Site.residPre(0));
        INDArray delta = clean.get(Site.residPre(0)).sub(from);
        double[] byHand = new double[2];
        for (int j = 0; j < 3; j++) {                                              // α = 1/6, 1/2, 5/6
            Gradients g = VIT.gradients(Input.residPre(0, delta.mul((j + 0.5) / 3).addi(from)), java.util.Map.of(),
                    Objective.probability(1));
            int k = 0;
            for (Site s : new Site[] {Site.residPost(1), Site.attnOut(1)}) {
                byHand[k++] += clean.get(s).sub(corrupted.get(s)).mul(g.get(s)).sumNumber().doubleValue() / 3;
            }
        }
        assertEquals(byHand[0], e.cells().effect()[0][1], 1e-5 * Math.abs(byHand[0]) + 1e-9, "resid");
        assertEquals(byHand[1], e.cells().effect()[1][1], 1e-5 * Math.abs(byHand[1]) + 1e-9, "attn");
    }

    /**
     * {@link HandWorkedTraceTest}'s 1-layer model, where the estimate can be followed with a pencil, and where it
     * fails as a first-order estimate must: everything reaches the logits through the final LayerNorm of a
     * 2-vector {@code [a, b]}, whose output is ±[1, −1] (a sign) and so flat: its derivative is ε/(2·((a−b)²/4 + ε)^1.5)
     * ≈ 5e-7 per unit of a − b at the corrupted run's a − b = −2. The exact IE of resid and attn is the whole
     * 0.761594; the estimate is 2·p(1−p)·5e-7·4 ≈ 4e-7 (p = p_corrupt = 0.119). mlp_out is 0 in both runs, so its
     * estimate is exactly 0, like its IE.
     */
    @Test
    void onTheHandWorkedModelTheEstimateMissesWhatASaturatedLayerNormHides() {
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.RESID, SweepKind.ATTN, SweepKind.MLP), 1,
                Tokens.all(), Metric.PROB);
        AttributionPatching.Estimate e = new AttributionPatching(HandWorkedTraceTest.VIT).estimate(
                HandWorkedTraceTest.CLEAN, HandWorkedTraceTest.CORRUPT, new int[] {0}, spec, TraceMethod.atp()).get(0);
        double p = HandWorkedTraceTest.P_CORRUPT;
        double flat = 2 * p * (1 - p) * 0.5e-6 * 4;                                                // ≈ 4.2e-7
        assertEquals(flat, e.cells().effect()[0][0], 2e-7, "resid: float32 LayerNorm backward near its flat point");
        assertEquals(flat, e.cells().effect()[1][0], 2e-7, "attn: the same path to the logits");
        assertEquals(0.0, e.cells().effect()[2][0], 0.0, "mlp: nothing changed, so nothing to estimate");
        assertEquals(HandWorkedTraceTest.P_CLEAN, e.cells().pClean(), HandWorkedTraceTest.TOLERANCE);
        assertEquals(e.cells().pCorrupt() + e.cells().effect()[0][0], e.cells().pPatched()[0][0], 1e-12);
    }

    @Test
    void aBatchGivesEachImageWhatItGetsAlone() {
        // 9 images: atp-ig:2's steps run one after the other (9 rows each; 2 · 9 > MAX_ROWS); one image alone: both
        // steps stacked as the rows of one run
        INDArray x = pixels(9, 1);
        INDArray corrupt = x.add(pixels(9, 2).muli(0.5));
        int[] targets = {1, 5, 9, 0, 2, 3, 4, 6, 7};
        List<AttributionPatching.Estimate> batched = ATP.estimate(clean(x, ALL_KINDS), corrupted(corrupt, ALL_KINDS),
                targets, ALL_KINDS, TraceMethod.atpIg(2));
        for (int i = 0; i < 3; i++) {
            INDArray xi = x.get(NDArrayIndex.interval(i, i + 1)).dup();
            INDArray ci = corrupt.get(NDArrayIndex.interval(i, i + 1)).dup();
            AttributionPatching.Estimate alone = estimate(xi, ci, targets[i], ALL_KINDS, TraceMethod.atpIg(2));
            double scale = maxAbs(alone.cells().effect());
            for (int k = 0; k < 3; k++) {
                for (int l = 0; l < CONFIG.layers(); l++) {
                    assertEquals(alone.cells().effect()[k][l], batched.get(i).cells().effect()[k][l], 1e-5 * scale,
                            "image " + i + " kind " + k + " layer " + l);
                }
            }
            for (int l = 0; l < CONFIG.layers(); l++) {
                assertEquals(alone.perHead()[l][2], batched.get(i).perHead()[l][2], 1e-5 * scale);
            }
        }
    }

    @Test
    void runsThatDidNotKeepWhatTheEstimateNeedsAreRefusedNamingTheKeep() {
        INDArray x = pixels(1, 1);
        Activations clean = VIT.run(Input.normalized(x), CausalTrace.keepForClean(ALL_KINDS));
        Activations corrupted = corrupted(x, ALL_KINDS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ATP.estimate(clean, corrupted, new int[] {0}, ALL_KINDS, TraceMethod.atp()));
        assertTrue(e.getMessage().contains("clean run") && e.getMessage().contains("keepForClean"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ATP.estimate(clean(x, ALL_KINDS), corrupted, new int[] {0}, ALL_KINDS, TraceMethod.exact()));
    }
}
