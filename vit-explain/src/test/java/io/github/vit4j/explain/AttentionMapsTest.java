package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Every head's attention for one query, on the real model's own 8×8 patch grid (not an assumed 14×14 or 16×16). */
class AttentionMapsTest {

    @Test
    void mapsAreThePatternRowOfTheQueryLaidOutOnTheModelsGrid() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 2);
        for (int query : new int[] {0, 10}) {
            INDArray maps = new AttentionMaps(query).of(vit, images.input());
            assertArrayEquals(new long[] {2, 4, 4, 8, 8}, maps.shape(), "[B, L, H, g, g] with the CIFAR model's g = 8");
            try (Activations run = vit.run(images.input(), Keep.kinds(Site.Kind.PATTERN))) {
                for (int l = 0; l < 4; l++) {
                    INDArray pattern = run.get(Site.pattern(l));                                // [B, H, T, T]
                    for (int b = 0; b < 2; b++) {
                        for (int h = 0; h < 4; h++) {
                            for (int r = 0; r < 8; r++) {
                                for (int c = 0; c < 8; c++) {
                                    assertEquals(pattern.getFloat(b, h, query, 1 + r * 8 + c),
                                            maps.getFloat(b, l, h, r, c), 0f);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void aQueryPastTheLastTokenIsRefusedNamingTheGrid() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new AttentionMaps(65).of(Cifar.vit(), Cifar.images(0, 1).input()));
        assertTrue(e.getMessage().contains("65 tokens") && e.getMessage().contains("8×8"), e.getMessage());
    }
}
