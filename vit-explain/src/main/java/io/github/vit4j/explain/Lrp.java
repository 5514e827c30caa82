package io.github.vit4j.explain;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The layer-wise relevance propagation rules of Chefer, Gur &amp; Wolf (CVPR 2021), as their reference code
 * ({@code modules/layers_ours.py} of hila-chefer/Transformer-Explainability) applies them, on double matrices of one
 * image. A rule takes a layer's inputs and the relevance {@code R} of its output and returns the relevance of its
 * inputs; each conserves {@code Σ R} up to what its stabiliser and its dropped terms lose (said per rule).
 */
final class Lrp {

    /** The stabiliser of every division: {@code a / (b + 1e-9)}, and 0 where b is 0 (their {@code safe_divide}). */
    static final double EPSILON = 1e-9;

    private Lrp() {
    }

    /**
     * A linear layer {@code y = x · Wᵀ + b}, the α = 1, β = 0 rule (the paper's rule for layers with weights,
     * its Sec. 3.1: only the pairs with {@code x_j w_ij ≥ 0} take part, the bias none):
     * {@code R_j = Σ_i (x_j w_ij)⁺ / Σ_j' (x_j' w_ij')⁺ · R_i}, computed as {@code x⁺ ⊙ (S · W⁺) + x⁻ ⊙ (S · W⁻)} with {@code S = R / (x⁺ · W⁺ᵀ + x⁻ · W⁻ᵀ)}. Conserves Σ R except
     * the relevance of an output without a positive contribution, which is dropped.
     *
     * @param x [N, in]
     * @param w [out, in]
     * @param r [N, out]
     * @return [N, in]
     */
    static INDArray linear(INDArray x, INDArray w, INDArray r) {
        INDArray px = Transforms.relu(x, true);
        INDArray nx = Transforms.min(x, 0.0, true);
        INDArray pw = Transforms.relu(w, true);
        INDArray nw = Transforms.min(w, 0.0, true);
        INDArray z = px.mmul(pw.transpose()).addi(nx.mmul(nw.transpose()));                 // [N, out]
        INDArray s = safeDivide(r, z);
        return px.muli(s.mmul(pw)).addi(nx.muli(s.mmul(nw)));                                // [N, in]
    }

    /**
     * A sum {@code y = a + b} (a skip connection): the generic rule of Sec. 3.1 ({@code R_a = a ⊙ ∂y/∂a ⊙ R / y}, the
     * same for b) then the normalisation of Sec. 3.2 for skip connections: each part rescaled so that its sum is
     * {@code |Σ R_a| / (|Σ R_a| + |Σ R_b|)} of {@code Σ R} (and {@code Σ R_b} likewise), which conserves Σ R exactly.
     *
     * @return {R_a, R_b}, each of a's shape
     */
    static INDArray[] add(INDArray a, INDArray b, INDArray r) {
        INDArray s = safeDivide(r, a.add(b));
        INDArray ra = a.mul(s);
        INDArray rb = b.mul(s);
        double sa = ra.sumNumber().doubleValue();
        double sb = rb.sumNumber().doubleValue();
        double total = r.sumNumber().doubleValue();
        double fa = safeDivide(Math.abs(sa), Math.abs(sa) + Math.abs(sb)) * total;
        double fb = safeDivide(Math.abs(sb), Math.abs(sa) + Math.abs(sb)) * total;
        return new INDArray[] {ra.muli(safeDivide(fa, sa)), rb.muli(safeDivide(fb, sb))};
    }

    /**
     * A product of two matrices {@code y = x · w} (attention's {@code q · kᵀ} and {@code A · v}): the generic rule for
     * each operand, {@code R_x = x ⊙ (S · wᵀ)} and {@code R_w = w ⊙ (xᵀ · S)} with {@code S = R / y}, each halved,
     * as their code does (each alone sums to Σ R, so the halves conserve it).
     *
     * @param x [N, K]
     * @param w [K, M]
     * @param r [N, M]
     * @return {R_x [N, K], R_w [K, M]}
     */
    static INDArray[] product(INDArray x, INDArray w, INDArray r) {
        INDArray s = safeDivide(r, x.mmul(w));
        return new INDArray[] {x.mul(s.mmul(w.transpose())).muli(0.5), w.mul(x.transpose().mmul(s)).muli(0.5)};
    }

    /** {@code a / (b + ε)} elementwise, 0 where b is 0. */
    static INDArray safeDivide(INDArray a, INDArray b) {
        INDArray den = b.add(EPSILON);
        den.addi(den.eq(0).castTo(DataType.DOUBLE).muli(EPSILON));
        return a.div(den).muli(b.neq(0).castTo(DataType.DOUBLE));
    }

    private static double safeDivide(double a, double b) {
        if (b == 0) {
            return 0;
        }
        double den = b + EPSILON;
        return a / (den == 0 ? EPSILON : den);
    }
}
