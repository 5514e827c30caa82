package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chefer's LRP (CVPR 2021): each rule by hand (relevance conserved), the whole pass conserving the explained
 * class's unit relevance down to block 0 on a random model and on the CIFAR-10 model, and every family's map.
 */
class CheferLrpTest {

    private static INDArray m(double[][] rows) {
        return Nd4j.create(rows).castTo(DataType.DOUBLE);
    }

    /**
     * x = [1, −2], W = [[1, 1], [2, −1]] (rows: outputs), R = [1, 1]. Output 0: contributions 1·1 = 1 and −2·1 = −2,
     * only the first positive: x₀ takes all of R₀ = 1. Output 1: 1·2 = 2 and −2·−1 = 2, both positive: half each.
     * R_x = [1 + ½, ½] = [1.5, 0.5], summing to Σ R = 2.
     */
    @Test
    void theLinearRuleSharesEachOutputAmongItsPositiveContributions() {
        INDArray r = Lrp.linear(m(new double[][] {{1, -2}}), m(new double[][] {{1, 1}, {2, -1}}),
                m(new double[][] {{1, 1}}));
        assertArrayEquals(new double[] {1.5, 0.5}, r.toDoubleVector(), 1e-8);
    }

    /** An output with no positive contribution (x = [1], w = [−1]) loses its relevance: the rule's one loss. */
    @Test
    void theLinearRuleDropsAnOutputWithoutPositiveContributions() {
        INDArray r = Lrp.linear(m(new double[][] {{1}}), m(new double[][] {{-1}}), m(new double[][] {{3}}));
        assertEquals(0, r.getDouble(0, 0), 0);
    }

    /**
     * a = [2, 2], b = [−1, 1], R = [1, 1]: y = [1, 3], so R/y = [1, ⅓]; the generic rule gives a [2, ⅔] (Σ 8/3) and b
     * [−1, ⅓] (Σ −⅔). Normalised: a's sum becomes (8/3)/(10/3) · 2 = 1.6, so a × 0.6 = [1.2, 0.4]; b's becomes
     * (2/3)/(10/3) · 2 = 0.4, so b × (0.4 / −⅔) = [0.6, −0.2]. Together 2 = Σ R.
     */
    @Test
    void theSkipConnectionRuleNormalisesEachSideToItsShareOfTheTotal() {
        INDArray[] r = Lrp.add(m(new double[][] {{2, 2}}), m(new double[][] {{-1, 1}}), m(new double[][] {{1, 1}}));
        assertArrayEquals(new double[] {1.2, 0.4}, r[0].toDoubleVector(), 1e-8);
        assertArrayEquals(new double[] {0.6, -0.2}, r[1].toDoubleVector(), 1e-8);
    }

    /**
     * x = [[1, 2]], w = [[3], [1]]: y = 5, R = 1, S = R/y = 0.2. R_x = x ⊙ (S wᵀ) = [0.6, 0.4], R_w = w ⊙ (xᵀ S) =
     * [0.6, 0.4], each halved: [0.3, 0.2] and [0.3, 0.2], together 1.
     */
    @Test
    void theProductRuleGivesEachOperandHalfTheGenericRelevance() {
        INDArray[] r = Lrp.product(m(new double[][] {{1, 2}}), m(new double[][] {{3}, {1}}), m(new double[][] {{1}}));
        assertArrayEquals(new double[] {0.3, 0.2}, r[0].toDoubleVector(), 1e-8);
        assertArrayEquals(new double[] {0.3, 0.2}, r[1].reshape(2).toDoubleVector(), 1e-8);
    }

    @Test
    void aZeroDenominatorGivesZeroNotInfinity() {
        INDArray s = Lrp.safeDivide(m(new double[][] {{1, 1}}), m(new double[][] {{0, 2}}));
        assertArrayEquals(new double[] {0, 0.5}, s.toDoubleVector(), 1e-8);
    }

    private static void assertConserved(CheferLrp.Result r, double tolerance) {
        for (double[] image : r.totals()) {
            for (int l = 0; l < image.length; l++) {
                assertEquals(1, image[l], tolerance, "Σ R at block " + l + "'s input: "
                        + java.util.Arrays.toString(image));
            }
        }
    }

    /** A random ViT: the unit relevance of the class reaches block 0's input within 1e-3. */
    @Test
    void onARandomModelRelevanceIsConservedDownToTheFirstBlock() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        Vit vit = new Vit(VitWeights.random(c, 3), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(11);                 // the same numbers whichever tests ran before
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), Preprocessing.unitRange(8)).input();
        CheferLrp.Result r = new CheferLrp(1).of(vit, input, 1, 4);
        assertArrayEquals(new long[] {2, 2, 2}, r.map().shape());
        assertConserved(r, 1e-3);
    }

    /** The CIFAR-10 model, its first 2 test images: conserved within 1e-3 at every block; the map on the 8×8 grid. */
    @Test
    void onTheCifarModelRelevanceIsConservedAndTheMapIsOnTheGrid() {
        ImageSource.Batch images = Cifar.images(0, 2);
        CheferLrp.Result r = CheferLrp.defaults().of(Cifar.vit(), images.input(), images.labels());
        assertArrayEquals(new long[] {2, 8, 8}, r.map().shape());
        assertConserved(r, 1e-3);
        assertTrue(r.map().minNumber().doubleValue() >= 0, "I plus non-negative terms, multiplied");
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> families() {
        return SmallFamilies.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyFamilyWithClsHasAFiniteMapAndSiglipIsRefused(String name, VitConfig c) {
        Vit vit = new Vit(VitWeights.random(c, 5), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(12);                 // the same numbers whichever tests ran before
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), Preprocessing.unitRange(8)).input();
        if (!c.architecture().hasCls()) {
            var e = assertThrows(IllegalArgumentException.class, () -> CheferLrp.defaults().of(vit, input, 0));
            assertTrue(e.getMessage().contains("no CLS token"), e.getMessage());
            return;
        }
        CheferLrp.Result r = CheferLrp.defaults().of(vit, input, 1);
        assertArrayEquals(new long[] {2, 2, 2}, r.map().shape());
        for (double v : r.map().castTo(DataType.DOUBLE).dup().data().asDouble()) {
            assertTrue(Double.isFinite(v), name + ": " + r.map());
        }
        assertConserved(r, 1e-2);
    }
}
