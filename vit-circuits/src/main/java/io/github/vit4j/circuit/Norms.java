package io.github.vit4j.circuit;

import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm over the last axis, forward and backward, for the residual inputs of single nodes (which the model's
 * own forward never normalises: it normalises the whole stream). {@code y = x̂ · γ + β} with {@code x̂ = (x − μ)/σ},
 * {@code σ = √(var + eps)}, the biased variance, as PyTorch does. Rows {@code [N·T, D]} with row and column vector
 * operations (ND4J's general broadcasting is ten times slower on these shapes).
 */
final class Norms {

    private Norms() {
    }

    /** LayerNorm of {@code x} {@code [N, T, D]}: a new array. */
    static INDArray forward(INDArray x, VitWeights.LayerNorm p, double eps) {
        long[] shape = x.shape();
        INDArray rows = x.dup('c').reshape(shape[0] * shape[1], shape[2]);
        INDArray xHat = normalize(rows, eps);
        return xHat.muliRowVector(p.weight()).addiRowVector(p.bias()).reshape(shape);
    }

    /**
     * The gradient of LayerNorm's input given {@code dy} {@code [N, T, D]}, the gradient of its output, at input
     * {@code x} {@code [1, T, D]} (the same for all N gradients) or {@code [N, T, D]}:
     * {@code dx = (g − mean(g) − x̂ · mean(g · x̂)) / σ} with {@code g = dy · γ}, means over D.
     */
    static INDArray backward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps) {
        long[] shape = dy.shape();
        long n = shape[0];
        long rows = n * shape[1];
        INDArray xRows = x.dup('c').reshape(x.size(0) * x.size(1), x.size(2));
        INDArray inv = inverseSigma(xRows, eps);                                                  // [·, 1]
        INDArray xHat = xRows.subColumnVector(xRows.mean(1).reshape(xRows.size(0), 1)).muliColumnVector(inv);
        if (x.size(0) != n) {
            xHat = Nd4j.tile(xHat, (int) n, 1);                                                    // [N·T, D]
            inv = Nd4j.tile(inv, (int) n, 1);
        }
        INDArray g = dy.dup('c').reshape(rows, shape[2]).muliRowVector(p.weight());
        INDArray meanG = g.mean(1).reshape(rows, 1);
        INDArray meanGx = g.mul(xHat).mean(1).reshape(rows, 1);
        return g.subiColumnVector(meanG).subi(xHat.muliColumnVector(meanGx)).muliColumnVector(inv).reshape(shape);
    }

    /** {@code (x − μ)/σ} of each row of {@code rows} {@code [R, D]}: a new array. */
    private static INDArray normalize(INDArray rows, double eps) {
        return rows.subColumnVector(rows.mean(1).reshape(rows.size(0), 1)).muliColumnVector(inverseSigma(rows, eps));
    }

    /** {@code 1/√(var + eps)} of each row, {@code [R, 1]}. */
    private static INDArray inverseSigma(INDArray rows, double eps) {
        INDArray centred = rows.subColumnVector(rows.mean(1).reshape(rows.size(0), 1));
        INDArray var = centred.muli(centred).mean(1).reshape(rows.size(0), 1);
        return Transforms.pow(var.addi(eps), -0.5, false);
    }
}
