package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class PreprocessingTest {

    /** Identity normalisation and no rescaling, so outputs are plain resized 0..255 values. */
    private static Preprocessing raw(int size) {
        return new Preprocessing(size, 1.0, new double[] {0, 0, 0}, new double[] {1, 1, 1});
    }

    /** An image whose red channel is {@code red} (row-major), green a constant 7 and blue 0. */
    private static RgbImage redImage(int side, int... red) {
        byte[] rgb = new byte[side * side * 3];
        for (int i = 0; i < red.length; i++) {
            rgb[i * 3] = (byte) red[i];
            rgb[i * 3 + 1] = 7;
        }
        return new RgbImage(side, side, rgb);
    }

    private static float[] plane(INDArray x, int image, int channel) {
        return x.get(NDArrayIndex.point(image), NDArrayIndex.point(channel)).dup('c').reshape(-1).toFloatVector();
    }

    @Test
    void bilinearUpscaleOfTwoByTwoToFourByFourMatchesHandArithmetic() {
        // Red channel, 2×2:      0  40
        //                       80 120
        // Along one axis, 2 → 4: scale = in/out = 0.5; output i samples s = (i + 0.5)·0.5 − 0.5, clamped at 0:
        //   i=0: s=−0.25 → 0    → weights (1, 0)       on (p0, p1)
        //   i=1: s= 0.25        → (0.75, 0.25)
        //   i=2: s= 0.75        → (0.25, 0.75)
        //   i=3: s= 1.25 → i0=1, i1=min(2, 1)=1 → p1 only
        // Rows first: top row (0, 40)     → 0, 10, 30, 40;   bottom row (80, 120) → 80, 90, 110, 120.
        // Then columns with the same weights:
        //   y=0: top                              =  0  10  30  40
        //   y=1: 0.75·top + 0.25·bottom           = 20  30  50  60
        //   y=2: 0.25·top + 0.75·bottom           = 60  70  90 100
        //   y=3: bottom                           = 80  90 110 120
        INDArray x = raw(4).apply(redImage(2, 0, 40, 80, 120));

        assertArrayEquals(new long[] {1, 3, 4, 4}, x.shape());
        assertEquals(DataType.FLOAT, x.dataType());
        assertArrayEquals(new float[] {0, 10, 30, 40, 20, 30, 50, 60, 60, 70, 90, 100, 80, 90, 110, 120},
                plane(x, 0, 0), 1e-5f);
        float[] seven = new float[16];
        java.util.Arrays.fill(seven, 7f);
        assertArrayEquals(seven, plane(x, 0, 1), 1e-5f, "a constant channel stays constant");
        assertArrayEquals(new float[16], plane(x, 0, 2), 0f);
    }

    @Test
    void bilinearDownscaleOfThreeByThreeToTwoByTwoReadsOnlyTheNearestPixels() {
        // Red channel, 3×3:   0  30  60
        //                    90 120 150
        //                   180 210 240
        // Along one axis, 3 → 2: scale = 1.5; output i samples s = (i + 0.5)·1.5 − 0.5:
        //   i=0: s=0.25 → 0.75·p0 + 0.25·p1
        //   i=1: s=1.75 → 0.25·p1 + 0.75·p2
        // (no area averaging: this is torch's align_corners=False bilinear, not PIL's antialiased filter)
        // Rows: (0, 30, 60) → 7.5, 52.5;  (90, 120, 150) → 97.5, 142.5;  (180, 210, 240) → 187.5, 232.5
        // Columns with the same weights:
        //   y=0: 0.75·(7.5, 52.5)   + 0.25·(97.5, 142.5)  = (30, 75)
        //   y=1: 0.25·(97.5, 142.5) + 0.75·(187.5, 232.5) = (165, 210)
        INDArray x = raw(2).apply(redImage(3, 0, 30, 60, 90, 120, 150, 180, 210, 240));

        assertArrayEquals(new float[] {30, 75, 165, 210}, plane(x, 0, 0), 1e-5f);
    }

    @Test
    void rescaleThenNormalizeUsesTheChannelsMeanAndStd() {
        // Red 51 → 51/255 = 0.2 → (0.2 − 0.5) / 0.25 = −1.2; green 7 → (7/255 − 0.1) / 0.5 = −0.145098...
        Preprocessing p = new Preprocessing(1, 1 / 255.0, new double[] {0.5, 0.1, 0}, new double[] {0.25, 0.5, 2});
        INDArray x = p.apply(new RgbImage(1, 1, new byte[] {51, 7, (byte) 255}));

        assertArrayEquals(new float[] {-1.2f, (float) ((7 / 255.0 - 0.1) / 0.5), 0.5f}, x.reshape(-1).toFloatVector(),
                1e-7f);
    }

    @Test
    void imagesOfABatchKeepTheirOrder() {
        List<RgbImage> images = List.of(redImage(2, 1, 2, 3, 4), redImage(2, 5, 6, 7, 8));
        INDArray x = raw(2).apply(images);

        assertArrayEquals(new long[] {2, 3, 2, 2}, x.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, plane(x, 0, 0), 0f);
        assertArrayEquals(new float[] {5, 6, 7, 8}, plane(x, 1, 0), 0f);
    }

    @Test
    void normalizeOfPixelsEqualsApplyAndDenormalizeUndoesIt() {
        Preprocessing p = Preprocessing.imagenet(4);
        List<RgbImage> images = List.of(redImage(3, 0, 30, 60, 90, 120, 150, 180, 210, 240), redImage(4));

        INDArray pixels = p.pixels(images);
        INDArray direct = p.apply(images);
        INDArray viaPixels = p.normalize(pixels);

        assertTrue(pixels.minNumber().doubleValue() >= 0 && pixels.maxNumber().doubleValue() <= 1, "unit range");
        assertEquals(0, direct.sub(viaPixels).amaxNumber().doubleValue(), 1e-6);
        assertEquals(0, p.denormalize(direct).sub(pixels).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void normalizeResizesPixelsOfAnotherSizeAndReadsViewsCorrectly() {
        // A double [2, 3, 2, 2] batch; take image 1 as a view: its red plane is 0, 40/255, 80/255, 120/255.
        INDArray batch = Nd4j.zeros(DataType.DOUBLE, 2, 3, 2, 2);
        batch.get(NDArrayIndex.point(1), NDArrayIndex.point(0)).assign(
                Nd4j.createFromArray(new double[][] {{0, 40}, {80, 120}}).div(255));
        INDArray view = batch.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.all());

        INDArray x = raw(4).normalize(view);

        // The same hand-computed upscale as above, in [0, 1] units.
        float[] expected = {0, 10, 30, 40, 20, 30, 50, 60, 60, 70, 90, 100, 80, 90, 110, 120};
        for (int i = 0; i < expected.length; i++) {
            expected[i] /= 255f;
        }
        assertArrayEquals(new long[] {1, 3, 4, 4}, x.shape());
        assertEquals(DataType.FLOAT, x.dataType());
        assertArrayEquals(expected, plane(x, 0, 0), 1e-7f);
    }

    @Test
    void modelInputWithFourChannelsIsRejectedWithAHintAboutAlpha() {
        INDArray rgba = Nd4j.zeros(DataType.FLOAT, 1, 4, 32, 32);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.checkModelInput(rgba, 3, 224));

        assertTrue(e.getMessage().startsWith("expected pixels [B, 3, 224, 224] but got [1, 4, 32, 32]: 4 channels"
                + " (RGBA? drop alpha)"), e.getMessage());
        assertTrue(e.getMessage().contains("32×32 pixels (resize to 224×224"), e.getMessage());
    }

    @Test
    void modelInputOfTheWrongSizeIsRejectedNamingBothSizes() {
        INDArray small = Nd4j.zeros(DataType.FLOAT, 2, 3, 32, 32);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.imagenet(224).checkModelInput(small));

        assertEquals("expected pixels [B, 3, 224, 224] but got [2, 3, 32, 32]: 32×32 pixels (resize to 224×224:"
                + " Preprocessing.normalize or apply do that)", e.getMessage());
    }

    @Test
    void modelInputThatIsChannelsLastDoublePrecisionOrUnbatchedIsRejectedWithAFix() {
        String channelsLast = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.checkModelInput(Nd4j.zeros(DataType.FLOAT, 1, 32, 32, 3), 3, 32)).getMessage();
        String asDouble = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.checkModelInput(Nd4j.zeros(DataType.DOUBLE, 1, 3, 32, 32), 3, 32)).getMessage();
        String unbatched = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.checkModelInput(Nd4j.zeros(DataType.FLOAT, 3, 32, 32), 3, 32)).getMessage();

        assertTrue(channelsLast.contains("permute(0, 3, 1, 2)"), channelsLast);
        assertTrue(asDouble.contains("castTo(DataType.FLOAT)"), asDouble);
        assertTrue(unbatched.contains("reshape to [1, 3, 32, 32]"), unbatched);
    }

    @Test
    void modelInputOfTheRightShapePasses() {
        Preprocessing.cifar10().checkModelInput(Nd4j.zeros(DataType.FLOAT, 8, 3, 32, 32));
    }

    @Test
    void normalizingPixelsWithTheWrongChannelCountIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preprocessing.cifar10().normalize(Nd4j.zeros(DataType.FLOAT, 1, 4, 32, 32)));

        assertEquals("expected pixels [B, 3, H, W] but got [1, 4, 32, 32]: 4 channels (RGBA? drop alpha)",
                e.getMessage());
    }

    @Test
    void anImageArrayOfTheWrongLengthIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RgbImage(2, 2, new byte[16]));

        assertEquals("a 2×2 RGB image needs 12 bytes (interleaved R, G, B), got 16", e.getMessage());
    }

    @Test
    void aNanOrInfiniteMeanStdOrRescaleFactorIsRefusedNamingTheValue() {
        // Each would turn every probability into NaN (or every input into 0) without a word.
        double[] ones = {1, 1, 1};
        double[] zeros = {0, 0, 0};
        IllegalArgumentException nanMean = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessing(32, 1 / 255.0, new double[] {0.5, Double.NaN, 0.5}, ones));
        IllegalArgumentException infiniteStd = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessing(32, 1 / 255.0, zeros, new double[] {1, 1, Double.POSITIVE_INFINITY}));
        IllegalArgumentException infiniteRescale = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessing(32, Double.POSITIVE_INFINITY, zeros, ones));
        IllegalArgumentException zeroStd = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessing(32, 1 / 255.0, zeros, new double[] {1, 0, 1}));

        assertTrue(nanMean.getMessage().startsWith("mean[1] is NaN"), nanMean.getMessage());
        assertTrue(infiniteStd.getMessage().startsWith("std[2] is Infinity"), infiniteStd.getMessage());
        assertTrue(infiniteRescale.getMessage().startsWith("rescaleFactor is Infinity"),
                infiniteRescale.getMessage());
        assertTrue(zeroStd.getMessage().startsWith("std[1] is 0.0"), zeroStd.getMessage());
    }
}
