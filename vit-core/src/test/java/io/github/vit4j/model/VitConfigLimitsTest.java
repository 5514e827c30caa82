package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sizes read from files bound what is allocated, so a config refuses sizes no ViT has before anything is built. */
class VitConfigLimitsTest {

    private static final List<String> TEN = VitConfig.CIFAR10_LABELS;

    @Test
    void tenMillionLayersAreRefusedNamingTheValueAndTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, 128, 10_000_000, 4, 256, 1e-5, TEN));
        assertMessage(e, "layers is 10000000", "more than VitConfig.MAX_LAYERS = " + VitConfig.MAX_LAYERS);
    }

    @Test
    void everySizeIsBoundedByItsOwnLimit() {
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, VitConfig.MAX_HIDDEN_SIZE * 2, 4, 4, 256, 1e-5, TEN)),
                "hiddenSize is " + VitConfig.MAX_HIDDEN_SIZE * 2,
                "more than VitConfig.MAX_HIDDEN_SIZE = " + VitConfig.MAX_HIDDEN_SIZE);
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, 1 << 14, 4, 1 << 13, 256, 1e-5, TEN)),
                "heads is 8192", "more than VitConfig.MAX_HEADS = " + VitConfig.MAX_HEADS);
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(1 << 20, 1 << 10, 3, 128, 4, 4, 256, 1e-5, TEN)),
                "imageSize is 1048576", "more than VitConfig.MAX_IMAGE_SIZE = " + VitConfig.MAX_IMAGE_SIZE);
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, 128, 4, 4, 1 << 30, 1e-5, TEN)),
                "mlpSize is 1073741824", "more than VitConfig.MAX_MLP_SIZE = " + VitConfig.MAX_MLP_SIZE);
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 100_000, 128, 4, 4, 256, 1e-5, TEN)),
                "channels is 100000", "more than VitConfig.MAX_CHANNELS = " + VitConfig.MAX_CHANNELS);
        List<String> tooMany = Collections.nCopies(VitConfig.MAX_CLASSES + 1, "x"); // one shared string: no memory
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, 128, 4, 4, 256, 1e-5, tooMany)),
                "classes is " + (VitConfig.MAX_CLASSES + 1),
                "more than VitConfig.MAX_CLASSES = " + VitConfig.MAX_CLASSES);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> VitConfig.numberedLabels(2_000_000_000)),
                "classes is 2000000000", "more than VitConfig.MAX_CLASSES = " + VitConfig.MAX_CLASSES);
    }

    @Test
    void sizesWithinTheirLimitsWhoseTensorsWouldOverflowAreRefused() {
        // each size is allowed alone, but fc1.weight [mlpSize, hiddenSize] would have 2^32 elements
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(32, 4, 3, 1 << 14, 4, 4, VitConfig.MAX_MLP_SIZE, 1e-5, TEN));
        assertMessage(e, "blocks.{i}.mlp.fc1.weight [262144, 16384] would have 4294967296 elements",
                "at most " + Integer.MAX_VALUE);
        // a 16384px image in 1px patches: 2^28 tokens, pos_embed [T, D] far past 2^31 elements
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(VitConfig.MAX_IMAGE_SIZE, 1, 3, 128, 4, 4, 256, 1e-5, TEN));
        assertMessage(tokens, "pos_embed", "at most " + Integer.MAX_VALUE);
    }

    @Test
    void theLargestPublishedVitsAreWithinTheLimits() {
        // ViT-H/14 at 518 with ImageNet-21k's classes: 32 × 1280, 16 heads, MLP 5120
        VitConfig huge = new VitConfig(518, 14, 3, 1280, 32, 16, 5120, 1e-6, VitConfig.numberedLabels(21843));
        assertEquals(1370, huge.tokens());
        // ViT-22B's widths: 48 × 6144, 48 heads, MLP 24576
        assertEquals(48, new VitConfig(224, 14, 3, 6144, 48, 48, 24576, 1e-6, TEN).layers());
    }

    private static void assertMessage(IllegalArgumentException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message: " + e.getMessage() + "\nexpected to contain: " + part);
        }
    }
}
