package io.github.vit4j.model;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fast CPU path. Where oneDNN's natives load ({@link OneDnn}: Linux and Windows on x86-64, Linux on ARM64, Intel
 * Macs), every product and most elementwise steps are oneDNN primitives on the arrays' memory: the linear layers with
 * their weights packed once and the bias in the kernel, the per-head products (the scores scaled by the kernel),
 * LayerNorm, softmax, the exact GELU and the residual adds. Elsewhere ({@link #OPENBLAS}, also {@code -Dvit4j.onednn=false}): ND4J's GEMM
 * (OpenBLAS) for every product, and the elementwise work in Java over the arrays' off-heap memory
 * ({@code data().asNioFloat()}, no ND4J op overhead), in row blocks copied through small per-thread Java arrays where
 * {@link CpuKernels} computes, split across the cores. The head split and merge and the embeddings are Java on both.
 *
 * <ul>
 *   <li>Bias (OpenBLAS): the output is filled with the bias rows and the GEMM accumulates into it ({@code β = 1}), so
 *       no separate pass adds it.
 *   <li>Scratch: the q|k|v projection, the attention scores and the merged heads are not sites; each thread keeps
 *       one array per role and reuses it (see {@link Ops}). Every site array comes from {@link SiteMemory}:
 *       memory a run or a closed {@link Activations} gave back, else fresh.
 * </ul>
 */
final class CpuOps extends Ops {

    /** oneDNN's products where its natives load (and {@code -Dvit4j.onednn} is not false), else OpenBLAS's. */
    static final CpuOps INSTANCE = new CpuOps(OneDnn.available());
    /** OpenBLAS's SGEMM and ND4J's batched matmul for every product: the path before oneDNN, kept for comparison. */
    static final CpuOps OPENBLAS = new CpuOps(false);

    /** Below this many elements an operation runs on the calling thread alone. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;
    /** Elements per block copied to the Java heap and back: small enough to stay in L1/L2. */
    private static final int BLOCK = 1 << 14;
    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    /** Scratch buffers by role; the CLS-row shapes of a logits-only last block get their own, so nothing reallocates. */
    private enum Role { QKV, SCORES, HEADS, CLS_SCORES, CLS_HEADS }

    private static final ThreadLocal<Map<Role, INDArray>> SCRATCH = ThreadLocal.withInitial(() -> new EnumMap<>(Role.class));
    private static final ThreadLocal<float[][]> HEAP = ThreadLocal.withInitial(
            () -> new float[][] {new float[0], new float[0], new float[0], new float[0]});

    /** Whether the products go through {@link OneDnn}. */
    private final boolean oneDnn;

    private CpuOps(boolean oneDnn) {
        this.oneDnn = oneDnn;
    }

    /** Whether this instance's products go through oneDNN. */
    boolean usesOneDnn() {
        return oneDnn;
    }

    @Override
    INDArray linear(INDArray x, VitWeights.Linear w) {
        return linearInto(x, w, SiteMemory.SHARED.floats(x.size(0), w.weight().size(0)));
    }

    @Override
    INDArray qkv(INDArray x, VitWeights.Linear w) {
        return linearInto(x, w, scratch(Role.QKV, x.size(0), w.weight().size(0)));
    }

    private INDArray linearInto(INDArray x, VitWeights.Linear w, INDArray y) {
        if (oneDnn) {
            OneDnn.linear(contiguous(x), w, y);
            return y;
        }
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
    void release(Collection<INDArray> arrays) {
        SiteMemory.SHARED.recycleAll(arrays);
    }

    @Override
    INDArray add(INDArray a, INDArray b) {
        if (oneDnn && Arrays.equals(a.shape(), b.shape())) {
            INDArray out = SiteMemory.SHARED.floats(a.shape());
            OneDnn.add(contiguous(a), contiguous(b), out);
            return out;
        }
        return a.add(b, SiteMemory.SHARED.floats(a.shape()));
    }

    @Override
    INDArray head(INDArray qkv, int part, int batch, int heads) {
        return split(qkv, 3, part, batch, heads);
    }

    /** Part {@code part} of {@code parts} side-by-side {@code [B·T, D]} blocks of {@code rows}, heads split: a new {@code [B, H, T, d]}. */
    private static INDArray split(INDArray rows, int parts, int part, int batch, int heads) {
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

    @Override
    INDArray scores(INDArray q, INDArray k, double scale) {
        Role role = q.size(2) == 1 ? Role.CLS_SCORES : Role.SCORES;
        INDArray s = scratch(role, q.size(0), q.size(1), q.size(2), k.size(2));
        if (oneDnn) {
            OneDnn.perHead(contiguous(q), contiguous(k), false, true, (float) scale, s);   // scaled by the kernel
            return s;
        }
        return perHead(contiguous(q), contiguous(k), false, true, s).muli(scale);            // scratch: ours to scale
    }

    @Override
    INDArray softmax(INDArray x) {
        INDArray src = contiguous(x);
        if (oneDnn) {
            INDArray out = SiteMemory.SHARED.floats(src.shape());
            OneDnn.softmax(src, out);
            return out;
        }
        int n = (int) src.size(src.rank() - 1);
        int rows = (int) (src.length() / n);
        INDArray out = SiteMemory.SHARED.floats(src.shape());
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int base = (int) src.offset();
        int perBlock = Math.max(1, BLOCK / n);
        parallel(rows, (long) rows * n * 8, (from, to) -> {
            float[] a = heap(0, perBlock * n);
            float[] k = heap(1, perBlock * n);
            for (int r = from; r < to; r += perBlock) {
                int count = Math.min(perBlock, to - r) * n;
                in.get(base + r * n, a, 0, count);
                for (int o = 0; o < count; o += n) {
                    CpuKernels.softmaxRow(a, a, o, n, 1f, k);
                }
                dst.put(r * n, a, 0, count);
            }
        });
        return out;
    }

    @Override
    INDArray mix(INDArray pattern, INDArray v) {
        INDArray z = SiteMemory.SHARED.floats(v.size(0), v.size(1), pattern.size(2), v.size(3));
        return product(contiguous(pattern), contiguous(v), false, false, z);
    }

    @Override
    INDArray mergeHeads(INDArray z) {
        int t = (int) z.size(2);
        INDArray out = scratch(t == 1 ? Role.CLS_HEADS : Role.HEADS, z.size(0) * t, z.size(1) * z.size(3));
        return mergeInto(z, out, 1, 0);
    }

    /**
     * z {@code [B, H, T, d]} with the heads side by side, written as part {@code part} of {@code out}'s rows of
     * {@code parts} side-by-side {@code [B·T, H·d]} blocks; returns {@code out}.
     */
    private static INDArray mergeInto(INDArray z, INDArray out, int parts, int part) {
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
    INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        INDArray src = contiguous(x);
        if (oneDnn) {
            INDArray out = SiteMemory.SHARED.floats(src.shape());
            OneDnn.layerNorm(src, p, (float) eps, out);
            return out;
        }
        int d = (int) src.size(src.rank() - 1);
        int rows = (int) (src.length() / d);
        float[] w = toFloats(p.weight());
        float[] b = toFloats(p.bias());
        INDArray out = SiteMemory.SHARED.floats(src.shape());
        FloatBuffer in = src.data().asNioFloat();
        FloatBuffer dst = out.data().asNioFloat();
        int base = (int) src.offset();
        int perBlock = Math.max(1, BLOCK / d);
        parallel(rows, (long) rows * d, (from, to) -> {
            float[] a = heap(0, perBlock * d);
            for (int r = from; r < to; r += perBlock) {
                int count = Math.min(perBlock, to - r) * d;
                in.get(base + r * d, a, 0, count);
                for (int o = 0; o < count; o += d) {
                    CpuKernels.layerNormRow(a, a, o, d, w, b, eps);
                }
                dst.put(r * d, a, 0, count);
            }
        });
        return out;
    }

    @Override
    INDArray gelu(INDArray x) {
        INDArray src = contiguous(x);
        if (oneDnn) {
            INDArray out = SiteMemory.SHARED.floats(src.shape());
            OneDnn.gelu(src, out);
            return out;
        }
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
    INDArray patchify(INDArray pixels, int p) {
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
    INDArray prependClsAddPos(INDArray embed, INDArray cls, INDArray pos) {
        int b = (int) embed.size(0);
        int n = (int) embed.size(1);
        int d = (int) embed.size(2);
        int t = n + 1;
        float[] e = toFloats(embed);
        float[] c = toFloats(cls);
        float[] ps = toFloats(pos);
        float[] out = new float[b * t * d];
        for (int img = 0; img < b; img++) {
            int o = img * t * d;
            for (int i = 0; i < d; i++) {
                out[o + i] = c[i] + ps[i];
            }
            for (int i = 0; i < n * d; i++) {
                out[o + d + i] = e[img * n * d + i] + ps[d + i];
            }
        }
        return Nd4j.create(out, new long[] {b, t, d}, 'c');
    }

    @Override
    INDArray linearBackward(INDArray dy, VitWeights.Linear w) {
        INDArray dx = SiteMemory.SHARED.floats(dy.size(0), w.weight().size(1));
        if (oneDnn) {
            OneDnn.linearBackward(contiguous(dy), w.weight(), dx);
            return dx;
        }
        Nd4j.gemm(contiguous(dy), w.weight(), dx, false, false, 1.0, 0.0);
        return dx;
    }

    @Override
    INDArray layerNormBackward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps) {
        float[] w = toFloats(p.weight());
        return pairedRows(x, dy, (a, g, off, n) -> CpuKernels.layerNormBackwardRow(a, g, g, off, n, w, eps));
    }

    @Override
    INDArray geluBackward(INDArray dy, INDArray x) {
        return pairedRows(x, dy, (a, g, off, n) -> CpuKernels.geluBackward(a, g, g, off, n, heap(2, off + n),
                heap(3, off + n)));
    }

    @Override
    INDArray softmaxBackward(INDArray dPattern, INDArray pattern, double scale) {
        float s = (float) scale;
        return pairedRows(pattern, dPattern, (p, g, off, n) -> CpuKernels.softmaxBackwardRow(p, g, g, off, n, s));
    }

    @Override
    INDArray perHeadProduct(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        INDArray out = SiteMemory.SHARED.floats(perHeadShape(a, b, transposeA, transposeB));
        return product(contiguous(a), contiguous(b), transposeA, transposeB, out);
    }

    /** {@link Ops#perHead} through oneDNN where it is available, else ND4J's batched matmul. */
    private INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB, INDArray out) {
        if (oneDnn) {
            OneDnn.perHead(a, b, transposeA, transposeB, 1f, out);
            return out;
        }
        return perHead(a, b, transposeA, transposeB, out);
    }

    @Override
    INDArray splitHeads(INDArray heads, int batch, int h) {
        return split(heads, 1, 0, batch, h);
    }

    @Override
    INDArray mergeQkv(INDArray dq, INDArray dk, INDArray dv) {
        INDArray out = SiteMemory.SHARED.floats(dq.size(0) * dq.size(2), 3 * dq.size(1) * dq.size(3));
        mergeInto(dq, out, 3, 0);
        mergeInto(dk, out, 3, 1);
        return mergeInto(dv, out, 3, 2);
    }

    @Override
    INDArray unpatchify(INDArray rows, int batch, int channels, int size, int p) {
        int g = size / p;
        float[] in = toFloats(rows);
        float[] out = new float[batch * channels * size * size];
        int rowLen = channels * p * p;
        for (int img = 0; img < batch; img++) {
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    int o = ((img * g + gy) * g + gx) * rowLen;
                    for (int ch = 0; ch < channels; ch++) {
                        for (int y = 0; y < p; y++) {
                            int to = ((img * channels + ch) * size + gy * p + y) * size + gx * p;
                            System.arraycopy(in, o + (ch * p + y) * p, out, to, p);
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {batch, channels, size, size}, 'c');
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

    /** The array itself if it is a float array in C order with C strides, else a C-ordered copy. */
    static INDArray contiguous(INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + x.dataType());
        }
        long[] shape = x.shape();
        long[] stride = x.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return x.dup('c');
            }
            expected *= shape[i];
        }
        return x;
    }

    /** The elements of {@code x} in C order as a new Java array. */
    private static float[] toFloats(INDArray x) {
        INDArray c = contiguous(x);
        float[] a = new float[(int) c.length()];
        c.data().asNioFloat().get((int) c.offset(), a, 0, a.length);
        return a;
    }

    /** This thread's reusable array of the given role and shape. */
    private static INDArray scratch(Role role, long... shape) {
        Map<Role, INDArray> mine = SCRATCH.get();
        INDArray a = mine.get(role);
        if (a == null || !Arrays.equals(a.shape(), shape)) {
            a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
            mine.put(role, a);
        }
        return a;
    }

    /**
     * This thread's reusable Java array number {@code slot} (0 or 1: an operation's input block and its second
     * buffer, e.g. softmax's powers of two or GELU's output; 2 and 3: GELU's derivative's scratch) of at least
     * {@code n} floats.
     */
    private static float[] heap(int slot, int n) {
        float[][] holder = HEAP.get();
        if (holder[slot].length < n) {
            holder[slot] = new float[n];
        }
        return holder[slot];
    }

    /** A body over an index range {@code [from, to)}. */
    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)}, split across the cores when {@code work} (elements) is large. */
    private static void parallel(int n, long work, Range body) {
        int parts = work < PARALLEL_ELEMENTS ? 1 : Math.min(THREADS, n);
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(i -> body.run((int) ((long) n * i / parts),
                (int) ((long) n * (i + 1) / parts)));
    }
}
