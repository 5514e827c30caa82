package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** FGSM and PGD on CIFAR-10 images: inside the ball and [0, 1], and they work. */
class AttackTest {

    private static final double FLOAT_SLACK = 1e-6;

    private static void assertInsideTheBall(INDArray x, INDArray adversarial, double epsilon255) {
        double moved = adversarial.sub(x).amaxNumber().doubleValue();
        assertTrue(moved <= epsilon255 / 255 + FLOAT_SLACK, "moved " + moved * 255 + "/255 > ε = " + epsilon255);
        assertTrue(adversarial.minNumber().doubleValue() >= 0 && adversarial.maxNumber().doubleValue() <= 1);
    }

    @Test
    void fgsmAndPgdStayInsideTheEpsilonBallAndTheUnitRange() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 4);
        for (Attack attack : new Attack[] {Attack.fgsm(8), Attack.pgd(8, 2, 5, 1), Attack.pgd(2, 1, 3, 7)}) {
            assertInsideTheBall(images.pixels(), attack.untargeted(vit, images, images.labels()), attack.epsilon());
            assertInsideTheBall(images.pixels(), attack.targeted(vit, images, 0), attack.epsilon());
        }
        assertEquals(images.pixels(), Attack.fgsm(0).untargeted(vit, images, images.labels()), "ε = 0 moves nothing");
    }

    /** The robustness curve as data: clean accuracy at ε = 0, lower under PGD at ε = 8/255. */
    @Test
    void pgdAtEightOver255LowersAccuracy() {
        ImageSource.Batch images = Cifar.images(0, 8);
        List<RobustnessCurve.Point> curve = RobustnessCurve.of(Cifar.vit(), images, images.labels(),
                Attack.pgd(8, 2, 7, 0), 0, 8);
        assertEquals(0, curve.get(0).epsilon());
        assertEquals(8, curve.get(1).epsilon());
        assertTrue(curve.get(0).accuracy() >= 0.5, "the model gets most of these right: " + curve);
        assertTrue(curve.get(1).accuracy() <= 0.25 && curve.get(1).accuracy() < curve.get(0).accuracy(),
                "observed: 8 of 8 right before, 0 after; " + curve);
    }

    @Test
    void aTargetedAttackRaisesTheTargetsProbability() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 4);
        int[] labels = images.labels();
        int[] targets = new int[4];
        for (int i = 0; i < 4; i++) {
            targets[i] = (labels[i] + 1) % 10;
        }
        INDArray adversarial = Attack.pgd(4, 1, 5, 3).targeted(vit, images, targets);
        var before = vit.classify(images.input());
        var after = vit.classify(images.withPixels(adversarial).input());
        for (int i = 0; i < 4; i++) {
            assertTrue(after.probabilities(i)[targets[i]] > before.probabilities(i)[targets[i]], "image " + i);
        }
    }

    @Test
    void aNegativeEpsilonIsRefusedWithItsUnit() {
        var e = assertThrows(IllegalArgumentException.class, () -> Attack.fgsm(-1));
        assertTrue(e.getMessage().contains("1/255") && e.getMessage().contains("-1.0"), e.getMessage());
    }
}
