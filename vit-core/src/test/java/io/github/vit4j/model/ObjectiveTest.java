package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.image.Preprocessing;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Objectives on a logits row made for a pencil: {@code l = [ln 6, ln 3, 0]}, so that {@code eˡ = [6, 3, 1]} and the
 * softmax is {@code p = [0.6, 0.3, 0.1]}. Values and seeds (the derivative with respect to the logits) are checked
 * within 1e-6: the row is float32, so ln 6 and ln 3 are off by about 1e-7.
 */
class ObjectiveTest {

    static final double TOLERANCE = 1e-6;
    static final INDArray LOGITS = Nd4j.create(new float[] {(float) Math.log(6), (float) Math.log(3), 0f},
            new long[] {1, 3}, 'c');

    @Test
    void theLogitIsTheEntryAndItsSeedIsOneHot() {
        assertEquals(Math.log(6), Objective.logit(0).values(LOGITS)[0], TOLERANCE);
        assertSeed(Objective.logit(1), 0, 1, 0);
    }

    /** p₁ = 3/10; ∂p₁/∂l = p₁ (e₁ − p) = 0.3 · [−0.6, 0.7, −0.1] = [−0.18, 0.21, −0.03]. */
    @Test
    void theProbabilitysSeedIsPTimesOneHotMinusP() {
        assertEquals(0.3, Objective.probability(1).values(LOGITS)[0], TOLERANCE);
        assertSeed(Objective.probability(1), -0.18, 0.21, -0.03);
    }

    /** log p₂ = ln 0.1; ∂ log p₂/∂l = e₂ − p = [−0.6, −0.3, 0.9]. */
    @Test
    void theLogProbabilitysSeedIsOneHotMinusP() {
        assertEquals(Math.log(0.1), Objective.logProbability(2).values(LOGITS)[0], TOLERANCE);
        assertSeed(Objective.logProbability(2), -0.6, -0.3, 0.9);
    }

    /**
     * Class 0 against its runner-up, class 1: ln 6 − ln 3 = ln 2, seed [1, −1, 0]. Class 2 against the best other,
     * class 0: 0 − ln 6, seed [−1, 0, 1].
     */
    @Test
    void theLogitDiffIsAgainstTheLargestOtherLogit() {
        assertEquals(Math.log(2), Objective.logitDiff(0).values(LOGITS)[0], TOLERANCE);
        assertSeed(Objective.logitDiff(0), 1, -1, 0);
        assertEquals(-Math.log(6), Objective.logitDiff(2).values(LOGITS)[0], TOLERANCE);
        assertSeed(Objective.logitDiff(2), -1, 0, 1);
    }

    /** One class per image: image 0 takes class 2, image 1 class 0; the seed's rows are the images' own. */
    @Test
    void eachImageHasItsOwnClass() {
        INDArray two = Nd4j.concat(0, LOGITS, LOGITS.mul(2));
        Objective o = Objective.logit(2, 0);
        assertArrayEquals(new double[] {0, 2 * Math.log(6)}, o.values(two), TOLERANCE);
        assertEquals(Nd4j.create(new float[][] {{0, 0, 1}, {1, 0, 0}}), o.seed(two));
    }

    /** A direction of batch 1 applies to every image: values ⟨row i, u⟩, and the seed is u on every row. */
    @Test
    void aDirectionOfBatchOneIsBroadcastOverTheBatch() {
        INDArray site = Nd4j.create(new float[][] {{1, 2, 3}, {-1, 0, 4}});
        INDArray u = Nd4j.create(new float[] {1, 0, -2}, new long[] {1, 3}, 'c');
        Objective o = Objective.direction(Site.logits(), u);
        assertArrayEquals(new double[] {1 - 6, -1 - 8}, o.values(site), TOLERANCE);
        assertEquals(Nd4j.create(new float[][] {{1, 0, -2}, {1, 0, -2}}), o.seed(site));
    }

    @Test
    void aClassCountThatFitsNeitherOneNorTheBatchIsRefusedWithAHint() {
        INDArray three = Nd4j.concat(0, LOGITS, LOGITS, LOGITS);
        String m = assertThrows(IllegalArgumentException.class, () -> Objective.logit(0, 1).values(three))
                .getMessage();
        assertTrue(m.contains("2 classes for a batch of 3") && m.contains("one class per image, or one for all"), m);
    }

    @Test
    void aClassOutsideTheModelIsRefusedNamingIt() {
        String m = assertThrows(IllegalArgumentException.class, () -> Objective.probability(3).seed(LOGITS))
                .getMessage();
        assertTrue(m.contains("class 3 (image 0)") && m.contains("3 classes (0..2)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Objective.logit(1, -4)).getMessage();
        assertTrue(m.contains("got -4 in [1, -4]"), m);
    }

    @Test
    void aDirectionOfTheWrongShapeIsRefusedWithTheShapeToGive() {
        Site z = Site.of(0, Site.Kind.Z);
        INDArray site = Nd4j.zeros(2, 2, 5, 8);
        Objective wrong = Objective.direction(z, Nd4j.zeros(1, 2, 5, 7));
        String m = assertThrows(IllegalArgumentException.class, () -> wrong.seed(site)).getMessage();
        assertTrue(m.contains("[1, 2, 5, 7]") && m.contains("blocks.0.z is [2, 2, 5, 8]") && m.contains("give [1, 2, 5, 8]"),
                m);
        m = assertThrows(IllegalArgumentException.class,
                () -> Objective.direction(z, Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 1, 2, 5, 8)))
                .getMessage();
        assertTrue(m.contains("DOUBLE") && m.contains("castTo(DataType.FLOAT)"), m);
    }

    /**
     * The pixel gradient is the input gradient divided by each channel's std (the preprocessing's {@code (x − mean)
     * / std} has derivative 1/std), within float32 rounding (1e-6 relative).
     */
    @Test
    void thePixelGradientIsTheInputGradientOverEachChannelsStd() {
        VitConfig config = GradientCheck.SMALL;
        Vit vit = new Vit(GradientCheck.weights(config, 51), KernelSet.configured());
        Preprocessing pre = new Preprocessing(config.imageSize(), 1 / 255.0, new double[] {0.5, 0.4, 0.3},
                new double[] {0.2, 0.25, 0.5});
        try (Gradients g = vit.gradients(Input.normalized(GradientCheck.pixels(config, 2, 52)), Map.of(),
                Objective.logit(1))) {
            INDArray input = g.input();
            INDArray pixels = g.pixels(pre);
            for (int c = 0; c < 3; c++) {
                INDArray expected = input.slice(c, 1).div(pre.std()[c]);
                BackwardKernelsTest.assertClose(pixels.slice(c, 1), expected, 1e-6, "channel " + c);
            }
        }
    }

    private static void assertSeed(Objective o, double... expected) {
        assertArrayEquals(expected, o.seed(LOGITS).toDoubleVector(), TOLERANCE, o.toString());
    }
}
