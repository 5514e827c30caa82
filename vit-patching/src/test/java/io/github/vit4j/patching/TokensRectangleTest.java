package io.github.vit4j.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import org.junit.jupiter.api.Test;

class TokensRectangleTest {

    /** Trained at 8 (2×2 patches of 4 px), run at 8×12: a 2-row, 3-column grid after the CLS token. */
    private static final VitConfig WIDE = new VitConfig(8, 4, 3, 16, 1, 2, 32, 1e-6, VitConfig.numberedLabels(16),
            Architecture.dinov2(0, 0)).withImageSize(8, 12);

    @Test
    void aRectangleOnANonSquareGridCountsColumnsByTheGridWidth() {
        // cell (r, c) is token 1 + 3·r + c: rows 0..1, columns 1..2 are tokens 2, 3, 5, 6
        assertArrayEquals(new int[] {2, 3, 5, 6}, Tokens.rectangle(0, 1, 2, 2).positions(WIDE));
        assertArrayEquals(new int[] {4, 5, 6}, Tokens.rectangle(1, 0, 1, 3).positions(WIDE));
    }

    @Test
    void aRectangleLeavingTheGridIsRefusedNamingItsHeightAndWidth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokens.rectangle(1, 0, 2, 1).positions(WIDE));
        assertTrue(e.getMessage().contains("leaves the 2×3 patch grid"), e.getMessage());
    }
}
