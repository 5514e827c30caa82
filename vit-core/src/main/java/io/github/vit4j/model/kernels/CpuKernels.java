package io.github.vit4j.model.kernels;

/**
 * The elementwise arithmetic of {@link OpenBlasOps} (and of {@link CpuOps}' backward steps) on Java arrays: short
 * loops the JIT compiles to SIMD code where it can (GELU's rational erf has no branches, exponentials or integer casts
 * for that reason). Pure functions of their arguments; no ND4J here.
 */
final class CpuKernels {

    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding and subtracting it rounds a float of magnitude below 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;

    private CpuKernels() {
    }

    /**
     * {@code out[i] = ½ x (1 + erf(x/√2))} for the first {@code n} elements ({@code out} must not be {@code x}). A
     * branch-free pass (SIMD) covers every element, absolute error below 4e-7 for |x| ≤ 3; below x = −3, where
     * {@code 1 + erf} cancels, a second pass recomputes from {@code erfc} so the result keeps float precision
     * relative to the (tiny) value in the far tail too.
     */
    static void gelu(float[] x, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[i];
            out[i] = 0.5f * v * (1f + erf(v * INV_SQRT2));
        }
        for (int i = 0; i < n; i++) {
            if (x[i] < -3f) {
                out[i] = 0.5f * x[i] * erfcPositive(-x[i] * INV_SQRT2);
            }
        }
    }

    /**
     * {@code erfc(z)} for {@code z ≥ 0} with fractional error near 1e-7 (Numerical Recipes {@code erfcc}: a Chebyshev
     * fit of {@code erfc(z)·exp(z²)} in {@code t = 1/(1 + z/2)}), in float32.
     */
    static float erfcPositive(float z) {
        float t = 1f / (1f + 0.5f * z);
        float p = t * 0.17087277f - 0.82215223f;
        p = t * p + 1.48851587f;
        p = t * p - 1.13520398f;
        p = t * p + 0.27886807f;
        p = t * p - 0.18628806f;
        p = t * p + 0.09678418f;
        p = t * p + 0.37409196f;
        p = t * p + 1.00002368f;
        return t * expNonPositive(Math.min(0f, t * p - 1.26551223f - z * z));
    }

    /**
     * The error function in float32 as a rational function {@code x·P(x²)/Q(x²)} on x clamped to [−4, 4] (beyond,
     * erf rounds to ±1 in float32): the minimax fit Eigen and XLA use, within a few ulp of erf.
     */
    static float erf(float x) {
        float c = Math.max(-4f, Math.min(4f, x));
        float x2 = c * c;
        float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
        p = x2 * p - 2.10102402082508e-06f;
        p = x2 * p - 5.69250639462346e-05f;
        p = x2 * p - 7.34990630326855e-04f;
        p = x2 * p - 2.95459980854025e-03f;
        p = x2 * p - 1.60960333262415e-02f;
        float q = x2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
        q = x2 * q - 1.68282697438203e-03f;
        q = x2 * q - 7.37332916720468e-03f;
        q = x2 * q - 1.42647390514189e-02f;
        return c * p / q;
    }

    /**
     * Softmax of {@code scale · x[off .. off+n)} into {@code out[off .. off+n)}, max-subtracted. {@code out} may be
     * {@code x}; {@code k} is scratch indexed like {@code out} (same {@code off}). The exponential is split so that its polynomial
     * runs as SIMD code: one pass computes {@code e^r} and the power of two {@code k} of every element, a second
     * scales by {@code 2^k} (the only step needing an integer bit trick). The polynomial is {@link #expNonPositive}'s,
     * written out here on purpose: a call in the loop would keep it from vectorising (ND4J-NOTES, trap 11).
     */
    static void softmaxRow(float[] x, float[] out, int off, int n, float scale, float[] k) {
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = m0;
        float m2 = m0;
        float m3 = m0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {                  // four running maxima: no dependency chain, no NaN checks
            float a = x[off + i];
            float b = x[off + i + 1];
            float c = x[off + i + 2];
            float d = x[off + i + 3];
            m0 = a > m0 ? a : m0;
            m1 = b > m1 ? b : m1;
            m2 = c > m2 ? c : m2;
            m3 = d > m3 ? d : m3;
        }
        for (; i < n; i++) {
            m0 = x[off + i] > m0 ? x[off + i] : m0;
        }
        float max = Math.max(Math.max(m0, m1), Math.max(m2, m3));
        for (i = 0; i < n; i++) {
            float c = Math.max(scale * (x[off + i] - max), -87f);
            float kk = (c * LOG2E + ROUND) - ROUND;
            float r = c - kk * 0.693359375f + kk * 2.12194440e-4f;
            float p = 1.9875691500e-4f;
            p = p * r + 1.3981999507e-3f;
            p = p * r + 8.3334519073e-3f;
            p = p * r + 4.1665795894e-2f;
            p = p * r + 1.6666665459e-1f;
            p = p * r + 5.0000001201e-1f;
            out[off + i] = p * r * r + r + 1f;
            k[off + i] = kk;
        }
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        for (i = 0; i + 4 <= n; i += 4) {
            float e0 = out[off + i] * Float.intBitsToFloat(((int) k[off + i] + 127) << 23);
            float e1 = out[off + i + 1] * Float.intBitsToFloat(((int) k[off + i + 1] + 127) << 23);
            float e2 = out[off + i + 2] * Float.intBitsToFloat(((int) k[off + i + 2] + 127) << 23);
            float e3 = out[off + i + 3] * Float.intBitsToFloat(((int) k[off + i + 3] + 127) << 23);
            out[off + i] = e0;
            out[off + i + 1] = e1;
            out[off + i + 2] = e2;
            out[off + i + 3] = e3;
            s0 += e0;
            s1 += e1;
            s2 += e2;
            s3 += e3;
        }
        for (; i < n; i++) {
            float e = out[off + i] * Float.intBitsToFloat(((int) k[off + i] + 127) << 23);
            out[off + i] = e;
            s0 += e;
        }
        float inv = (float) (1.0 / ((double) s0 + s1 + s2 + s3));
        for (i = off; i < off + n; i++) {
            out[i] *= inv;
        }
    }

    /**
     * {@code e^x} for {@code x ≤ 0} in float32, relative error below 1e-7 down to −87 (below, the result is
     * smaller than any term a softmax row can notice, and is flushed towards 0): Cody–Waite reduction by ln 2 and a
     * degree-6 polynomial (Cephes {@code expf}).
     */
    static float expNonPositive(float x) {
        float c = Math.max(x, -87f);
        float k = (c * LOG2E + ROUND) - ROUND;
        return expReduced(c - k * 0.693359375f + k * 2.12194440e-4f) * Float.intBitsToFloat(((int) k + 127) << 23);
    }

    /**
     * {@code e^r} for {@code |r| ≤ ln2 / 2}: the Cephes polynomial, float arithmetic only, so that a loop calling it
     * (inlined) still runs as SIMD code.
     */
    static float expReduced(float r) {
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        return p * r * r + r + 1f;
    }

    /**
     * LayerNorm of {@code x[off .. off+d)} into {@code out[off .. off+d)}: mean and biased variance in double
     * (two passes), then {@code (x − mean) / √(var + eps) · w + b}.
     */
    static void layerNormRow(float[] x, float[] out, int off, int d, float[] w, float[] b, double eps) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 4 <= d; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < d; i++) {
            s0 += x[off + i];
        }
        double mean = (s0 + s1 + s2 + s3) / d;
        double v0 = 0;
        double v1 = 0;
        double v2 = 0;
        double v3 = 0;
        i = 0;
        for (; i + 4 <= d; i += 4) {
            double c0 = x[off + i] - mean;
            double c1 = x[off + i + 1] - mean;
            double c2 = x[off + i + 2] - mean;
            double c3 = x[off + i + 3] - mean;
            v0 += c0 * c0;
            v1 += c1 * c1;
            v2 += c2 * c2;
            v3 += c3 * c3;
        }
        for (; i < d; i++) {
            double c = x[off + i] - mean;
            v0 += c * c;
        }
        float inv = (float) (1.0 / Math.sqrt((v0 + v1 + v2 + v3) / d + eps));
        float m = (float) mean;
        for (i = 0; i < d; i++) {
            out[off + i] = (x[off + i] - m) * inv * w[i] + b[i];
        }
    }
    // The derivatives of the kernels above, for the backward pass.

    /**
     * {@code out[i] = dy[i] · (Φ(x) + x φ(x))}, the derivative of {@link #gelu} times the incoming gradient, for the
     * elements {@code [off, off + n)} ({@code out} may be {@code dy}); {@code e} and {@code k} are scratch indexed like
     * {@code out}. Φ from {@link #erf} (below −3 from {@link #erfcPositive}, as in {@link #gelu}); φ(x) = e^(−x²/2) /
     * √(2π) with {@link #expNonPositive}'s polynomial. As in {@link #softmaxRow}, the exponential is split so that
     * everything but its {@code 2^k} step runs as SIMD code: one pass computes x·e^r/√(2π) and k, a scalar pass
     * scales by 2^k, then the far tail is computed into {@code k} (from dy, which {@code out} may overwrite), a SIMD
     * pass adds Φ and multiplies by dy, and the tail is copied in (one loop with the branch ran scalar, 14× slower
     * than the forward's GELU).
     */
    static void geluBackward(float[] x, float[] dy, float[] out, int off, int n, float[] e, float[] k) {
        int end = off + n;
        for (int i = off; i < end; i++) {
            float v = x[i];
            float c = Math.max(-0.5f * v * v, -87f);
            float kk = (c * LOG2E + ROUND) - ROUND;
            e[i] = v * (INV_SQRT_2PI * expReduced(c - kk * 0.693359375f + kk * 2.12194440e-4f));
            k[i] = kk;
        }
        for (int i = off; i < end; i++) {
            e[i] *= Float.intBitsToFloat(((int) k[i] + 127) << 23);
        }
        for (int i = off; i < end; i++) {                       // the far tail, from dy before out overwrites it
            if (x[i] < -3f) {
                k[i] = dy[i] * (0.5f * erfcPositive(-x[i] * INV_SQRT2) + e[i]);
            }
        }
        for (int i = off; i < end; i++) {
            out[i] = dy[i] * (0.5f * (1f + erf(x[i] * INV_SQRT2)) + e[i]);
        }
        for (int i = off; i < end; i++) {
            if (x[i] < -3f) {
                out[i] = k[i];
            }
        }
    }

    /**
     * {@link #softmaxRow}'s derivative with respect to its unscaled input, row {@code [off, off + n)}: given the
     * row's output P and the gradient dP of it, {@code out = scale · P ⊙ (dP − Σⱼ dPⱼ Pⱼ)} ({@code out} may be
     * {@code dp}).
     */
    static void softmaxBackwardRow(float[] p, float[] dp, float[] out, int off, int n, float scale) {
        double dot = 0;
        for (int i = off; i < off + n; i++) {
            dot += (double) dp[i] * p[i];
        }
        float d = (float) dot;
        for (int i = off; i < off + n; i++) {
            out[i] = scale * p[i] * (dp[i] - d);
        }
    }

    /**
     * {@link #layerNormRow}'s derivative with respect to its input, row {@code [off, off + d)}: with
     * {@code x̂ = (x − mean) · r}, {@code r = 1/√(var + eps)} and {@code g = dy · w},
     * {@code out = r · (g − mean(g) − x̂ · mean(g · x̂))} ({@code out} may be {@code dy}). Statistics in double.
     */
    static void layerNormBackwardRow(float[] x, float[] dy, float[] out, int off, int d, float[] w, double eps) {
        double sum = 0;
        for (int i = off; i < off + d; i++) {
            sum += x[i];
        }
        double mean = sum / d;
        double var = 0;
        for (int i = off; i < off + d; i++) {
            double c = x[i] - mean;
            var += c * c;
        }
        double r = 1.0 / Math.sqrt(var / d + eps);
        double sumG = 0;
        double sumGx = 0;
        for (int i = 0; i < d; i++) {
            double g = (double) dy[off + i] * w[i];
            sumG += g;
            sumGx += g * (x[off + i] - mean) * r;
        }
        float meanG = (float) (sumG / d);
        float meanGx = (float) (sumGx / d);
        float m = (float) mean;
        float rf = (float) r;
        for (int i = 0; i < d; i++) {
            float xHat = (x[off + i] - m) * rf;
            out[off + i] = rf * (dy[off + i] * w[i] - meanG - xHat * meanGx);
        }
    }
}
