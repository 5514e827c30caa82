package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Chefer's generic rule (ICCV 2021): a two-block example by hand, and the map against a second, independent
 * re-implementation of the paper's equations (∇A = ∇z · vᵀ from the gradient of z, the update with ND4J's matrix
 * products) on a random model and on the CIFAR-10 model.
 */
class CheferTest {

    /** A [1, 2, 2, 2] array (one image, two heads, two tokens) from the heads' rows. */
    private static INDArray heads(float[][] head0, float[][] head1) {
        return Nd4j.create(new float[] {head0[0][0], head0[0][1], head0[1][0], head0[1][1],
                head1[0][0], head1[0][1], head1[1][0], head1[1][1]}, new long[] {1, 2, 2, 2}, 'c');
    }

    /**
     * Block 0: head 0 has A = [[½,½],[0.2,0.8]] and ∇A = [[2,−1],[0,1]], so ∇A ⊙ A = [[1,−½],[0,0.8]], positive part
     * [[1,0],[0,0.8]]; head 1 has ∇A = −1 everywhere, positive part 0. Ā₀ = [[½,0],[0,0.4]], R = I + Ā₀ =
     * [[1.5,0],[0,1.4]]. Block 1: both heads A = [[0,1],[0,1]], ∇A = 1: Ā₁ = [[0,1],[0,1]], Ā₁ R = [[0,1.4],[0,1.4]],
     * R = [[1.5,1.4],[0,2.8]].
     */
    @Test
    void twoBlocksOfTwoHeadsWorkedByHand() {
        float[][] a0 = {{0.5f, 0.5f}, {0.2f, 0.8f}};
        INDArray p0 = heads(a0, a0);
        INDArray g0 = heads(new float[][] {{2, -1}, {0, 1}}, new float[][] {{-1, -1}, {-1, -1}});
        float[][] a1 = {{0, 1}, {0, 1}};
        INDArray p1 = heads(a1, a1);
        INDArray g1 = Nd4j.ones(DataType.FLOAT, 1, 2, 2, 2);
        INDArray r = Chefer.relevance(List.of(p0, p1), List.of(g0, g1));
        assertArrayEquals(new float[] {1.5f, 1.4f, 0, 2.8f}, r.data().asFloat(), 1e-6f);
    }

    @Test
    void patternsAndGradientsOfDifferentShapesAreRefusedNamingTheBlock() {
        INDArray two = Nd4j.ones(DataType.FLOAT, 1, 2, 2, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> Chefer.relevance(List.of(two, two),
                List.of(two, Nd4j.ones(DataType.FLOAT, 1, 2, 3, 3))));
        assertTrue(e.getMessage().contains("block 1"), e.getMessage());
    }

    /**
     * The second path: for every block, ∂logit_y/∂A = ∂logit_y/∂z · vᵀ per head (z = A · v, and A reaches the logit
     * only through z), Ā = mean over heads of ReLU(∇A ⊙ A), R ← R + Ā R with ND4J's mmul in double; the map is R's
     * rows read (CLS) at the patch columns.
     */
    private static INDArray fromTheEquations(Vit vit, Input input, int[] ys) {
        VitConfig c = vit.config();
        int t = c.tokens();
        INDArray maps = Nd4j.create(DataType.DOUBLE, input.batch(), c.gridHeight(), c.gridWidth());
        try (Activations f = vit.run(input, Vit.keepForBackward().and(Keep.kinds(Site.Kind.Z)));
             Gradients g = vit.backward(f, Objective.logit(ys), Keep.kinds(Site.Kind.Z))) {
            for (int i = 0; i < input.batch(); i++) {
                INDArray r = Nd4j.eye(t).castTo(DataType.DOUBLE);
                for (int l = 0; l < c.layers(); l++) {
                    INDArray bar = Nd4j.zeros(DataType.DOUBLE, t, t);
                    for (int h = 0; h < c.heads(); h++) {
                        INDArray a = f.get(Site.pattern(l)).get(NDArrayIndex.point(i), NDArrayIndex.point(h))
                                .castTo(DataType.DOUBLE);
                        INDArray dz = g.get(Site.z(l)).get(NDArrayIndex.point(i), NDArrayIndex.point(h))
                                .castTo(DataType.DOUBLE);
                        INDArray v = f.get(Site.v(l)).get(NDArrayIndex.point(i), NDArrayIndex.point(h))
                                .castTo(DataType.DOUBLE);
                        bar.addi(Transforms.relu(dz.mmul(v.transpose()).mul(a), false).div(c.heads()));
                    }
                    r = r.add(bar.mmul(r));
                }
                INDArray cls = r.get(NDArrayIndex.point(0), NDArrayIndex.interval(c.prefixTokens(), t));
                maps.get(NDArrayIndex.point(i)).assign(cls.reshape(c.gridHeight(), c.gridWidth()));
            }
        }
        return maps;
    }

