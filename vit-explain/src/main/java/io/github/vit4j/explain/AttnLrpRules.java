package io.github.vit4j.explain;

import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AttnLRP's rules (Achtibat et al. 2024; their LXT library), on double matrices of one image: each takes an
 * operation's inputs and the relevance R of its output and returns its inputs' relevance. Denominators are
 * stabilised as LXT does, {@code z + ε · sign(z)} (sign 0 counted +), ε = {@value #EPSILON}.
 */
final class AttnLrpRules {

    /** The ε of every denominator. */
    static final double EPSILON = 1e-6;

    private AttnLrpRules() {
    }

    /** {@code z + ε · sign(z)}, sign(0) = +1. */
    static INDArray stabilise(INDArray z) {
        INDArray sign = z.gte(0).castTo(DataType.DOUBLE).muli(2).subi(1);
        return z.add(sign.muli(EPSILON));
    }

    /**
     * The ε-rule of a linear layer {@code z = x · Wᵀ + b}: {@code R_x = x ⊙ ((R / (z + ε)) · W)}; the bias keeps
     * {@code b ⊙ R / (z + ε)}.
     *
     * @param x [N, in]
     * @param r [N, out]
     */
    static INDArray linear(INDArray x, VitWeights.Linear layer, INDArray r) {
        INDArray w = layer.weight().castTo(DataType.DOUBLE);
        INDArray z = x.mmul(w.transpose()).addiRowVector(layer.bias().castTo(DataType.DOUBLE));
        return x.mul(r.div(stabilise(z)).mmul(w));
    }

    /**
     * LayerNorm with σ held fixed (AttnLRP's identity rule on the normalisation), then the ε-rule on the linear map
     * {@code y = γ (x − mean x) / σ + β} per row: {@code R_x = x / σ ⊙ (g − mean g)}, {@code g = γ ⊙ R / (y + ε)}.
     *
     * @param x [N, D], the LayerNorm's input
     * @param r [N, D], the relevance of its output
     */
    static INDArray layerNorm(INDArray x, VitWeights.LayerNorm norm, INDArray r, double eps) {
        INDArray gamma = norm.weight().castTo(DataType.DOUBLE);
        INDArray centred = x.subColumnVector(x.mean(true, 1));
        INDArray sigma = Transforms.sqrt(centred.mul(centred).mean(true, 1).addi(eps), false);  // [N, 1]
        INDArray y = centred.divColumnVector(sigma).muliRowVector(gamma)
                .addiRowVector(norm.bias().castTo(DataType.DOUBLE));
        INDArray g = r.div(stabilise(y)).muliRowVector(gamma);
        return x.divColumnVector(sigma).muli(g.subColumnVector(g.mean(true, 1)));
    }

    /** The ε-rule of a sum {@code y = a + b}: {@code R_a = a ⊙ R / (y + ε)}, likewise b. */
    static INDArray[] add(INDArray a, INDArray b, INDArray r) {
        INDArray s = r.div(stabilise(a.add(b)));
        return new INDArray[] {a.mul(s), b.mul(s)};
    }

    /**
     * The uniform rule of a product {@code y = x · w}: half of the ε-rule's relevance to each operand,
     * {@code R_x = ½ x ⊙ (S · wᵀ)}, {@code R_w = ½ w ⊙ (xᵀ · S)}, {@code S = R / (y + ε)}.
     */
    static INDArray[] product(INDArray x, INDArray w, INDArray r) {
        INDArray s = r.div(stabilise(x.mmul(w)));
        return new INDArray[] {x.mul(s.mmul(w.transpose())).muli(0.5), w.mul(x.transpose().mmul(s)).muli(0.5)};
    }

    /**
     * AttnLRP's softmax rule, row by row: {@code R_x = x ⊙ (R − s · Σ R)} with x the scores and s = softmax(x) the
     * output (the relevance of a first-order Taylor expansion at x, the bias term dropped).
     *
     * @param scores [N, M]
     * @param s      [N, M], softmax of scores over each row
     * @param r      [N, M], the relevance of s
     */
    static INDArray softmax(INDArray scores, INDArray s, INDArray r) {
        return scores.mul(r.sub(s.mulColumnVector(r.sum(true, 1))));
    }
}
