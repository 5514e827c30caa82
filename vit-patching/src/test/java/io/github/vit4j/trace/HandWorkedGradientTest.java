package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The backward pass worked by hand on {@link HandWorkedTraceTest}'s model (read its javadoc first: 1×1 grey image x,
 * width 2, one block, one head, q = k = 0, v = ln1, proj = 2·I, MLP zero, head = I, eps = 1e-6), at x = 0.5.
 *
 * <p>Two facts about LayerNorm of a 2-vector {@code [a, b]} do most of the work. With {@code δ = (a − b)/2} it is
 * {@code [δ, −δ] / √(δ² + eps)}, so its derivative is
 * <pre>
 *   ∂ LN(a, b)₀ / ∂(a, b) = ½ · eps / (δ² + eps)^{3/2} · [1, −1]     (and the negative for entry 1)
 * </pre>
 * Away from a = b (δ = ±1 or ±½ here) that is about eps ≈ 0: LN forgets everything but the sign. At a = b = 0 it is
 * {@code ½ / √eps = 500}: a zero vector is where LayerNorm is steepest.
 *
 * <p>Tolerances: 1e-5 on values of order 1, 1e-3 on the ±500 of LayerNorm at zero, and 5e-7 absolute on the gradients of order eps, which float32 computes
 * as a difference of numbers near ½ (1 − ½ − 0.499998) and so knows to only a few digits.
 */
class HandWorkedGradientTest {

    static final double EPS = 1e-6;
    static final double TOLERANCE = 1e-5;
    static final double TINY = 5e-7;

    static Gradients gradients(Objective objective) {
        return HandWorkedTraceTest.VIT.gradients(Input.normalized(HandWorkedTraceTest.pixel(0.5f)), Map.of(), objective);
    }

    /**
     * The objective: the first entry of the CLS token's resid_mid, f = ⟨resid_mid, u⟩ with u = 1 at [CLS, 0]. Step by
     * step, top to bottom (rows are tokens: CLS, then the patch):
     * <pre>
     * f = resid_mid[CLS, 0] = 2 · z[CLS, 0] = 2 · ½ (v_CLS + v_patch)[0] = v_patch[0] = x / √(x² + eps) = 0.999998
     * ∂f/∂resid_mid = [[1, 0], [0, 0]]                          the seed
     * ∂f/∂attn_out  = [[1, 0], [0, 0]]                          resid_mid = resid_pre + attn_out
     * ∂f/∂z         = [[2, 0], [0, 0]]                          attn_out = z · (2·I)ᵀ
     * ∂f/∂pattern   = [[0, 2·0.999998], [0, 0]]                 z_i = Σⱼ pattern_ij vⱼ, so ∂/∂pattern_ij = ∂z_i · vⱼ,
     *                                                           with v_CLS = ln1(0, 0) = [0, 0], v_patch = [1, −1]
     * ∂f/∂q = ∂f/∂k = 0                                         scores = q·kᵀ/√2 and q = k = 0: each is the other
     *                                                           times the scores' gradient, so both vanish
     * ∂f/∂v         = [[1, 0], [1, 0]]                          ∂vⱼ = Σᵢ pattern_ij ∂z_i = ½ · [2, 0] for both j
     * ∂f/∂ln1       = [[1, 0], [1, 0]]                          v = ln1 · Iᵀ
     * ∂f/∂resid_pre, CLS   = [1, 0] + [500, −500] = [501, −500] the residual, plus LN at [0, 0]: ½/√eps · [1, −1]
     * ∂f/∂resid_pre, patch = ½ eps/(0.25 + eps)^{3/2} [1, −1]   LN at [0.5, −0.5]: 3.99998e-6 · [1, −1]
     *                      = [4.0e-6, −4.0e-6]                  (the residual adds nothing: u is 0 at the patch)
     * ∂f/∂embed     = [[4.0e-6, −4.0e-6]]                       resid_pre, patch = embed + pos (0)
     * ∂f/∂x         = ⟨[4.0e-6, −4.0e-6], [1, −1]⟩ = 8.0e-6     embed = x · [1, −1]; indeed d/dx x/√(x² + eps)
     *                                                           = eps / (x² + eps)^{3/2} = 7.99995e-6
     * </pre>
     */
    @Test
    void theGradientOfTheClsResidMidFollowsThePencilDerivation() {
        INDArray u = HandWorkedTraceTest.m(new long[] {1, 2, 2}, 1, 0, 0, 0);
        try (Gradients g = gradients(Objective.direction(Site.residMid(0), u))) {
            double ln = 0.5 / Math.sqrt(0.25 + EPS);                                  // v_patch[0] = 0.999998
            assertEquals(ln, g.values()[0], TOLERANCE);
            assertGrad(g, Site.residMid(0), TOLERANCE, 1, 0, 0, 0);
            assertGrad(g, Site.attnOut(0), TOLERANCE, 1, 0, 0, 0);
            assertGrad(g, Site.of(0, Site.Kind.Z), TOLERANCE, 2, 0, 0, 0);
            assertGrad(g, Site.pattern(0), TOLERANCE, 0, 2 * ln, 0, 0);
            assertGrad(g, Site.of(0, Site.Kind.Q), 0, 0, 0, 0, 0);
            assertGrad(g, Site.of(0, Site.Kind.K), 0, 0, 0, 0, 0);
            assertGrad(g, Site.of(0, Site.Kind.V), TOLERANCE, 1, 0, 1, 0);
            assertGrad(g, Site.of(0, Site.Kind.LN1), TOLERANCE, 1, 0, 1, 0);
            double patch = 0.5 * EPS / Math.pow(0.25 + EPS, 1.5);                     // 3.99998e-6
            double[] residPre = g.get(Site.residPre(0)).dup('c').data().asDouble();   // [CLS 0, CLS 1, patch 0, patch 1]
            assertArrayEquals(new double[] {501, -500}, new double[] {residPre[0], residPre[1]}, 1e-3);
            assertArrayEquals(new double[] {patch, -patch}, new double[] {residPre[2], residPre[3]}, TINY);
            assertGrad(g, Site.embed(), TINY, patch, -patch);
            assertEquals(2 * patch, g.input().getDouble(0, 0, 0, 0), TINY);
            // and the sites above resid_mid get nothing
            assertGrad(g, Site.logits(), 0, 0, 0);
        }
    }

