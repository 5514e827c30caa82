package io.github.vit4j.model;

import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The operations of the forward pass. Matrix products go to ND4J's GEMM (OpenBLAS on CPU, cuBLAS under the
 * {@code cuda} profile); elementwise work is plain Java over the arrays' data, computed in double and stored as
 * float32, because ND4J's own LayerNorm has no epsilon and its GELU ops are approximations (see ND4J-NOTES).
 * Every method returns a new array and never writes its inputs.
 */
final class Ops {

    private static final int PARALLEL_ROWS = 64;

    private Ops() {
    }

    /** {@code x · Wᵀ + b} for x {@code [R, in]}, W {@code [out, in]}, b {@code [out]}: a new {@code [R, out]}. */
    static INDArray linear(INDArray x, VitWeights.Linear w) {
        INDArray x2 = contiguous(x);
        long rows = x2.size(0);
        long out = w.weight().size(0);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, new long[] {rows, out}, 'c');
        Nd4j.gemm(x2, w.weight(), y, false, true, 1.0, 0.0);
        return y.addiRowVector(w.bias());
    }

    /** LayerNorm over the last axis with biased variance and {@code eps} inside the square root. */
    static INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        int d = (int) x.size(x.rank() - 1);
        float[] in = floats(x);
        float[] w = floats(p.weight());
        float[] b = floats(p.bias());
        float[] out = new float[in.length];
        rows(in.length / d, r -> {
            int o = r * d;
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += in[o + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = in[o + i] - mean;
                var += c * c;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                out[o + i] = (float) ((in[o + i] - mean) * inv * w[i] + b[i]);
            }
        });
        return Nd4j.create(out, x.shape(), 'c');
    }

    /** Exact GELU, {@code x · Φ(x) = ½ x erfc(−x/√2)}, with {@link #erfc} accurate to 1.2e-7 relative. */
    static INDArray gelu(INDArray x) {
        float[] in = floats(x);
        float[] out = new float[in.length];
        int cols = (int) x.size(x.rank() - 1);
        rows(in.length / cols, r -> {
            for (int i = r * cols, end = i + cols; i < end; i++) {
                out[i] = (float) gelu((double) in[i]);
            }
        });
        return Nd4j.create(out, x.shape(), 'c');
    }

    static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2.0));
    }

    /**
     * The complementary error function with fractional error below 1.2e-7 everywhere (Numerical Recipes, 2nd ed.,
     * {@code erfcc}: a Chebyshev fit of {@code erfc(z)·exp(z²)} in {@code t = 1/(1 + z/2)}). Relative accuracy in
     * both tails is what makes GELU exact to float32 precision for large negative inputs too.
     */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }

    /** Softmax over the last axis of {@code scale · x}, max-subtracted. */
    static INDArray softmax(INDArray x, double scale) {
        int cols = (int) x.size(x.rank() - 1);
        float[] in = floats(x);
        float[] out = new float[in.length];
        rows(in.length / cols, r -> {
            int o = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) {
                max = Math.max(max, in[o + i]);
            }
            double sum = 0;
            double[] e = new double[cols];
            for (int i = 0; i < cols; i++) {
                e[i] = Math.exp(scale * (in[o + i] - max));
                sum += e[i];
            }
            for (int i = 0; i < cols; i++) {
                out[o + i] = (float) (e[i] / sum);
            }
        });
        return Nd4j.create(out, x.shape(), 'c');
    }

    /**
     * Cuts {@code [B, C, H, W]} pixels into {@code [B·N, C·p·p]} rows, one per patch in row-major grid order, each
     * flattened in channel, row, column order (the order of a PyTorch conv weight {@code [D, C, p, p]}).
     */
    static INDArray patchify(INDArray pixels, int p) {
        int b = (int) pixels.size(0);
        int c = (int) pixels.size(1);
        int h = (int) pixels.size(2);
        int w = (int) pixels.size(3);
        int gh = h / p;
        int gw = w / p;
        float[] in = floats(pixels);
        int rowLen = c * p * p;
        float[] out = new float[b * gh * gw * rowLen];
        rows(b * gh, bg -> {
            int img = bg / gh;
            int gy = bg % gh;
            for (int gx = 0; gx < gw; gx++) {
                int o = ((img * gh + gy) * gw + gx) * rowLen;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < p; y++) {
                        int src = ((img * c + ch) * h + gy * p + y) * w + gx * p;
                        System.arraycopy(in, src, out, o + (ch * p + y) * p, p);
                    }
                }
            }
        });
        return Nd4j.create(out, new long[] {(long) b * gh * gw, rowLen}, 'c');
    }

    /** {@code concat(cls, embed) + pos}: embed {@code [B, N, D]}, cls {@code [D]}, pos {@code [T, D]} → {@code [B, T, D]}. */
    static INDArray prependClsAddPos(INDArray embed, INDArray cls, INDArray pos) {
        int b = (int) embed.size(0);
        int n = (int) embed.size(1);
        int d = (int) embed.size(2);
        int t = n + 1;
        float[] e = floats(embed);
        float[] c = floats(cls);
        float[] ps = floats(pos);
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

    /** Batched matrix product {@code a · b} (or {@code a · bᵀ}) of rank-3 arrays: a new array. */
    static INDArray bmm(INDArray a, INDArray b, boolean transposeB) {
        long rows = a.size(1);
        long cols = transposeB ? b.size(1) : b.size(2);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {a.size(0), rows, cols}, 'c');
        Nd4j.matmul(contiguous(a), contiguous(b), out, false, transposeB, false);
        return out;
    }

    /** The array itself if it is C-contiguous without offset, else a C-ordered copy. */
    static INDArray contiguous(INDArray x) {
        return x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
    }

    /** The array's elements in C order as a Java array (a copy). */
    static float[] floats(INDArray x) {
        INDArray c = contiguous(x);
        if (c.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + c.dataType());
        }
        return c.data().asFloat();
    }

    private static void rows(int count, java.util.function.IntConsumer body) {
        IntStream range = IntStream.range(0, count);
        (count >= PARALLEL_ROWS ? range.parallel() : range).forEach(body);
    }
}
