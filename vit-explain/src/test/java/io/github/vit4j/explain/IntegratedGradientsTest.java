package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Integrated gradients: completeness on the real model, and the baselines. */
class IntegratedGradientsTest {

    /** Σ attributions = f(x) − f(baseline) within 1% at 64 Gauss–Legendre points, from black and the blurred image. */
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

    /**
     * Captum's convergence delta by hand: attributions 1, 1, 2, 2 sum to 6; f(x) = 7 and f(x′) = 0.5 leave a gap of
     * 6.5, so the delta is 6 − 6.5 = −0.5, and 0.5 / 6.5 = 7.7% of the gap: not exact. Attributions summing to the
     * gap give 0.
     */
    @Test
    void theConvergenceDeltaIsTheSumOfAttributionsLessTheGap() {
        INDArray a = Nd4j.create(new float[] {1, 1, 2, 2, 1, 1, 2, 2.5f}, new long[] {2, 1, 2, 2}, 'c');
        IntegratedGradients.Result r = new IntegratedGradients.Result(PixelAttribution.summed(a),
                new double[] {7, 7}, new double[] {0.5, 0.5});
        assertEquals(-0.5, r.convergenceDelta(0), 1e-9);
        assertEquals(0.5 / 6.5, r.completenessError(0), 1e-9);
        assertFalse(r.exact(0));
        assertEquals(0, r.convergenceDelta(1), 1e-9);
        assertTrue(r.exact(1));
    }

    /**
     * Along a straight path the integrand is g(α) = ∇f(x′ + α(x − x′)) · (x − x′); for f linear it is constant, and
     * every rule whose weights sum to 1 is exact. For a cubic g(α) = α³ (∫ = ¼), 2 Gauss–Legendre points at
     * ½ ± 1/(2√3) with weights ½ are exact (degree 2K − 1 = 3), while 2 midpoints (¼, ¾) give (1/64 + 27/64)/2 =
     * 7/32: 12.5% off.
     */
    @Test
    void gaussLegendreIsExactForACubicPathWhereTheMidpointRuleIsNot() {
        double[][] gl = IntegratedGradients.Rule.GAUSS_LEGENDRE.points(2);
        assertEquals(0.5 - 0.5 / Math.sqrt(3), Math.min(gl[0][0], gl[0][1]), 1e-12);
        assertEquals(0.5, gl[1][0], 1e-12);
        assertEquals(0.25, integrate(gl, 3), 1e-12);
        assertEquals(7 / 32.0, integrate(IntegratedGradients.Rule.MIDPOINT.points(2), 3), 1e-12);
        for (IntegratedGradients.Rule rule : IntegratedGradients.Rule.values()) {
            assertEquals(1, integrate(rule.points(5), 0), 1e-12, rule + ": a constant integrand, exactly");
        }
    }

    private static double integrate(double[][] points, int power) {
        double s = 0;
        for (int k = 0; k < points[0].length; k++) {
            s += points[1][k] * Math.pow(points[0][k], power);
        }
        return s;
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
