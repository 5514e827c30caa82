package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.NpzEntries;
import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class ResizingTest {

    private static final Path PREPROCESSING = SharedAssets.resolve("reference/families/preprocessing");
    /** The photos of preproc_clip.npz, in its order (file-name order). */
    private static final String[] PHOTOS = {"coco_640x480.png", "coco_crop_517x333.png", "imagenet_187x263.png"};

    @Test
    void theShortestEdgeOf187By263To224MakesTheLongEdge315Truncated() {
        // 224 · 263 / 187 = 315.037… → 315 (Python's int() truncates); the short side is the width here.
        assertArrayEquals(new int[] {224, 315}, Resizing.shortestEdge(224, Resample.BICUBIC).resizedSize(187, 263));
        // 640×480: 224 · 640 / 480 = 298.67 → 298 wide; a square stays square
        assertArrayEquals(new int[] {298, 224}, Resizing.shortestEdge(224, Resample.BICUBIC).resizedSize(640, 480));
        assertArrayEquals(new int[] {224, 224}, Resizing.shortestEdge(224, Resample.BICUBIC).resizedSize(50, 50));
        assertArrayEquals(new int[] {256, 256}, Resizing.square(256, Resample.BILINEAR).resizedSize(640, 480));
        assertArrayEquals(new int[] {640, 480}, Resizing.cropOnly().resizedSize(640, 480));
    }

    @Test
    void anEdgePastTheImageSizeLimitIsRefusedInTheConstructorAndParse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resizing.shortestEdge(100_000, Resample.BICUBIC));
        assertTrue(e.getMessage().contains("edge is 100000"), e.getMessage());
        assertTrue(e.getMessage().contains("16384"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Resizing.parse("SQUARE 100000 BICUBIC"));
    }

    @Test
    void aShortestEdgeResizePastTheImageLimitIsRefusedNamingTheImagesSizeAndTheLimit() {
        // 1 × 20000 to shortest edge 224: 224 × 4 480 000 = 1.0 billion pixels, more than MAX_PIXELS (100 million)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resizing.shortestEdge(224, Resample.BICUBIC).resizedSize(1, 20000));
        assertTrue(e.getMessage().contains("1×20000 image"), e.getMessage());
        assertTrue(e.getMessage().contains("224×4480000"), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(ImageFiles.MAX_PIXELS)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resize(new byte[3], 3, 1, 1, 50_000, 50_000,
                Resample.BICUBIC), "50000 × 50000 overflows an int's count of samples");
    }

    @Test
    void theCentreCropStartsAtHalfTheSurplusRoundedDownAndPadsASmallImageWithZeros() {
        // 5 wide × 1 tall, samples 1..5, cropped to 2 × 3: columns from (5 − 2) // 2 = 1, so 2 and 3; rows from
        // (1 − 3) // 2 = −1, so output rows 0 and 2 lie outside the image and are zeros.
        byte[] in = {1, 2, 3, 4, 5};
        assertArrayEquals(new byte[] {0, 0, 2, 3, 0, 0}, Resizing.centreCrop(in, 1, 5, 1, 2, 3));
        // 2 wide cropped to 5: columns from (2 − 5) // 2 = −2: zeros, zeros, 1, 2, zeros (numpy pads as
        // center_crop does: ceil((5 − 2) / 2) = 2 zeros before)
        assertArrayEquals(new byte[] {0, 0, 1, 2, 0}, Resizing.centreCrop(new byte[] {1, 2}, 1, 2, 1, 5, 1));
    }

    @Test
    void clipsProcessorOnThreePhotosGivesHuggingFacesBytesExactly() throws IOException {
        // preproc_clip.npz: CLIPImageProcessor (shortest edge 224, PIL bicubic on uint8, centre crop 224).
        Path npz = PREPROCESSING.resolve("preproc_clip.npz");
        INDArray cropped = NpzEntries.read(npz, "cropped_uint8");           // [3, 224, 224, 3]
        Resizing clip = Resizing.shortestEdge(224, Resample.BICUBIC);
        for (int i = 0; i < PHOTOS.length; i++) {
            RgbImage photo = ImageFiles.read(PREPROCESSING.resolve("images").resolve(PHOTOS[i]));
            INDArray sourceSize = NpzEntries.read(npz, "source_size_wh_" + i);
            assertEquals(sourceSize.getInt(0), photo.width());
            assertEquals(sourceSize.getInt(1), photo.height());

            RgbImage resized = clip.resize(photo);
            INDArray expected = NpzEntries.read(npz, "resized_uint8_" + i);  // [h, w, 3]
            assertEquals(expected.size(0), resized.height(), PHOTOS[i]);
            assertEquals(expected.size(1), resized.width(), PHOTOS[i]);
            assertEquals(0, differing(expected, resized.rgb()), PHOTOS[i] + ": bytes differing from Pillow's");

            RgbImage crop = clip.apply(photo, 224);
            assertEquals(0, differing(cropped.slice(i), crop.rgb()), PHOTOS[i] + ": cropped bytes differing");
        }
    }

    @Test
    void aResizingIsWrittenAndParsedBackAndABadOneIsRefusedNamingTheText() {
        Resizing r = Resizing.shortestEdge(256, Resample.BICUBIC);
        assertEquals("SHORTEST_EDGE 256 BICUBIC", r.toString());
        assertEquals(r, Resizing.parse(r.toString()));
        assertEquals(Resizing.cropOnly(), Resizing.parse(Resizing.cropOnly().toString()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resizing.parse("SHORTEST_EDGE 256 CUBIC"));
        assertTrue(e.getMessage().startsWith("resizing \"SHORTEST_EDGE 256 CUBIC\" is not RULE EDGE FILTER"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Resizing.square(0, Resample.BOX));
    }

    /** How many samples of {@code rgb} (interleaved) differ from the uint8 array {@code [h, w, 3]}. */
    private static int differing(INDArray expected, byte[] rgb) {
        int[] want = expected.dup('c').data().asInt();
        assertEquals(want.length, rgb.length);
        int n = 0;
        for (int k = 0; k < rgb.length; k++) {
            n += want[k] == (rgb[k] & 0xFF) ? 0 : 1;
        }
        return n;
    }
}
