package io.github.vit4j.model.kernels;

import static io.github.vit4j.model.kernels.HostMemory.contiguous;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitWeights;
import java.util.Arrays;
import java.util.function.BiConsumer;
import org.bytedeco.dnnl.global.dnnl;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The oneDNN kernels ({@link KernelSet#ONEDNN}): every product and most elementwise steps are oneDNN primitives
 * ({@link OneDnn}) on the arrays' memory: the linear layers with their weights packed once and the bias in the kernel,
 * the per-head products (the scores scaled by the kernel), LayerNorm, softmax, the three GELUs and the residual adds.
 * The rest (head split and merge, embeddings, the backward's elementwise steps) is the Java of {@link CpuOps}. Where
 * oneDNN's natives load: Linux and Windows on x86-64, Linux on ARM64, Intel Macs.
 */
final class OneDnnOps extends CpuOps {

    static final OneDnnOps INSTANCE = new OneDnnOps();

    private OneDnnOps() {
    }

    @Override
    INDArray linearInto(INDArray x, VitWeights.Linear w, INDArray y) {
        OneDnn.linear(contiguous(x), w, y);
        return y;
    }

    @Override
    INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB, INDArray out) {
        OneDnn.perHead(a, b, transposeA, transposeB, 1f, out);
        return out;
    }

    /** oneDNN's binary add for arrays of one shape; ND4J's broadcasting add otherwise. */
    @Override
    public INDArray add(INDArray a, INDArray b) {
        INDArray out = SiteMemory.SHARED.floats(a.shape());
        if (!Arrays.equals(a.shape(), b.shape())) {
            return a.add(b, out);
        }
        OneDnn.add(contiguous(a), contiguous(b), out);
        return out;
    }

    @Override
    public INDArray scores(INDArray q, INDArray k, double scale) {
        INDArray s = scoresScratch(q, k);
        OneDnn.perHead(contiguous(q), contiguous(k), false, true, (float) scale, s);         // scaled by the kernel
        return s;
    }

    @Override
    public INDArray softmax(INDArray x) {
        return sameShape(x, OneDnn::softmax);
    }

    @Override
    public INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        return sameShape(x, (src, out) -> OneDnn.layerNorm(src, p, (float) eps, out));
    }

    @Override
    public INDArray gelu(INDArray x) {
        return eltwise(x, Architecture.Activation.GELU);
    }

    /** oneDNN's reorder reads the part's columns of each row straight into the heads' layout. */
    @Override
    INDArray split(INDArray rows, int parts, int part, int batch, int heads) {
        INDArray src = contiguous(rows);
        long t = src.size(0) / batch;
        long d = src.size(1) / parts;
        long dh = d / heads;
        INDArray out = SiteMemory.SHARED.floats(batch, heads, t, dh);
        OneDnn.copy(src, part * d, new long[] {t * parts * d, dh, parts * d, 1},               // [B, T, H, d] of a part
                out, 0, new long[] {heads * t * dh, t * dh, dh, 1}, new long[] {batch, heads, t, dh});
        return out;
    }

    /** oneDNN's reorder writes each head's rows straight into its columns of {@code out}. */
    @Override
    INDArray mergeInto(INDArray z, INDArray out, int parts, int part) {
        INDArray src = contiguous(z);
        long b = src.size(0);
        long heads = src.size(1);
        long t = src.size(2);
        long dh = src.size(3);
        long d = heads * dh;
        OneDnn.copy(src, 0, new long[] {heads * t * dh, t * dh, dh, 1},
                out, part * d, new long[] {t * parts * d, dh, parts * d, 1}, new long[] {b, heads, t, dh});
        return out;
    }

    /** The product with the activation as its kernel's post-op: the product's output is never written. */
    @Override
    public INDArray linearActivation(INDArray x, VitWeights.Linear w, Architecture.Activation kind) {
        INDArray y = SiteMemory.SHARED.floats(x.size(0), w.weight().size(0));
        OneDnn.linear(contiguous(x), w, algorithm(kind), alpha(kind), y);
        return y;
    }

    /** oneDNN's {@code eltwise_gelu_tanh}: the same formula. */
    @Override
    INDArray geluTanh(INDArray x) {
        return eltwise(x, Architecture.Activation.GELU_TANH);
    }

    /** oneDNN's {@code eltwise_swish} {@code x·σ(αx)} with α = 1.702. */
    @Override
    INDArray quickGelu(INDArray x) {
        return eltwise(x, Architecture.Activation.QUICK_GELU);
    }

    /** The activation {@code kind} of {@code x} as oneDNN's elementwise primitive, into a new array. */
    private static INDArray eltwise(INDArray x, Architecture.Activation kind) {
        return sameShape(x, (src, out) -> OneDnn.eltwise(algorithm(kind), alpha(kind), src, out));
    }

    /** oneDNN's elementwise algorithm for an MLP activation. */
    private static dnnl.algorithm algorithm(Architecture.Activation kind) {
        return switch (kind) {
            case GELU -> dnnl.algorithm.eltwise_gelu_erf;
            case GELU_TANH -> dnnl.algorithm.eltwise_gelu_tanh;
            case QUICK_GELU -> dnnl.algorithm.eltwise_swish;
        };
    }

    /** Its α: 1.702 for quick GELU's swish, unused (0) by the others. */
    private static float alpha(Architecture.Activation kind) {
        return kind == Architecture.Activation.QUICK_GELU ? (float) QUICK_GELU_SCALE : 0f;
    }

    @Override
    public INDArray linearBackward(INDArray dy, VitWeights.Linear w) {
        INDArray dx = SiteMemory.SHARED.floats(dy.size(0), w.weight().size(1));
        OneDnn.linearBackward(contiguous(dy), w.weight(), dx);
        return dx;
    }

    /** {@code primitive} from {@code x} (C-ordered) into a new array of its shape, which it returns. */
    private static INDArray sameShape(INDArray x, BiConsumer<INDArray, INDArray> primitive) {
        INDArray src = contiguous(x);
        INDArray out = SiteMemory.SHARED.floats(src.shape());
        primitive.accept(src, out);
        return out;
    }
}
