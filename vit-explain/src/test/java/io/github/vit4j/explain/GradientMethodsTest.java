package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Saliency, gradient × input and SmoothGrad on the CIFAR-10 model, w.r.t. the [0, 1] pixels it sees. */
class GradientMethodsTest {

    private static double logit(Vit vit, INDArray pixels, ImageSource.Batch like, int image, int y) {
        return vit.logits(like.withPixels(pixels).input()).getDouble(image, y);
    }

    /**
     * The map is max over channels of |∂ logit_y/∂ pixel|: nudging the most salient pixel's channels by h one at a
     * time changes the logit by ≈ gradient · h (central differences), and the largest |change| / h is the map's value.
     */
    @Test
    void saliencyIsTheLargestAbsoluteChannelGradientAsFiniteDifferencesFindIt() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] labels = images.labels();
        PixelAttribution s = Saliency.defaults().of(vit, images, labels);
        assertArrayEquals(new long[] {2, 32, 32}, s.map().shape());
        int image = 1;
        INDArray map = s.map().get(org.nd4j.linalg.indexing.NDArrayIndex.point(image));
        long at = map.reshape(1024).argMax(0).getLong(0);
        int row = (int) (at / 32);
        int col = (int) (at % 32);
        double h = 2e-3;
        double largest = 0;
        for (int ch = 0; ch < 3; ch++) {
            INDArray up = images.pixels().dup();
            INDArray down = images.pixels().dup();
            double x = up.getDouble(image, ch, row, col);
            double hUp = Math.min(h, 1 - x);
            double hDown = Math.min(h, x);
            up.putScalar(new long[] {image, ch, row, col}, x + hUp);
            down.putScalar(new long[] {image, ch, row, col}, x - hDown);
            double slope = (logit(vit, up, images, image, labels[image]) - logit(vit, down, images, image,
                    labels[image])) / (hUp + hDown);
            largest = Math.max(largest, Math.abs(slope));
        }
        assertEquals(map.getDouble(row, col), largest, 0.05 * largest, "float32 finite differences: within 5%");
    }

    @Test
    void gradientTimesInputIsZeroOnABlackImageAndTheGradientTimesThePixelsElsewhere() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        ImageSource.Batch black = images.withPixels(Nd4j.zeros(DataType.FLOAT, 2, 3, 32, 32));
        assertEquals(0, GradientTimesInput.defaults().of(vit, black, 3).map().amaxNumber().doubleValue(), 0);
        PixelAttribution gxi = GradientTimesInput.defaults().of(vit, images, images.labels());
        INDArray gradient = Saliency.defaults().of(vit, images, images.labels()).attributions();
        assertEquals(0, gxi.attributions().sub(gradient.mul(images.pixels())).amaxNumber().doubleValue(), 1e-7);
        assertEquals(0, gxi.map().sub(gxi.attributions().sum(1)).amaxNumber().doubleValue(), 1e-6,
                "the map sums the channels, signed");
    }

    @Test
    void smoothGradWithoutNoiseIsTheGradientAndAFixedSeedRepeatsItsMap() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        INDArray gradient = Saliency.defaults().of(vit, images, images.labels()).attributions();
        PixelAttribution quiet = new SmoothGrad(3, 0, 1, 8).of(vit, images, images.labels());
        assertEquals(0, quiet.attributions().sub(gradient).amaxNumber().doubleValue(), 1e-6);
        SmoothGrad noisy = new SmoothGrad(8, 0.15, 42, 16);
        INDArray first = noisy.of(vit, images, images.labels()).map();
        assertEquals(first, noisy.of(vit, images, images.labels()).map(), "same seed, same map bit for bit");
        INDArray other = new SmoothGrad(8, 0.15, 43, 16).of(vit, images, images.labels()).map();
        assertTrue(first.sub(other).amaxNumber().doubleValue() > 0, "another seed, other noise");
    }
}
