package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.model.kernels.Ops;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each backward kernel of every kernel set that runs here ({@link KernelSet}) against its definition on a tiny
 * case: the three nonlinear ones (LayerNorm, GELU, softmax) against central differences (ε = 1e-6) of the double
 * definitions in {@link DoubleVit}, the linear ones against double loops, the reshuffles by round trips through their
 * forward twins (exact). Then the CPU kernel sets give the plain kernels' gradients for a whole model.
 */
class BackwardKernelsTest {

    static final double EPSILON = 1e-6;

    static Stream<KernelSet> kernels() {
        return Stream.of(KernelSet.values()).filter(KernelSet::runsHere);
    }

    /**
     * The CPU kernel sets' backward equals the plain kernels': every site's gradient and the input's within 1e-5 of
     * that array's largest value (float32 sums in different orders), the objectives' values within 1e-5 of the largest
     * (at least 1), for a model with uneven sizes (T = 17, D = 48,
     * 3 heads), batch 3 and four objectives.
     */
    @Test
    void plainAndCpuKernelsGiveTheSameGradients() {
        VitConfig config = new VitConfig(32, 8, 3, 48, 2, 3, 96, 1e-6, VitConfig.numberedLabels(7));
        VitWeights w = GradientCheck.weights(config, 41);
        INDArray pixels = GradientCheck.pixels(config, 3, 42);
        Site z = Site.of(1, Site.Kind.Z);
        List<Objective> objectives = List.of(Objective.logit(0, 3, 6), Objective.probability(2),
                Objective.logitDiff(5, 1, 0), Objective.direction(z, GradientCheck.gaussian(z.shape(config, 1), 43)));
        Vit plain = new Vit(w, KernelSet.PLAIN);
        for (KernelSet set : OpsEquivalenceTest.fastSets()) {
            Vit cpu = new Vit(w, set);
            for (Objective o : objectives) {
                try (Gradients a = cpu.gradients(Input.normalized(pixels), Map.of(), o);
                     Gradients b = plain.gradients(Input.normalized(pixels), Map.of(), o)) {
                    assertEquals(a.sites(), b.sites());
                    for (Site s : a.sites()) {
                        assertClose(b.get(s), a.get(s), 1e-5, set + " " + o + " at " + s);
                    }
                    assertClose(b.input(), a.input(), 1e-5, set + " " + o + " at the input");
                    double largest = Math.max(1, Arrays.stream(b.values()).map(Math::abs).max().orElse(0));
                    assertArrayEquals(b.values(), a.values(), 1e-5 * largest, set + " " + o + " values");
                }
            }
        }
    }

    /** LayerNorm's derivative, rows of width 7 (one with a tiny variance, where eps matters), within 1e-5 of the largest value. */
    @ParameterizedTest
    @MethodSource("kernels")
    void layerNormBackwardIsTheDerivativeOfLayerNorm(KernelSet set) {
        Ops ops = set.ops();
        int d = 7;
        INDArray x = GradientCheck.gaussian(new long[] {3, d}, 1);
        x.getRow(2).assign(x.getRow(2).mul(1e-3).add(0.5));
        INDArray dy = GradientCheck.gaussian(new long[] {3, d}, 2);
        VitWeights.LayerNorm p = new VitWeights.LayerNorm(GradientCheck.gaussian(new long[] {d}, 3),
                GradientCheck.gaussian(new long[] {d}, 4));
        double eps = 1e-5;
        double[] w = DoubleVit.doubles(p.weight());
        double[] b = DoubleVit.doubles(p.bias());
        INDArray expected = numericGradient(x, dy, a -> DoubleVit.layerNorm(a, 3, d, w, b, eps));
        assertClose(ops.layerNormBackward(dy, x, p, eps), expected, 1e-5, "layerNormBackward");
    }

