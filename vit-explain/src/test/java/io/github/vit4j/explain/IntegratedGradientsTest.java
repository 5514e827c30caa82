package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Integrated gradients: completeness on the real model, and the baselines. */
class IntegratedGradientsTest {

    /** Σ attributions = f(x) − f(baseline) within 1% at K = 64, from black and from the blurred image. */
    @Test
    void completenessHoldsWithinOnePercentAtSixtyFourSteps() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        for (Baseline baseline : new Baseline[] {Baseline.black(), Baseline.blurred(2)}) {
            IntegratedGradients.Result ig = new IntegratedGradients(64, baseline, 64).of(vit, images, images.labels());
            assertArrayEquals(new long[] {2, 32, 32}, ig.attribution().map().shape());
            for (int i = 0; i < 2; i++) {
                double sum = ig.attribution().attributions().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                        .sumNumber().doubleValue();
                double delta = ig.target()[i] - ig.start()[i];
                assertEquals(delta, sum, 0.01 * Math.abs(delta), baseline + ", image " + i);
                assertTrue(ig.completenessError(i) < 0.01, baseline + ": " + ig.completenessError(i));
            }
        }
    }

    @Test
    void aBaselineEqualToTheImageGivesZeroAttributions() {
        ImageSource.Batch images = Cifar.images(0, 1);
        IntegratedGradients.Result ig = new IntegratedGradients(4, Baseline.custom(images.pixels()), 8)
                .of(Cifar.vit(), images, images.labels());
        assertEquals(0, ig.attribution().attributions().amaxNumber().doubleValue(), 0);
    }

    /** The blur's kernel rows sum to 1, borders folded onto the edge pixel: a constant image stays constant. */
    @Test
    void theBlurredBaselineOfAConstantImageIsThatImage() {
        INDArray grey = Nd4j.valueArrayOf(new long[] {1, 3, 32, 32}, 0.25f);
        INDArray blurred = Baseline.blurred(3).of(grey);
        assertEquals(0, blurred.sub(grey).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void aCustomBaselineOfAnotherSizeIsRefusedNamingBothShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Baseline.custom(Nd4j.zeros(1, 3, 16, 16)).of(Nd4j.zeros(2, 3, 32, 32)));
        assertTrue(e.getMessage().contains("[1, 3, 16, 16]") && e.getMessage().contains("[2, 3, 32, 32]"),
                e.getMessage());
    }
}
