package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.dnnl.global.dnnl;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * oneDNN's steps equal OpenBLAS's products (ND4J's GEMM and batched matmul) and the plain-Java elementwise kernels
 * within float rounding: the linear layers with their packed weights and bias, the per-head products in every
 * transposition, LayerNorm, softmax, GELU and the residual add worked by hand, from several threads at once; and a
 * whole forward through oneDNN equals the OpenBLAS-and-Java path at every site.
 */
class OneDnnTest {

    /** Sums of up to 3072 products of numbers in [−1, 1]: float rounding differs by ~1e-5 between two kernels. */
    private static final double TOLERANCE = 1e-4;

    @Test
    void theHeadsAreSplitAndMergedByOneDnnsReorderAsByHand() {
        assumeTrue(OneDnn.available());
        // one image of 2 tokens, width 4 = 2 heads of 2; row r of qkv is q | k | v = 100r + [0..3 | 10..13 | 20..23]
        float[][] rows = new float[2][12];
        for (int r = 0; r < 2; r++) {
            for (int part = 0; part < 3; part++) {
                for (int c = 0; c < 4; c++) {
                    rows[r][part * 4 + c] = 100 * r + 10 * part + c;
                }
            }
        }
        INDArray qkv = Nd4j.createFromArray(rows);
        INDArray k = OneDnnOps.INSTANCE.head(qkv, 1, 1, 2);                                  // [1, 2 heads, 2 tokens, 2]
        // head 0 holds columns 0..1 of k, head 1 columns 2..3: [[10, 11], [110, 111]] and [[12, 13], [112, 113]]
        assertEquals(Nd4j.createFromArray(new float[][][][] {{{{10, 11}, {110, 111}}, {{12, 13}, {112, 113}}}}), k);
        // merged back: each token's heads side by side, the row of k again
        INDArray merged = OneDnnOps.INSTANCE.mergeInto(k, Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 12),
                3, 1);
        assertEquals(qkv.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)), merged.get(
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)));
        assertEquals(0.0, merged.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4)).amaxNumber().doubleValue(), "the other parts untouched");
    }

    @Test
    void oneDnnLoadsOnLinuxX86AndIsWhatTheCpuKernelsUse() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        assumeTrue(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")),
                "the dnnl preset's natives this build resolves are linux-x86_64's");
        assumeTrue(System.getProperty(KernelSet.PROPERTY) == null && System.getProperty(KernelSet.ONEDNN_PROPERTY) == null,
                "-Dvit4j.kernels and -Dvit4j.onednn not set");
        assertTrue(OneDnn.available());
        assertEquals(KernelSet.ONEDNN, KernelSet.configured());
        assertTrue(KernelSet.ONEDNN.ops() instanceof OneDnnOps);
    }

    @Test
    void aLinearLayerIsXTimesTheWeightTransposedPlusTheBias() {
        assumeTrue(OneDnn.available());
        // x = [[1, 2]], W = [[1, 0], [0, 1], [1, 1]] (out = 3, in = 2), b = [10, 20, 30]: y = [[11, 22, 33]]
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 2}});
        INDArray w = Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}, {1, 1}});
        INDArray b = Nd4j.createFromArray(10f, 20f, 30f);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 1, 3);
        OneDnn.linear(x, new VitWeights.Linear(w, b), y);
        assertEquals(Nd4j.createFromArray(new float[][] {{11, 22, 33}}), y);
    }

    @Test
    void linearLayersOfViTShapesEqualOpenBlasSgemm() {
        assumeTrue(OneDnn.available());
        for (int[] s : new int[][] {{197, 768, 2304}, {1, 768, 1000}, {17, 48, 144}, {394, 3072, 768}}) {
            INDArray x = uniform(1, s[0], s[1]);
            VitWeights.Linear w = new VitWeights.Linear(uniform(2, s[2], s[1]), uniform(3, s[2]));
            INDArray expected = Nd4j.gemm(x, w.weight(), false, true).addiRowVector(w.bias());
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, s[0], s[2]);
            OneDnn.linear(x, w, y);
            assertClose(expected, y, "[" + s[0] + " x " + s[1] + "] -> " + s[2]);
            OneDnn.linear(x, w, y);                               // the packed weights again
            assertClose(expected, y, "second call, " + s[2]);
        }
    }

    @Test
    void aSquareWeightPackedForTheForwardAndForTheBackwardIsReadTheRightWayRoundInBoth() {
        assumeTrue(OneDnn.available());
        VitWeights.Linear w = new VitWeights.Linear(uniform(61, 48, 48), uniform(62, 48));
        INDArray x = uniform(63, 17, 48);
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 17, 48);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, 17, 48);
        for (int i = 0; i < 2; i++) {                                   // the second time from the packed copies
            OneDnn.linear(x, w, y);
            OneDnn.linearBackward(x, w.weight(), dx);
            assertClose(Nd4j.gemm(x, w.weight(), false, true).addiRowVector(w.bias()), y, "x · Wᵀ + b");
            assertClose(Nd4j.gemm(x, w.weight(), false, false), dx, "dy · W");
        }
        assertEquals(2, OneDnn.packedCopies(w.weight()), "one copy for each way round");
    }

    @Test
    void theBackwardOfALinearLayerIsDyTimesTheWeight() {
        assumeTrue(OneDnn.available());
        for (int[] s : new int[][] {{197, 2304, 768}, {1, 1000, 768}, {17, 144, 48}}) {
            INDArray dy = uniform(11, s[0], s[1]);
            INDArray w = uniform(12, s[1], s[2]);
            INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, s[0], s[2]);
            OneDnn.linearBackward(dy, w, dx);
            assertClose(Nd4j.gemm(dy, w, false, false), dx, "[" + s[0] + " x " + s[1] + "] · [" + s[1] + " x " + s[2] + "]");
        }
    }

    @Test
    void arraysThatStartInsideALargerBufferAreReadAndWrittenFromTheirFirstElement() {
        assumeTrue(OneDnn.available());
        // views with offsets, as a memory-mapped .vit file's tensors or a batch's later rows are
        INDArray x = uniform(51, 9, 16).get(NDArrayIndex.interval(3, 8), NDArrayIndex.all());
        INDArray weight = uniform(52, 40, 16).get(NDArrayIndex.interval(7, 31), NDArrayIndex.all());
        INDArray bias = uniform(53, 1, 50).get(NDArrayIndex.point(0), NDArrayIndex.interval(11, 35));
        INDArray y = Nd4j.zeros(DataType.FLOAT, 7, 24).get(NDArrayIndex.interval(2, 7), NDArrayIndex.all());
        assertTrue(x.offset() > 0 && weight.offset() > 0 && bias.offset() > 0 && y.offset() > 0);
        VitWeights.Linear w = new VitWeights.Linear(weight, bias);
        OneDnn.linear(x, w, y);
        assertClose(Nd4j.gemm(x.dup(), weight.dup(), false, true).addiRowVector(bias.dup()), y, "views");

        INDArray strided = uniform(54, 24, 2).get(NDArrayIndex.all(), NDArrayIndex.point(1));   // every other float
        assertEquals(2, strided.stride(0));
        OneDnn.linear(x, new VitWeights.Linear(weight, strided), y);
        assertClose(Nd4j.gemm(x.dup(), weight.dup(), false, true).addiRowVector(strided.dup()), y, "a strided bias");
    }

    @Test
    void theWeightsOfALayerArePackedOnceForEveryCallOfItsShape() {
        assumeTrue(OneDnn.available());
        VitWeights.Linear w = new VitWeights.Linear(uniform(4, 64, 32), uniform(5, 64));
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 8, 64);
        for (int i = 0; i < 3; i++) {
            OneDnn.linear(uniform(6 + i, 8, 32), w, y);
        }
        assertEquals(1, OneDnn.packedCopies(w.weight()));
        assertEquals(0, OneDnn.packedCopies(uniform(4, 64, 32)), "an equal array of its own is not the same weight");
    }

    @Test
    void perHeadProductsEqualNd4jsBatchedMatmulInEveryTransposition() {
        assumeTrue(OneDnn.available());
        INDArray a = uniform(7, 2, 3, 17, 8);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int k = ta ? 17 : 8;                              // a is read as [17 × 8] or, transposed, [8 × 17]
                INDArray b = tb ? uniform(8, 2, 3, 5, k) : uniform(8, 2, 3, k, 5);
                long[] shape = Ops.perHeadShape(a, b, ta, tb);
                INDArray expected = Ops.perHead(a, b, ta, tb, Nd4j.createUninitialized(DataType.FLOAT, shape));
                INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape);
                OneDnn.perHead(a, b, ta, tb, 1f, out);
                assertClose(expected, out, "transposeA " + ta + ", transposeB " + tb);
            }
        }
    }

    @Test
    void theElementwiseStepsByHand() {
        assumeTrue(OneDnn.available());
        // LayerNorm of a constant row: x − mean = 0, so the output is the bias (ND4J's own op would give 0)
        INDArray row = Nd4j.createFromArray(new float[][] {{5, 5, 5, 5}});
        INDArray ln = Nd4j.createUninitialized(DataType.FLOAT, 1, 4);
        OneDnn.layerNorm(row, new VitWeights.LayerNorm(Nd4j.createFromArray(2f, 2f, 2f, 2f),
                Nd4j.createFromArray(1f, -1f, 0.5f, 0f)), 1e-6f, ln);
        assertClose(Nd4j.createFromArray(new float[][] {{1, -1, 0.5f, 0}}), ln, "LayerNorm of a constant row");
        // LayerNorm of [1, 3]: mean 2, variance 1, so (x − 2)/√(1 + ε) = [−1, 1]
        INDArray two = Nd4j.createUninitialized(DataType.FLOAT, 1, 2);
        OneDnn.layerNorm(Nd4j.createFromArray(new float[][] {{1, 3}}), new VitWeights.LayerNorm(
                Nd4j.createFromArray(1f, 1f), Nd4j.createFromArray(0f, 0f)), 1e-6f, two);
        assertClose(Nd4j.createFromArray(new float[][] {{-1, 1}}), two, "LayerNorm of [1, 3]");
        // softmax([ln 2, 0]) = [2, 1] / 3
        INDArray p = Nd4j.createUninitialized(DataType.FLOAT, 1, 2);
        OneDnn.softmax(Nd4j.createFromArray(new float[][] {{(float) Math.log(2), 0}}), p);
        assertClose(Nd4j.createFromArray(new float[][] {{2f / 3, 1f / 3}}), p, "softmax");
        // GELU(x) = x·Φ(x): 0 at 0, Φ(1) = 0.8413447, −Φ(−1) = −0.1586553
        INDArray g = Nd4j.createUninitialized(DataType.FLOAT, 3);
        OneDnn.eltwise(dnnl.algorithm.eltwise_gelu_erf, 0f, Nd4j.createFromArray(0f, 1f, -1f), g);
        assertClose(Nd4j.createFromArray(0f, 0.8413447f, -0.1586553f), g, "GELU");
        // tanh GELU(1) = ½(1 + tanh(√(2/π)·1.044715)) = ½(1 + tanh(0.8335648)) = 0.8411920
        OneDnn.eltwise(dnnl.algorithm.eltwise_gelu_tanh, 0f, Nd4j.createFromArray(0f, 1f, -1f), g);
        assertClose(Nd4j.createFromArray(0f, 0.8411920f, -0.1588080f), g, "tanh GELU");
        // quick GELU(1) = σ(1.702) = 1/(1 + e^−1.702) = 0.8457957; quick GELU(−1) = −σ(−1.702) = −0.1542043
        OneDnn.eltwise(dnnl.algorithm.eltwise_swish, 1.702f, Nd4j.createFromArray(0f, 1f, -1f), g);
        assertClose(Nd4j.createFromArray(0f, 0.8457957f, -0.1542043f), g, "quick GELU");
        INDArray sum = Nd4j.createUninitialized(DataType.FLOAT, 3);
        OneDnn.add(Nd4j.createFromArray(1f, 2f, 3f), Nd4j.createFromArray(10f, 20f, 30f), sum);
        assertEquals(Nd4j.createFromArray(11f, 22f, 33f), sum);
    }

    @Test
    void theScoresComeScaledFromTheProductAsFromTheOpenBlasPath() {
        assumeTrue(OneDnn.available());
        INDArray q = uniform(31, 1, 3, 17, 16);
        INDArray k = uniform(32, 1, 3, 17, 16);
        double scale = 1 / Math.sqrt(16);
        INDArray unscaled = Ops.perHead(q, k, false, true, Nd4j.createUninitialized(DataType.FLOAT, 1, 3, 17, 17));
        INDArray expected = OpenBlasOps.INSTANCE.softmax(OpenBlasOps.INSTANCE.scores(q, k, scale));
        INDArray scores = OneDnnOps.INSTANCE.scores(q, k, scale);
        assertClose(unscaled.mul(scale), scores, "the scores, scaled by 1/√d in the product");
        assertClose(expected, OneDnnOps.INSTANCE.softmax(scores), "softmax of the scores");
        assertClose(expected, OneDnnOps.INSTANCE.softmax(unscaled.mul(scale)), "softmax of another array");
    }

    @Test
    void aThreadRunningEverNewShapesKeepsGivingRightResultsAfterItsOldestPrimitivesAreDropped() {
        assumeTrue(OneDnn.available());
        VitWeights.Linear w = new VitWeights.Linear(uniform(71, 8, 4), uniform(72, 8));
        for (int rows = 1; rows <= 300; rows++) {                       // more shapes than a thread keeps
            INDArray x = uniform(73, rows, 4);
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, rows, 8);
            OneDnn.linear(x, w, y);
            if (rows == 1 || rows == 300) {
                assertClose(Nd4j.gemm(x, w.weight(), false, true).addiRowVector(w.bias()), y, rows + " rows");
            }
        }
        assertTrue(OneDnn.stepsOnThisThread() <= 256, OneDnn.stepsOnThisThread() + " primitives kept");
        INDArray x = uniform(74, 1, 4);                                  // the first shape again, dropped by now
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 1, 8);
        OneDnn.linear(x, w, y);
        assertClose(Nd4j.gemm(x, w.weight(), false, true).addiRowVector(w.bias()), y, "1 row, again");
    }

    @Test
    void threadsRunningTheSameShapesAtOnceEachGetTheirOwnResult() throws Exception {
        assumeTrue(OneDnn.available());
        VitWeights.Linear w = new VitWeights.Linear(uniform(9, 96, 48), uniform(10, 96));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = 100 + t;
                runs.add(pool.submit(() -> {
                    INDArray x = uniform(seed, 33, 48);
                    INDArray expected = Nd4j.gemm(x, w.weight(), false, true).addiRowVector(w.bias());
                    INDArray y = Nd4j.createUninitialized(DataType.FLOAT, 33, 96);
                    for (int i = 0; i < 50; i++) {
                        OneDnn.linear(x, w, y);
                        assertClose(expected, y, "thread " + seed + ", call " + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aForwardThroughOneDnnEqualsTheOpenBlasPathAtEverySite() {
        assumeTrue(OneDnn.available());
        VitConfig c = VitConfig.cifar10();
        VitWeights w = VitWeights.random(c, 21);
        INDArray x = uniform(22, 2, 3, c.imageSize(), c.imageSize());
        Activations fast = new Vit(w, KernelSet.ONEDNN).run(Input.normalized(x), Keep.all());
        Activations blas = new Vit(w, KernelSet.OPENBLAS).run(Input.normalized(x), Keep.all());
        assertEquals(blas.arrays().keySet(), fast.arrays().keySet());
        blas.arrays().forEach((site, expected) -> assertClose(expected, fast.get(site), site.toString()));
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= TOLERANCE, what + ": max |difference| " + diff + " > " + TOLERANCE);
    }

    /** Numbers uniform in [−1, 1) from {@code seed}, in C order. */
    private static INDArray uniform(long seed, long... shape) {
        Random random = new Random(seed);
        float[] values = new float[(int) Arrays.stream(shape).reduce(1, (p, q) -> p * q)];
        for (int i = 0; i < values.length; i++) {
            values[i] = 2 * random.nextFloat() - 1;
        }
        return Nd4j.create(values, shape, 'c');
    }
}
