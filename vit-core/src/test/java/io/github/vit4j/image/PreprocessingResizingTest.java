package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.NpzEntries;
import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PreprocessingResizingTest {

    private static final Path PREPROCESSING = SharedAssets.resolve("reference/families/preprocessing");
    /** CLIPImageProcessor as ../shared's preproc_clip.preprocessor_config.json states it. */
    private static final Preprocessing CLIP = new Preprocessing(224, 1 / 255.0,
            new double[] {0.48145466, 0.4578275, 0.40821073}, new double[] {0.26862954, 0.26130258, 0.27577711})
            .withResizing(Resizing.shortestEdge(224, Resample.BICUBIC));

    @Test
    void clipsPreprocessingOfThreePhotosMatchesHuggingFaceWithinFloat32Rounding() throws IOException {
        // input_normalized is Hugging Face's pipeline in float64; ours is stored as float32, values within ±2.2,
        // so the difference is at most half a float32 ulp there (1.2e-7), within the tolerance 1e-6.
        List<RgbImage> photos = new ArrayList<>();
        for (String name : new String[] {"coco_640x480.png", "coco_crop_517x333.png", "imagenet_187x263.png"}) {
            photos.add(ImageFiles.read(PREPROCESSING.resolve("images").resolve(name)));
        }
        INDArray expected = NpzEntries.read(PREPROCESSING.resolve("preproc_clip.npz"), "input_normalized");

        INDArray x = CLIP.apply(photos);

        assertArrayEquals(new long[] {3, 3, 224, 224}, x.shape());
        double worst = x.castTo(DataType.DOUBLE).sub(expected).amaxNumber().doubleValue();
        assertTrue(worst <= 1e-6, "max abs diff " + worst);
    }

    @Test
    void pixelsAtAnotherSizeAreResizedByNormalizeAsApplyResizesTheImage() {
        // a 9×5 image: normalize(the whole image scaled to [0, 1]) rounds to bytes, resizes and crops as apply does
        byte[] rgb = new byte[9 * 5 * 3];
        for (int k = 0; k < rgb.length; k++) {
            rgb[k] = (byte) (k * 29 % 256);
        }
        RgbImage image = new RgbImage(9, 5, rgb);
        Preprocessing p = Preprocessing.imagenet(4).withResizing(Resizing.shortestEdge(4, Resample.LANCZOS));
        assertEquals(0.0, p.normalize(wholeImage(image)).sub(p.apply(image)).amaxNumber().doubleValue(), 1e-6);
        assertArrayEquals(new long[] {1, 3, 4, 4}, p.apply(image).shape());
    }

    @Test
    void aResizingIsPartOfEqualityAndTextAndTurnsRoundingOn() {
        Preprocessing plain = Preprocessing.imagenet(224);
        Preprocessing resized = plain.withResizing(Resizing.square(224, Resample.BICUBIC));
        assertNotEquals(plain, resized);
        assertTrue(resized.roundResized());
        assertEquals(Optional.empty(), plain.resizing());
        assertEquals(resized, Preprocessing.imagenet(224).withResizing(Resizing.square(224, Resample.BICUBIC)));
        assertEquals(resized.hashCode(),
                Preprocessing.imagenet(224).withResizing(Resizing.square(224, Resample.BICUBIC)).hashCode());
        assertTrue(resized.toString().endsWith(", roundResized=true, resizing=SQUARE 224 BICUBIC]"), resized.toString());
        assertTrue(plain.toString().endsWith("0.225]]"), plain.toString());
    }

    /** The image's pixels {@code [1, 3, h, w]} scaled to [0, 1], not resized. */
    private static INDArray wholeImage(RgbImage image) {
        float[] out = new float[3 * image.width() * image.height()];
        int plane = image.width() * image.height();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < image.height(); y++) {
                for (int x = 0; x < image.width(); x++) {
                    out[c * plane + y * image.width() + x] = image.sample(x, y, c) / 255f;
                }
            }
        }
        return org.nd4j.linalg.factory.Nd4j.create(out, new long[] {1, 3, image.height(), image.width()}, 'c');
    }
}
