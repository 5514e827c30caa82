package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Input;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code roundResized}: resized values rounded to whole levels after each pass, as PIL does when Hugging Face's
 * {@code ViTImageProcessor} resizes a uint8 image. The expected values below are what
 * {@code Image.fromarray(a).resize((4, 4), resample=2)} gives in Pillow 12.
 */
class RoundedResizeTest {

    /** Red 0 10 / 20 30, green 0 1 / 1 2, blue 255 everywhere. */
    private static final RgbImage TWO_BY_TWO = new RgbImage(2, 2, new byte[] {
            0, 0, (byte) 255, 10, 1, (byte) 255,
            20, 1, (byte) 255, 30, 2, (byte) 255});

    /** Identity normalisation and no rescaling, so outputs are plain resized 0..255 values. */
    private static Preprocessing raw(int size, boolean round) {
        return new Preprocessing(size, 1.0, new double[] {0, 0, 0}, new double[] {1, 1, 1}, round);
    }

    private static float[] plane(INDArray x, int channel) {
        return x.get(NDArrayIndex.point(0), NDArrayIndex.point(channel)).dup('c').reshape(-1).toFloatVector();
    }

    @Test
    void twoByTwoUpscaledToFourByFourIsRoundedToWholeLevelsHalvesUp() {
        // Along each axis 2 → 4 the weights are (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1) on (p0, p1)
        // (PreprocessingTest works them out). Red, rows first: (0, 10)  → 0, 2.5, 7.5, 10  → rounded 0, 3, 8, 10
        //                                                       (20, 30) → 20, 22.5, 27.5, 30 → 20, 23, 28, 30
        // then columns:  y=1: 0.75·(0, 3, 8, 10) + 0.25·(20, 23, 28, 30) = 5, 8, 13, 15   (whole already)
        //                y=2: 0.25·(0, 3, 8, 10) + 0.75·(20, 23, 28, 30) = 15, 18, 23, 25
        // Unrounded (torch), the middle columns keep their halves: 2.5, 7.5, 12.5, 17.5, 22.5, 27.5.
        float[] rounded = plane(raw(4, true).pixels(TWO_BY_TWO), 0);
        float[] unrounded = plane(raw(4, false).pixels(TWO_BY_TWO), 0);

        assertArrayEquals(new float[] {0, 3, 8, 10, 5, 8, 13, 15, 15, 18, 23, 25, 20, 23, 28, 30}, rounded, 0f);
        assertArrayEquals(new float[] {0, 2.5f, 7.5f, 10, 5, 7.5f, 12.5f, 15, 15, 17.5f, 22.5f, 25,
                20, 22.5f, 27.5f, 30}, unrounded, 0f);
    }

    @Test
    void eachPassIsRoundedOnItsOwnAsPilKeepsItsIntermediateImageInBytes() {
        // Green 0 1 / 1 2. Rows first: (0, 1) → 0, 0.25, 0.75, 1 → 0, 0, 1, 1;  (1, 2) → 1, 1.25, 1.75, 2 → 1, 1, 2, 2.
        // Columns: y=1: 0.75·(0, 0, 1, 1) + 0.25·(1, 1, 2, 2) = 0.25, 0.25, 1.25, 1.25 → 0, 0, 1, 1.
        //          y=2: 0.25·(0, 0, 1, 1) + 0.75·(1, 1, 2, 2) = 0.75, 0.75, 1.75, 1.75 → 1, 1, 2, 2.
        // Rounding once at the end would give y=1: 0.25, 0.5, 1, 1.25 → 0, 1, 1, 1 instead: PIL says 0, 0, 1, 1.
        float[] green = plane(raw(4, true).pixels(TWO_BY_TWO), 1);

        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2}, green, 0f);
        float[] white = new float[16];
        Arrays.fill(white, 255);
        assertArrayEquals(white, plane(raw(4, true).pixels(TWO_BY_TWO), 2), 0f, "255 stays 255, no overflow");
    }

    @Test
    void withRescaleOneOver255TheLevelsAreMultiplesOfTheFactorInPixelsApplyAndNormalize() {
        Preprocessing p = Preprocessing.unitRange(4).withRoundResized(true);
        float[] levels = {0, 3, 8, 10, 5, 8, 13, 15, 15, 18, 23, 25, 20, 23, 28, 30};
        float[] expected = new float[16];
        for (int k = 0; k < 16; k++) {
            expected[k] = (float) (levels[k] / 255.0);
        }
        INDArray small = Preprocessing.unitRange(2).pixels(TWO_BY_TWO);       // [1, 3, 2, 2], float32 k/255

        assertArrayEquals(expected, plane(p.pixels(TWO_BY_TWO), 0), 0f);
        assertArrayEquals(expected, plane(p.apply(TWO_BY_TWO), 0), 0f);
        assertArrayEquals(expected, plane(p.normalize(small), 0), 0f, "float32 k/255 halves still round up");
        Input.Pixels input = (Input.Pixels) Input.pixels(small, p);
        assertArrayEquals(expected, plane(input.pixels(), 0), 0f, "Input.pixels checks the range, then rounds alike");
    }

    @Test
    void withoutAResizeNothingIsRounded() {
        // 2×2 at size 2: no resize, so a fractional pixel (a blurred image, say) is left as it is.
        Preprocessing p = raw(2, true);
        INDArray pixels = raw(2, false).pixels(TWO_BY_TWO).muli(0.5);      // red 0, 5, 10, 15; green 0, 0.5, 0.5, 1

        assertArrayEquals(new float[] {0, 0.5f, 0.5f, 1}, plane(p.normalize(pixels), 1), 0f);
        assertArrayEquals(plane(raw(2, false).apply(TWO_BY_TWO), 0), plane(p.apply(TWO_BY_TWO), 0), 0f);
    }

    @Test
    void roundedPixelsStayInRangeSoInputPixelsStillRefusesNormalisedOnes() {
        Preprocessing p = Preprocessing.imagenet(4).withRoundResized(true);
        byte[] bytes = new byte[12];
        Arrays.fill(bytes, (byte) 255);
        RgbImage whiteImage = new RgbImage(2, 2, bytes);
        INDArray white = Preprocessing.unitRange(2).pixels(whiteImage);
        INDArray normalised = Preprocessing.imagenet(2).apply(TWO_BY_TWO);

        assertEquals(1f, p.pixels(whiteImage).maxNumber().floatValue(), 0f, "255 rounds to 255, not 256");
        assertEquals(p.apply(whiteImage), ((Input.Pixels) Input.pixels(white, p)).pixels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Input.pixels(normalised, p));
        assertTrue(e.getMessage().contains("normalised already?"), e.getMessage());
    }

    @Test
    void theOptionIsPartOfEqualityAndTheTextAndOffByDefault() {
        Preprocessing off = Preprocessing.imagenet(224);
        Preprocessing on = off.withRoundResized(true);

        assertFalse(off.roundResized());
        assertFalse(Preprocessing.cifar10().roundResized());
        assertFalse(new Preprocessing(8, 1.0, new double[] {0}, new double[] {1}).roundResized());
        assertFalse(off.equals(on));
        assertEquals(off, on.withRoundResized(false));
        assertTrue(on.toString().endsWith("roundResized=true]"), on.toString());
        assertEquals("Preprocessing[size=224, rescaleFactor=0.00392156862745098, mean=[0.485, 0.456, 0.406], "
                + "std=[0.229, 0.224, 0.225]]", off.toString(), "as before the option existed (trace settings hold it)");
    }
}