    /**
     * The objective p(class 0) = 1 / (1 + e^(l₁ − l₀)) = 0.880797 stops almost at once:
     * <pre>
     * ∂p₀/∂logits    = p₀ (e₀ − p) = p₀ (1 − p₀) · [1, −1] = 0.104994 · [1, −1]
     * ∂p₀/∂ln_final  = CLS: the same (head = I); patch: [0, 0] (the head reads CLS only)
     * ∂p₀/∂resid_post, CLS = 0.104994 · 2 · ½ eps/(1 + eps)^{3/2} · [1, −1] ≈ 1e-7 · [1, −1]
     *                                                          LN at [1, −1]: both logits move together, and
     *                                                          LN of a 2-vector only knows the sign
     * </pre>
     * So to first order nothing below the final LayerNorm changes p₀: here saliency is zero, not because the
     * pixel does not matter (the trace shows it decides everything) but because the model is saturated.
     */
    @Test
    void theProbabilitysGradientDiesInTheSaturatedFinalLayerNorm() {
        double p = HandWorkedTraceTest.P_CLEAN;
        double slope = p * (1 - p);                                                     // 0.104994
        try (Gradients g = gradients(Objective.probability(0))) {
            assertEquals(p, g.values()[0], TOLERANCE);
            assertGrad(g, Site.logits(), TOLERANCE, slope, -slope);
            assertGrad(g, Site.lnFinal(), TOLERANCE, slope, -slope, 0, 0);
            double cls = slope * EPS / Math.pow(1 + EPS, 1.5);                          // 1.05e-7
            assertGrad(g, Site.residPost(0), TINY, cls, -cls, 0, 0);
            assertEquals(0, g.input().getDouble(0, 0, 0, 0), TINY);
        }
    }

    /** The gradient at {@code site}, flattened in C order, equals {@code expected} within {@code tolerance}. */
    private static void assertGrad(Gradients g, Site site, double tolerance, double... expected) {
        assertArrayEquals(expected, g.get(site).dup('c').data().asDouble(), tolerance, site.toString());
    }
}
