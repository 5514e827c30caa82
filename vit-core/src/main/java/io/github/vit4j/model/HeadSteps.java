package io.github.vit4j.model;

import io.github.vit4j.model.kernels.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The pooling steps of the families' heads, shared by the forward passes and (for their intermediates) the backward:
 * a token's row, DINOv2's concat(CLS, mean of patches), SigLIP's attention pooling with a learned probe.
 */
final class HeadSteps {

    private HeadSteps() {
    }

    /** Row {@code token} of {@code x} {@code [B, T, D]}: a new {@code [B, D]}. */
    static INDArray row(INDArray x, int token) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.point(token), NDArrayIndex.all()).dup('c')
                .reshape(x.size(0), x.size(2));
    }

    /** {@code concat(x[:, 0], mean of x[:, first:])}, {@code x} {@code [B, T, D]}: a new {@code [B, 2D]}. */
    static INDArray clsAndPatchMean(INDArray x, int first) {
        INDArray patches = x.get(NDArrayIndex.all(), NDArrayIndex.interval(first, x.size(1)), NDArrayIndex.all());
        return Nd4j.concat(1, row(x, 0), patches.mean(1).castTo(DataType.FLOAT).reshape(x.size(0), x.size(2)));
    }

    /** CLIP's projection as a linear map without bias: weight {@code [P, D']}, bias zeros. */
    static VitWeights.Linear projection(VitWeights weights) {
        INDArray w = weights.extras().projection();
        return new VitWeights.Linear(w, Nd4j.zeros(DataType.FLOAT, w.size(0)));
    }

    /**
     * SigLIP's attention pooling of {@code x} {@code [B, T, D]} and everything its backward needs: the probe's query
     * q {@code [B, H, 1, d]}, the tokens' k and v {@code [B, H, T, d]}, the pattern {@code [B, H, 1, T]}, the
     * attention's output a {@code [B, D]} (the MLP's residual input), the MLP's pre-activation {@code [B, M]} and the
     * result {@code pooled = a + fc2(act(fc1(norm(a))))} {@code [B, D]}.
     */
    record Probe(INDArray q, INDArray k, INDArray v, INDArray pattern, INDArray attended, INDArray mlpPre,
                 INDArray pooled) {
    }

    static Probe attentionProbe(Ops ops, INDArray x, VitWeights.AttentionPool w, int heads,
                                Architecture.Activation activation, double eps) {
        int b = (int) x.size(0);
        int t = (int) x.size(1);
        int d = (int) x.size(2);
        int dh = d / heads;
        INDArray probe = w.latent().reshape(1, d);                                               // [1, D]
        INDArray q1 = ops.linear(probe, w.q());                                                  // [1, D]
        INDArray q = q1.reshape(1, heads, 1, dh).broadcast(b, heads, 1, dh).dup('c');            // [B, H, 1, d]
        INDArray kv = ops.linear(x.reshape((long) b * t, d), w.kv());                            // [B·T, 2D]
        INDArray kvHeads = kv.reshape(b, t, 2, heads, dh);                                       // [B, T, 2, H, d]
        INDArray k = kvHeads.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3).dup('c');                                // [B, H, T, d]
        INDArray v = kvHeads.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3).dup('c');                                // [B, H, T, d]
        INDArray pattern = ops.softmax(ops.scores(q, k, 1.0 / Math.sqrt(dh)));                  // [B, H, 1, T]
        INDArray z = ops.mix(pattern, v);                                                        // [B, H, 1, d]
        INDArray attended = ops.linear(z.reshape(b, d), w.proj());                               // [B, D]
        INDArray mlpPre = ops.linear(ops.layerNorm(attended, w.norm(), eps), w.fc1());           // [B, M]
        INDArray pooled = ops.add(attended, ops.linear(ops.activation(mlpPre, activation), w.fc2())); // [B, D]
        return new Probe(q, k, v, pattern, attended, mlpPre, pooled);
    }
}