    private static void assertSameMaps(INDArray expected, INDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape());
        double scale = expected.amaxNumber().doubleValue();
        double diff = expected.sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance * scale, "largest difference " + diff + " of a map up to " + scale);
    }

    @Test
    void onARandomModelTheMapIsTheOneTheEquationsGive() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        Vit vit = new Vit(VitWeights.random(c, 3), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(11);                 // the same numbers whichever tests ran before
        ImageSource.Batch images = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8),
                Preprocessing.unitRange(8));
        INDArray map = Chefer.of(vit, images.input(), 1, 4);
        assertSameMaps(fromTheEquations(vit, images.input(), new int[] {1, 4}), map, 1e-5);
        assertTrue(map.minNumber().doubleValue() >= 0, "R starts at I and adds non-negative terms: " + map);
    }

    /** CIFAR-10 model, 2 test images, their own labels: within 1e-5 of the largest value (float32 gradients). */
    @Test
    void onTheCifarModelTheMapIsTheOneTheEquationsGive() {
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] ys = images.labels();
        INDArray map = Chefer.of(Cifar.vit(), images.input(), ys);
        assertArrayEquals(new long[] {2, 8, 8}, map.shape());
        assertSameMaps(fromTheEquations(Cifar.vit(), images.input(), ys), map, 1e-5);
    }

    /** Distilled DeiT (T = 2 + 4): the map is the mean of R's CLS and distillation rows at the patch columns. */
    @Test
    void distilledDeitMapsTheMeanOfTheClsAndDistillationRows() {
        VitConfig c = SmallFamilies.small(Architecture.deitDistilled(), 5);
        Vit vit = new Vit(VitWeights.random(c, 5), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(12);                 // the same numbers whichever tests ran before
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8), Preprocessing.unitRange(8)).input();
        INDArray r = Chefer.matrix(vit, input, 2);
        INDArray map = Chefer.of(vit, input, 2);
        for (int k = 0; k < 4; k++) {
            assertEquals((r.getDouble(0, 0, 2 + k) + r.getDouble(0, 1, 2 + k)) / 2, map.getDouble(0, k / 2, k % 2),
                    1e-6);
        }
    }

    @Test
    void aModelWithoutClsIsRefusedNamingTheWholeMatrixInstead() {
        VitConfig c = SmallFamilies.small(Architecture.siglipVision(), 16);
        Vit vit = new Vit(VitWeights.random(c, 5), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(13);                 // the same numbers whichever tests ran before
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8), Preprocessing.unitRange(8)).input();
        var e = assertThrows(IllegalArgumentException.class, () -> Chefer.of(vit, input, 0));
        assertTrue(e.getMessage().contains("no CLS token") && e.getMessage().contains("Chefer.matrix"),
                e.getMessage());
        assertArrayEquals(new long[] {1, 4, 4}, Chefer.matrix(vit, input, 0).shape());
    }
}
