package io.github.vit4j.model.kernels;

import static io.github.vit4j.model.kernels.HostMemory.BLOCK;
import static io.github.vit4j.model.kernels.HostMemory.contiguous;
import static io.github.vit4j.model.kernels.HostMemory.heap;
import static io.github.vit4j.model.kernels.HostMemory.parallel;
import static io.github.vit4j.model.kernels.HostMemory.toFloats;

import io.github.vit4j.model.VitWeights;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The OpenBLAS kernels ({@link KernelSet#OPENBLAS}), the CPU path where oneDNN has no natives (macOS on Apple
 * silicon): ND4J's GEMM (OpenBLAS) for every product, and LayerNorm, softmax and GELU in Java over the arrays' off-heap
 * memory, in row blocks copied through small per-thread Java arrays where {@link CpuKernels} computes, split across
 * the cores. The rest is the Java of {@link CpuOps}.
 *
 * <p>Bias: the output is filled with the bias rows and the GEMM accumulates into it ({@code β = 1}), so no separate
 * pass adds it.
 */
final class OpenBlasOps extends CpuOps {

    static final OpenBlasOps INSTANCE = new OpenBlasOps();

    private OpenBlasOps() {
    }

    @Override
    INDArray linearInto(INDArray x, VitWeights.Linear w, INDArray y) {
        int rows = (int) y.size(0);
        int out = (int) y.size(1);
        float[] bias = toFloats(w.bias());
        FloatBuffer dst = y.data().asNioFloat();
        parallel(rows, (long) rows * out, (from, to) -> {
            for (int r = from; r < to; r++) {
                dst.put(r * out, bias, 0, out);
            }
        });
        Nd4j.gemm(contiguous(x), w.weight(), y, false, true, 1.0, 1.0);
        return y;
    }

    @Override
    INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB, INDArray out) {
        return perHead(a, b, transposeA, transposeB, out);
    }

    @Override
    public INDArray add(INDArray a, INDArray b) {
        return a.add(b, SiteMemory.SHARED.floats(a.shape()));
    }

    @Override
    public INDArray scores(INDArray q, INDArray k, double scale) {
        return perHead(contiguous(q), contiguous(k), false, true, scoresScratch(q, k)).muli(scale); // scratch: ours
    }

    @Override
    public INDArray softmax(INDArray x) {
        return rows(x, 8, (a, off, n, k) -> CpuKernels.softmaxRow(a, a, off, n, 1f, k));
    }

    @Override
    public INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        float[] w = toFloats(p.weight());
        float[] b = toFloats(p.bias());
        return rows(x, 1, (a, off, d, unused) -> CpuKernels.layerNormRow(a, a, off, d, w, b, eps));
    }

    @Override
    public INDArray gelu(INDArray x) {
        INDArray src = contiguous(x);
        int n = (int) src.length();
        INDArray out = SiteMemory.SHARED.floats(src.shape());
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int base = (int) src.offset();
        int blocks = (n + BLOCK - 1) / BLOCK;
        parallel(blocks, n, (from, to) -> {
            float[] a = heap(0, BLOCK);
            float[] y = heap(1, BLOCK);
            for (int blk = from; blk < to; blk++) {
                int o = blk * BLOCK;
                int count = Math.min(BLOCK, n - o);
                in.get(base + o, a, 0, count);
                CpuKernels.gelu(a, y, count);
                dst.put(o, y, 0, count);
            }
        });
        return out;
    }

    @Override
    public INDArray linearBackward(INDArray dy, VitWeights.Linear w) {
        INDArray dx = SiteMemory.SHARED.floats(dy.size(0), w.weight().size(1));
        Nd4j.gemm(contiguous(dy), w.weight(), dx, false, false, 1.0, 0.0);
        return dx;
    }
}