    /** GELU's derivative Φ(x) + x·φ(x) from −7 to 7 (both tails included), within 1e-6 of the largest value. */
    @ParameterizedTest
    @MethodSource("kernels")
    void geluBackwardIsTheDerivativeOfGelu(KernelSet set) {
        Ops ops = set.ops();
        float[] xs = new float[29];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -7f + 0.5f * i;
        }
        INDArray x = Nd4j.create(xs, new long[] {1, xs.length}, 'c');
        INDArray dy = GradientCheck.gaussian(new long[] {1, xs.length}, 5);
        INDArray expected = numericGradient(x, dy, a -> {
            double[] out = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = DoubleVit.gelu(a[i]);
            }
            return out;
        });
        assertClose(ops.geluBackward(dy, x), expected, 1e-6, "geluBackward");
    }

    /** Softmax's derivative with respect to its unscaled input, scale 1/√8, rows of 6, within 1e-6 of the largest value. */
    @ParameterizedTest
    @MethodSource("kernels")
    void softmaxBackwardIsTheDerivativeOfTheScaledSoftmax(KernelSet set) {
        Ops ops = set.ops();
        double scale = 1 / Math.sqrt(8);
        INDArray s = GradientCheck.gaussian(new long[] {1, 2, 2, 6}, 6).mul(3);
        INDArray dp = GradientCheck.gaussian(new long[] {1, 2, 2, 6}, 7);
        UnaryOperator<double[]> softmax = a -> {
            double[] scaled = a.clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= scale;
            }
            return DoubleVit.softmaxRows(scaled, 6);
        };
        INDArray pattern = Nd4j.create(softmax.apply(DoubleVit.doubles(s)), s.shape(), 'c').castTo(DataType.FLOAT);
        assertClose(ops.softmaxBackward(dp, pattern, scale), numericGradient(s, dp, softmax), 1e-6,
                "softmaxBackward");
    }

    /** {@code dx = dy · W} against double loops, within 1e-6 of the largest value. */
    @ParameterizedTest
    @MethodSource("kernels")
    void linearBackwardIsDyTimesTheWeight(KernelSet set) {
        Ops ops = set.ops();
        INDArray dy = GradientCheck.gaussian(new long[] {4, 5}, 8);
        VitWeights.Linear w = new VitWeights.Linear(GradientCheck.gaussian(new long[] {5, 3}, 9),
                GradientCheck.gaussian(new long[] {5}, 10));
        assertClose(ops.linearBackward(dy, w), product(dy, w.weight(), false, false), 1e-6, "linearBackward");
    }

    /** The per-head products with either operand transposed, against double loops per head, within 1e-6 of the largest value. */
    @ParameterizedTest
    @MethodSource("kernels")
    void perHeadProductsTransposeEitherOperand(KernelSet set) {
        Ops ops = set.ops();
        INDArray a = GradientCheck.gaussian(new long[] {2, 3, 4, 5}, 11);
        INDArray b = GradientCheck.gaussian(new long[] {2, 3, 4, 5}, 12);
        INDArray c = GradientCheck.gaussian(new long[] {2, 3, 5, 4}, 13);
        // {left, right} for a·bᵀ, aᵀ·b, a·c, cᵀ·aᵀ: every combination of transposes
        INDArray[][] operands = {{a, b}, {a, b}, {a, c}, {c, a}};
        boolean[][] transposes = {{false, true}, {true, false}, {false, false}, {true, true}};
        for (int k = 0; k < operands.length; k++) {
            INDArray left = operands[k][0];
            INDArray right = operands[k][1];
            boolean ta = transposes[k][0];
            boolean tb = transposes[k][1];
            INDArray expected = Nd4j.create(DataType.FLOAT, left.size(0), left.size(1),
                    ta ? left.size(3) : left.size(2), tb ? right.size(2) : right.size(3));
            for (int i = 0; i < 2; i++) {
                for (int h = 0; h < 3; h++) {
                    expected.slice(i).slice(h).assign(product(left.slice(i).slice(h), right.slice(i).slice(h),
                            ta, tb));
                }
            }
            assertClose(ops.perHeadProduct(left, right, ta, tb), expected, 1e-6,
                    "transposeA " + ta + ", transposeB " + tb);
        }
    }

    /** splitHeads undoes mergeHeads exactly. */
    @ParameterizedTest
    @MethodSource("kernels")
    void splitHeadsUndoesMergeHeads(KernelSet set) {
        Ops ops = set.ops();
        INDArray z = GradientCheck.gaussian(new long[] {2, 3, 5, 4}, 14);
        assertEquals(z, ops.splitHeads(ops.mergeHeads(z).dup(), 2, 3));
    }

    /** head(mergeQkv(dq, dk, dv), part) gives back dq, dk and dv exactly: mergeQkv is head's transpose. */
    @ParameterizedTest
    @MethodSource("kernels")
    void mergeQkvPutsEachPartWhereHeadTakesItFrom(KernelSet set) {
        Ops ops = set.ops();
        INDArray[] parts = new INDArray[3];
        for (int i = 0; i < 3; i++) {
            parts[i] = GradientCheck.gaussian(new long[] {2, 3, 5, 4}, 15 + i);
        }
        INDArray qkv = ops.mergeQkv(parts[0], parts[1], parts[2]);
        assertArrayEquals(new long[] {10, 36}, qkv.shape());
        for (int i = 0; i < 3; i++) {
            assertEquals(parts[i], ops.head(qkv, i, 2, 3), "part " + i);
        }
    }

    /** unpatchify undoes patchify exactly (2 images, 3 channels, 8×8, patch 4). */
    @ParameterizedTest
    @MethodSource("kernels")
    void unpatchifyUndoesPatchify(KernelSet set) {
        Ops ops = set.ops();
        INDArray x = GradientCheck.gaussian(new long[] {2, 3, 8, 8}, 18);
        INDArray rows = ops.patchify(x, 4);
        assertArrayEquals(new long[] {8, 48}, rows.shape());
        assertEquals(x, ops.unpatchify(rows, 2, 3, 8, 4));
    }

    /**
     * A non-square 4×8 image in 2×2 patches: patch (gy, gx) is row gy·4 + gx, and unpatchify puts every pixel back.
     * Pixel (y, x) holds 10·y + x, so patch row 5 (gy = 1, gx = 1) is pixels (2..3, 2..3): 22, 23, 32, 33, and
     * row 3 (gy = 0, gx = 3) pixels (0..1, 6..7): 6, 7, 16, 17.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void aNonSquareImageIsCutIntoRowMajorPatchesAndPutBack(KernelSet set) {
        Ops ops = set.ops();
        float[] pixels = new float[32];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 8; x++) {
                pixels[y * 8 + x] = 10 * y + x;
            }
        }
        INDArray image = org.nd4j.linalg.factory.Nd4j.create(pixels, new long[] {1, 1, 4, 8}, 'c');
        INDArray rows = ops.patchify(image, 2);
        assertArrayEquals(new long[] {8, 4}, rows.shape());
        assertArrayEquals(new float[] {22, 23, 32, 33}, rows.getRow(5).toFloatVector());
        assertArrayEquals(new float[] {6, 7, 16, 17}, rows.getRow(3).toFloatVector());
        assertEquals(image, ops.unpatchify(rows, 1, 1, 4, 8, 2));
        INDArray three = GradientCheck.gaussian(new long[] {2, 3, 8, 12}, 19);
        assertEquals(three, ops.unpatchify(ops.patchify(three, 4), 2, 3, 8, 12, 4));
    }

    /**
     * The gradient of {@code ⟨dy, f(x)⟩} with respect to x by central differences of the double function {@code f}
     * (on the flat C-order array), element by element: a float array of x's shape.
     */
    static INDArray numericGradient(INDArray x, INDArray dy, UnaryOperator<double[]> f) {
        double[] a = DoubleVit.doubles(x);
        double[] g = DoubleVit.doubles(dy);
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double keep = a[i];
            a[i] = keep + EPSILON;
            double plus = dot(g, f.apply(a));
            a[i] = keep - EPSILON;
            double minus = dot(g, f.apply(a));
            a[i] = keep;
            out[i] = (plus - minus) / (2 * EPSILON);
        }
        return Nd4j.create(out, x.shape(), 'c').castTo(DataType.FLOAT);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** {@code op(a) · op(b)} for matrices, op transposing when asked, in double: a float array. */
    private static INDArray product(INDArray a, INDArray b, boolean ta, boolean tb) {
        INDArray l = (ta ? a.transpose() : a).castTo(DataType.DOUBLE);
        INDArray r = (tb ? b.transpose() : b).castTo(DataType.DOUBLE);
        double[][] out = new double[(int) l.size(0)][(int) r.size(1)];
        for (int i = 0; i < out.length; i++) {
            for (int j = 0; j < out[i].length; j++) {
                for (int k = 0; k < l.size(1); k++) {
                    out[i][j] += l.getDouble(i, k) * r.getDouble(k, j);
                }
            }
        }
        return Nd4j.create(out).castTo(DataType.FLOAT);
    }

    /** max |actual − expected| ≤ tolerance · max |expected| (an expected array of zeros must be matched exactly). */
    static void assertClose(INDArray actual, INDArray expected, double tolerance, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        INDArray e = expected.castTo(DataType.DOUBLE);
        double scale = e.amaxNumber().doubleValue();
        double err = actual.castTo(DataType.DOUBLE).sub(e).amaxNumber().doubleValue();
        assertTrue(err <= tolerance * scale, what + ": differs by " + err + " (scale " + scale + ")");
    }
}
