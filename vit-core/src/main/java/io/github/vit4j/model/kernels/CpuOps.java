package io.github.vit4j.model.kernels;

import static io.github.vit4j.model.kernels.HostMemory.BLOCK;
import static io.github.vit4j.model.kernels.HostMemory.contiguous;
import static io.github.vit4j.model.kernels.HostMemory.heap;
import static io.github.vit4j.model.kernels.HostMemory.parallel;
import static io.github.vit4j.model.kernels.HostMemory.scratch;
import static io.github.vit4j.model.kernels.HostMemory.toFloats;

import io.github.vit4j.model.VitWeights;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collection;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the two CPU kernel sets ({@link OneDnnOps}, {@link OpenBlasOps}) share; not a kernel set itself. Each set
 * supplies the products, the adds and LayerNorm, softmax and GELU; here, the same for both, is the rest in Java over
 * the arrays' off-heap memory ({@code data().asNioFloat()}, no ND4J op overhead), split across the cores
 * ({@link HostMemory}): the head split and merge, the embeddings, and the backward's LayerNorm, GELU and softmax
 * ({@link CpuKernels}' loops).
 *
 * <ul>
 *   <li>Scratch: the q|k|v projection, the attention scores and the merged heads are not sites; each thread keeps
 *       one array per role and reuses it (see {@link Ops}).
 *   <li>Every site array comes from {@link SiteMemory}: memory a run or a closed {@code Activations} gave back,
 *       else fresh.
 * </ul>
 */
abstract sealed class CpuOps extends Ops permits OneDnnOps, OpenBlasOps {

    /** {@code y = x · Wᵀ + b} written into {@code y} {@code [R, out]} and returned. */
    abstract INDArray linearInto(INDArray x, VitWeights.Linear w, INDArray y);

    /** {@link Ops#perHead} into {@code out} (C order), either operand transposed; returns {@code out}. */
    abstract INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB, INDArray out);

    @Override
    public final INDArray linear(INDArray x, VitWeights.Linear w) {
        return linearInto(x, w, SiteMemory.SHARED.floats(x.size(0), w.weight().size(0)));
    }

    @Override
    public final INDArray qkv(INDArray x, VitWeights.Linear w) {
        return linearInto(x, w, scratch(HostMemory.Role.QKV, x.size(0), w.weight().size(0)));
    }

    @Override
    public final void release(Collection<INDArray> arrays) {
        SiteMemory.SHARED.recycleAll(arrays);
    }

    @Override
    public final INDArray head(INDArray qkv, int part, int batch, int heads) {
        return split(qkv, 3, part, batch, heads);
    }

    /** Part {@code part} of {@code parts} side-by-side {@code [B·T, D]} blocks of {@code rows}, heads split: a new {@code [B, H, T, d]}. */
    INDArray split(INDArray rows, int parts, int part, int batch, int heads) {
        INDArray src = contiguous(rows);
        int n = (int) src.size(0);
        int t = n / batch;
        int d = (int) src.size(1) / parts;
        int dh = d / heads;
        INDArray out = SiteMemory.SHARED.floats(batch, heads, t, dh);
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        long base = src.offset() + (long) part * d;
        parallel(n, (long) n * d, (from, to) -> {
            float[] row = heap(0, d);
            for (int r = from; r < to; r++) {
                in.get((int) (base + (long) r * parts * d), row, 0, d);
                int b = r / t;
                int tok = r % t;
                for (int h = 0; h < heads; h++) {
                    dst.put(((b * heads + h) * t + tok) * dh, row, h * dh, dh);
                }
            }
        });
        return out;
    }

    /** This thread's scores array for {@code q} {@code [B, H, Tq, d]} and {@code k} {@code [B, H, T, d]}: scratch. */
    static INDArray scoresScratch(INDArray q, INDArray k) {
        HostMemory.Role role = q.size(2) == 1 ? HostMemory.Role.CLS_SCORES : HostMemory.Role.SCORES;
        return scratch(role, q.size(0), q.size(1), q.size(2), k.size(2));
    }

    @Override
    public final INDArray mix(INDArray pattern, INDArray v) {
        INDArray z = SiteMemory.SHARED.floats(v.size(0), v.size(1), pattern.size(2), v.size(3));
        return product(contiguous(pattern), contiguous(v), false, false, z);
    }

    @Override
    public final INDArray mergeHeads(INDArray z) {
        int t = (int) z.size(2);
        INDArray out = scratch(t == 1 ? HostMemory.Role.CLS_HEADS : HostMemory.Role.HEADS, z.size(0) * t,
                z.size(1) * z.size(3));
        return mergeInto(z, out, 1, 0);
    }

    /**
     * z {@code [B, H, T, d]} with the heads side by side, written as part {@code part} of {@code out}'s rows of
     * {@code parts} side-by-side {@code [B·T, H·d]} blocks; returns {@code out}.
     */
    INDArray mergeInto(INDArray z, INDArray out, int parts, int part) {
        INDArray src = contiguous(z);
        int b = (int) src.size(0);
        int heads = (int) src.size(1);
        int t = (int) src.size(2);
        int dh = (int) src.size(3);
        int d = heads * dh;
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int base = (int) src.offset();
        parallel(b * heads, (long) b * t * d, (from, to) -> {
            float[] block = heap(0, t * dh);
            for (int bh = from; bh < to; bh++) {
                in.get(base + bh * t * dh, block, 0, t * dh);
                int img = bh / heads;
                int h = bh % heads;
                for (int tok = 0; tok < t; tok++) {
                    dst.put(((img * t + tok) * parts + part) * d + h * dh, block, tok * dh, dh);
                }
            }
        });
        return out;
    }

    @Override
    public final INDArray patchify(INDArray pixels, int p) {
        int b = (int) pixels.size(0);
        int c = (int) pixels.size(1);
        int h = (int) pixels.size(2);
        int w = (int) pixels.size(3);
        int gh = h / p;
        int gw = w / p;
        float[] in = toFloats(pixels);
        int rowLen = c * p * p;
        float[] out = new float[b * gh * gw * rowLen];
        for (int img = 0; img < b; img++) {
            for (int gy = 0; gy < gh; gy++) {
                for (int gx = 0; gx < gw; gx++) {
                    int o = ((img * gh + gy) * gw + gx) * rowLen;
                    for (int ch = 0; ch < c; ch++) {
                        for (int y = 0; y < p; y++) {
                            int from = ((img * c + ch) * h + gy * p + y) * w + gx * p;
                            System.arraycopy(in, from, out, o + (ch * p + y) * p, p);
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {(long) b * gh * gw, rowLen}, 'c');
    }

    @Override
    public final INDArray prependAddPos(INDArray embed, INDArray prefix, INDArray pos) {
        int b = (int) embed.size(0);
        int n = (int) embed.size(1);
        int d = (int) embed.size(2);
        int p = prefix == null ? 0 : (int) prefix.size(0);
        int t = n + p;
        float[] e = toFloats(embed);
        float[] c = prefix == null ? new float[0] : toFloats(prefix);
        float[] ps = toFloats(pos);
        float[] out = new float[b * t * d];
        for (int img = 0; img < b; img++) {
            int o = img * t * d;
            for (int i = 0; i < p * d; i++) {
                out[o + i] = c[i] + ps[i];
            }
            for (int i = 0; i < n * d; i++) {
                out[o + p * d + i] = e[img * n * d + i] + ps[p * d + i];
            }
        }
        return Nd4j.create(out, new long[] {b, t, d}, 'c');
    }

    @Override
    public final INDArray layerNormBackward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps) {
        float[] w = toFloats(p.weight());
        return pairedRows(x, dy, (a, g, off, n) -> CpuKernels.layerNormBackwardRow(a, g, g, off, n, w, eps));
    }

    @Override
    public final INDArray geluBackward(INDArray dy, INDArray x) {
        return pairedRows(x, dy, (a, g, off, n) -> CpuKernels.geluBackward(a, g, g, off, n, heap(2, off + n),
                heap(3, off + n)));
    }

    @Override
    public final INDArray softmaxBackward(INDArray dPattern, INDArray pattern, double scale) {
        float s = (float) scale;
        return pairedRows(pattern, dPattern, (p, g, off, n) -> CpuKernels.softmaxBackwardRow(p, g, g, off, n, s));
    }

    @Override
    public final INDArray perHeadProduct(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        INDArray out = SiteMemory.SHARED.floats(perHeadShape(a, b, transposeA, transposeB));
        return product(contiguous(a), contiguous(b), transposeA, transposeB, out);
    }

    @Override
    public final INDArray splitHeads(INDArray heads, int batch, int h) {
        return split(heads, 1, 0, batch, h);
    }

    @Override
    public final INDArray mergeQkv(INDArray dq, INDArray dk, INDArray dv) {
        INDArray out = SiteMemory.SHARED.floats(dq.size(0) * dq.size(2), 3 * dq.size(1) * dq.size(3));
        mergeInto(dq, out, 3, 0);
        mergeInto(dk, out, 3, 1);
        return mergeInto(dv, out, 3, 2);
    }

    @Override
    public final INDArray unpatchify(INDArray rows, int batch, int channels, int height, int width, int p) {
        int gh = height / p;
        int gw = width / p;
        float[] in = toFloats(rows);
        float[] out = new float[batch * channels * height * width];
        int rowLen = channels * p * p;
        for (int img = 0; img < batch; img++) {
            for (int gy = 0; gy < gh; gy++) {
                for (int gx = 0; gx < gw; gx++) {
                    int o = ((img * gh + gy) * gw + gx) * rowLen;
                    for (int ch = 0; ch < channels; ch++) {
                        for (int y = 0; y < p; y++) {
                            int to = ((img * channels + ch) * height + gy * p + y) * width + gx * p;
                            System.arraycopy(in, o + (ch * p + y) * p, out, to, p);
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {batch, channels, height, width}, 'c');
    }

    /** A kernel over row {@code [off, off + n)} of a block, in place; {@code scratch} is as long as the block. */
    @FunctionalInterface
    interface RowKernel {
        void row(float[] a, int off, int n, float[] scratch);
    }

    /**
     * {@code kernel} applied in place to every row (along the last axis) of {@code x}, in blocks copied to the Java
     * heap and split across the cores ({@code workPerElement}: the kernel's cost, for the decision to split): a new
     * array of its shape.
     */
    static INDArray rows(INDArray x, int workPerElement, RowKernel kernel) {
        INDArray src = contiguous(x);
        int n = (int) src.size(src.rank() - 1);
        int rows = (int) (src.length() / n);
        INDArray out = SiteMemory.SHARED.floats(src.shape());
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int base = (int) src.offset();
        int perBlock = Math.max(1, BLOCK / n);
        parallel(rows, (long) rows * n * workPerElement, (from, to) -> {
            float[] a = heap(0, perBlock * n);
            float[] scratch = heap(1, perBlock * n);
            for (int r = from; r < to; r += perBlock) {
                int count = Math.min(perBlock, to - r) * n;
                in.get(base + r * n, a, 0, count);
                for (int o = 0; o < count; o += n) {
                    kernel.row(a, o, n, scratch);
                }
                dst.put(r * n, a, 0, count);
            }
        });
        return out;
    }

    /** A kernel over rows {@code [off, off + n)} of two blocks: reads {@code a} and {@code b}, writes its result into {@code b}. */
    @FunctionalInterface
    private interface PairedRowKernel {
        void rows(float[] a, float[] b, int off, int n);
    }

    /**
     * {@code kernel} applied row by row (rows along the last axis) to {@code a} and {@code b} of one shape, in
     * blocks copied to the Java heap and split across the cores: a new array of their shape.
     */
    private static INDArray pairedRows(INDArray a, INDArray b, PairedRowKernel kernel) {
        INDArray srcA = contiguous(a);
        INDArray srcB = contiguous(b);
        if (!Arrays.equals(srcA.shape(), srcB.shape())) {
            throw new IllegalArgumentException("expected arrays of one shape, got " + Arrays.toString(srcA.shape())
                    + " and " + Arrays.toString(srcB.shape()));
        }
        int n = (int) srcA.size(srcA.rank() - 1);
        int rows = (int) (srcA.length() / n);
        INDArray out = SiteMemory.SHARED.floats(srcA.shape());
        FloatBuffer inA = srcA.data().asNioFloat();
        FloatBuffer inB = srcB.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int baseA = (int) srcA.offset();
        int baseB = (int) srcB.offset();
        int perBlock = Math.max(1, BLOCK / n);
        parallel(rows, (long) rows * n * 4, (from, to) -> {
            float[] x = heap(0, perBlock * n);
            float[] y = heap(1, perBlock * n);
            for (int r = from; r < to; r += perBlock) {
                int count = Math.min(perBlock, to - r) * n;
                inA.get(baseA + r * n, x, 0, count);
                inB.get(baseB + r * n, y, 0, count);
                for (int o = 0; o < count; o += n) {
                    kernel.rows(x, y, o, n);
                }
                dst.put(r * n, y, 0, count);
            }
        });
        return out;
    }
}
