package io.github.vit4j.circuit;

import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm over the last axis, forward and backward, for the residual inputs of single nodes (which the model's
 * own forward never normalises: it normalises the whole stream). {@code y = x̂ · γ + β} with {@code x̂ = (x − μ)/σ},
 * {@code σ = √(var + eps)}, the biased variance, as PyTorch does. Rows {@code [N·T, D]} with row and column vector
 * operations (ND4J's general broadcasting is ten times slower on these shapes); temporaries are freed at once, as
 * an EAP over a dataset would otherwise leave hundreds of MB of them to the garbage collector.
 */
final class Norms {

    private Norms() {
    }

    /** LayerNorm of {@code x} {@code [N, T, D]}: a new array. */
    static INDArray forward(INDArray x, VitWeights.LayerNorm p, double eps) {
        long[] shape = x.shape();
        INDArray rows = x.dup('c').reshape(shape[0] * shape[1], shape[2]);
        INDArray inv = inverseSigma(rows, eps);
        INDArray mean = rows.mean(1).reshape(rows.size(0), 1);
        rows.subiColumnVector(mean).muliColumnVector(inv).muliRowVector(p.weight()).addiRowVector(p.bias());
        NodeOutputs.free(inv);
        NodeOutputs.free(mean);
        return rows.reshape(shape);
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
        INDArray xHat = x.dup('c').reshape(x.size(0) * x.size(1), x.size(2));
        INDArray inv = inverseSigma(xHat, eps);                                                   // [·, 1]
        INDArray mean = xHat.mean(1).reshape(xHat.size(0), 1);
        xHat.subiColumnVector(mean).muliColumnVector(inv);
        NodeOutputs.free(mean);
        if (x.size(0) != n) {
            INDArray one = xHat;
            INDArray oneInv = inv;
            xHat = Nd4j.tile(one, (int) n, 1);                                                     // [N·T, D]
            inv = Nd4j.tile(oneInv, (int) n, 1);
            NodeOutputs.free(one);
            NodeOutputs.free(oneInv);
        }
        INDArray g = dy.dup('c').reshape(rows, shape[2]).muliRowVector(p.weight());
        INDArray meanG = g.mean(1).reshape(rows, 1);
        INDArray gx = g.mul(xHat);
        INDArray meanGx = gx.mean(1).reshape(rows, 1);
        g.subiColumnVector(meanG).subi(xHat.muliColumnVector(meanGx)).muliColumnVector(inv);
        for (INDArray a : new INDArray[] {xHat, inv, meanG, gx, meanGx}) {
            NodeOutputs.free(a);
        }
        return g.reshape(shape);
    }

    /** {@code 1/√(var + eps)} of each row, {@code [R, 1]}: a new array. */
    private static INDArray inverseSigma(INDArray rows, double eps) {
        INDArray mean = rows.mean(1).reshape(rows.size(0), 1);
        INDArray centred = rows.subColumnVector(mean);
        INDArray var = centred.muli(centred).mean(1).reshape(rows.size(0), 1);
        NodeOutputs.free(mean);
        NodeOutputs.free(centred);
        return Transforms.pow(var.addi(eps), -0.5, false);
    }
}
