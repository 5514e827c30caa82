package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The float32 kernels of the CPU path against double-precision definitions, with the tolerances they promise. */
class CpuKernelsTest {

    @Test
    void geluMatchesTheExactErfFormWithin4e7AndStaysRelativelyAccurateInTheFarTail() {
        int n = 2401;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -12f + i * 0.01f;                                   // −12 … 12
        }
        float[] y = new float[n];
        CpuKernels.gelu(x, y, n);
        for (int i = 0; i < n; i++) {
            double exact = Ops.gelu(x[i]);
            assertEquals(exact, y[i], x[i] < -3 ? 2e-5 * Math.abs(exact) : 4e-7 + 1.2e-7 * Math.abs(exact), "gelu(" + x[i] + ")");
        }
    }

    @Test
    void geluBackwardIsDyTimesPhiPlusXPhiInPlaceAtAnOffsetAndRelativelyAccurateInTheFarTail() {
        int off = 5;
        int n = 2401;
        float[] x = new float[off + n];
        float[] dy = new float[off + n];
        float[] want = new float[off + n];
        for (int i = off; i < off + n; i++) {
            x[i] = -12f + (i - off) * 0.01f;                           // −12 … 12
            dy[i] = (float) (1 + 0.5 * Math.sin(i));
        }
        float[] g = dy.clone();
        CpuKernels.geluBackward(x, g, g, off, n, new float[off + n], new float[off + n]);   // out is dy, as in CpuOps
        for (int i = off; i < off + n; i++) {
            double v = x[i];
            double phi = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
            double exact = dy[i] * (0.5 * Ops.erfc(-v / Math.sqrt(2.0)) + v * phi);
            assertEquals(exact, g[i], v < -3 ? 2e-5 * Math.abs(exact) : 5e-7 + 2e-7 * Math.abs(exact),
                    "dy · gelu'(" + x[i] + ")");
        }
        assertEquals(0f, g[off - 1], "elements before off are not touched");
    }

    @Test
    void expOfNonPositiveArgumentsIsAccurateTo2e7Relative() {
        for (float x = -87f; x <= 0f; x += 0.0137f) {
            double exact = Math.exp(x);
            assertEquals(exact, CpuKernels.expNonPositive(x), 2e-7 * exact, "exp(" + x + ")");
        }
    }

    @Test
    void softmaxOfAHandWorkedRow() {
        // scale 0.5 of [0, 2, 2·ln 3]: exponents [0, 1, ln 3] - max → weights e⁰ : e¹ : 3 over their sum
        float[] row = {0f, 2f, (float) (2 * Math.log(3))};
        CpuKernels.softmaxRow(row, row, 0, 3, 0.5f, new float[3]);
        double sum = 1 + Math.E + 3;
        assertEquals(1 / sum, row[0], 1e-7);
        assertEquals(Math.E / sum, row[1], 1e-7);
        assertEquals(3 / sum, row[2], 1e-7);
    }

    @Test
    void layerNormOfAHandWorkedRow() {
        // [1, 2, 3, 4]: mean 2.5, biased variance 1.25; with w = 2, b = 1: 2·(x − 2.5)/√1.25 + 1
        float[] row = {1f, 2f, 3f, 4f};
        float[] out = new float[4];
        CpuKernels.layerNormRow(row, out, 0, 4, new float[] {2, 2, 2, 2}, new float[] {1, 1, 1, 1}, 0.0);
        for (int i = 0; i < 4; i++) {
            assertEquals(2 * (row[i] - 2.5) / Math.sqrt(1.25) + 1, out[i], 1e-6);
        }
    }

    @Test
    void geluIsTheExactErfFormToFloatPrecision() {
        // reference for |x| ≤ 3: Φ(x) from the Taylor series of erf summed in double (its terms stay below e^4.5,
        // so no precision is lost); relative error allowed 1.5e-7, erfc's documented bound plus rounding
        for (double x = -3; x <= 3; x += 0.01) {
            double z = x / Math.sqrt(2);
            double term = z;
            double sum = z;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-18; n++) {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }
            double exact = 0.5 * x * (1 + 2 / Math.sqrt(Math.PI) * sum);
            assertEquals(exact, Ops.gelu(x), 1.5e-7 * Math.abs(exact) + 1e-15, "gelu(" + x + ")");
        }
        // the far negative tail, where an approximate GELU goes wrong: gelu(x) = x·Φ(x) with tabulated Φ(−4),
        // Φ(−5), Φ(−6) (Abramowitz & Stegun table 26.1); relative accuracy still 1.5e-7
        double[][] tail = {{-4, 3.16712418331e-5}, {-5, 2.86651571880e-7}, {-6, 9.86587645038e-10}};
        for (double[] t : tail) {
            assertEquals(t[0] * t[1], Ops.gelu(t[0]), 1.5e-7 * Math.abs(t[0] * t[1]), "gelu(" + t[0] + ")");
        }
    }
}
