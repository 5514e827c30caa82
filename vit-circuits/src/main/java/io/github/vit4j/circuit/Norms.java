package io.github.vit4j.circuit;

import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm over the last axis, forward and backward, for the residual inputs of single nodes (which the model's
 * own forward never normalises: it normalises the whole stream). {@code y = (x − μ)/σ · γ + β} with
 * {@code σ = √(var + eps)}, the biased variance, as PyTorch does.
 */
final class Norms {

    private Norms() {
    }

    /** LayerNorm of {@code x} {@code [N, T, D]}: a new array. */
    static INDArray forward(INDArray x, VitWeights.LayerNorm p, double eps) {
        INDArray xHat = normalized(x, eps);
        long[] shape = x.shape();
        return xHat.muli(p.weight().reshape(1, 1, shape[2]).broadcast(shape))
                .addi(p.bias().reshape(1, 1, shape[2]).broadcast(shape));
    }

    /**
     * The gradient of LayerNorm's input given {@code dy} {@code [N, T, D]}, the gradient of its output, at input
     * {@code x} {@code [T, D]} (the same for all N gradients) or {@code [N, T, D]}:
     * {@code dx = (g − mean(g) − x̂ · mean(g · x̂)) / σ} with {@code g = dy · γ}, means over D.
     */
    static INDArray backward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps) {
        long[] shape = dy.shape();
        INDArray x3 = x.rank() == 2 ? x.reshape(1, x.size(0), x.size(1)) : x;
        INDArray xHat = normalized(x3, eps);
        INDArray inv = inverseSigma(x3, eps);                                               // [N or 1, T, 1]
        INDArray xHatB = x3.size(0) == shape[0] ? xHat : xHat.broadcast(shape);
        INDArray g = dy.mul(p.weight().reshape(1, 1, shape[2]).broadcast(shape));
        INDArray meanG = g.mean(true, 2);                                                   // [N, T, 1]
        INDArray meanGx = g.mul(xHatB).mean(true, 2);                                      // [N, T, 1]
        INDArray dx = g.subi(meanG.broadcast(shape)).subi(xHatB.mul(meanGx.broadcast(shape)));
        return dx.muli(inv.broadcast(shape));
    }

    /** {@code (x − μ)/σ} over the last axis: a new array. */
    private static INDArray normalized(INDArray x, double eps) {
        long[] shape = x.shape();
        INDArray centred = x.sub(x.mean(true, 2).broadcast(shape));
        return centred.muli(inverseSigma(x, eps).broadcast(shape));
    }

    /** {@code 1/√(var + eps)} over the last axis, {@code [N, T, 1]}. */
    private static INDArray inverseSigma(INDArray x, double eps) {
        INDArray var = x.var(false, 2).reshape(x.size(0), x.size(1), 1);
        return Transforms.pow(var.addi(eps), -0.5, false);
    }
}
