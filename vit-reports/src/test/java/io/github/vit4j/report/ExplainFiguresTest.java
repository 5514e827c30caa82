package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class ExplainFiguresTest {

    /**
     * A black 4×4 image under a 2×2 map that is 1 in its bottom-left cell and 0 elsewhere: the cell is drawn the
     * scale's darkest red at 60% over black, (62, 0, 19), the others its white at 60%, (148, 148, 148); the red must
     * cover exactly the bottom-left quarter of the drawn map.
     */
    @Test
    void aMapCellIsDrawnOverThePartOfTheImageItBelongsTo() {
        float[] map = {0, 0, 1, 0};                                                 // rows top to bottom
        Figure f = ExplainFigures.overlay(Nd4j.zeros(3, 4, 4), Nd4j.create(map, new long[] {1, 2, 2}, 'c'), 1,
                List.of(), "test", List.of(), "value");
        BufferedImage png = f.chart().createBufferedImage(f.width(), f.height());
        Rectangle all = box(png, 148, 148, 148).union(box(png, 62, 0, 19));
        Rectangle red = box(png, 62, 0, 19);
        // a 4-px image is drawn at 256 px (a whole multiple of its size), inside a 1-px grey frame: 254 px inside
        assertEquals(new Rectangle(all.x, all.y, 254, 254), all, "the drawn map");
        // the cells are 128 px from the frame's outer edge, so the bottom-left one is 127 px inside the frame
        assertEquals(new Rectangle(all.x, all.y + 127, 127, 127), red, "the bottom-left cell, and nothing else");
    }

    @Test
    void anImageAloneIsDrawnInItsOwnColours() {
        float[] red = new float[3 * 2 * 2];
        java.util.Arrays.fill(red, 0, 4, 1f);                                       // channel 0 = R
        BufferedImage rgb = ExplainFigures.rgb(Nd4j.create(red, new long[] {3, 2, 2}, 'c'));
        assertEquals(0xff0000, rgb.getRGB(1, 1) & 0xffffff);
        assertTrue(ExplainFigures.number(8).equals("8") && ExplainFigures.number(0.5).equals("0.5"));
    }

    /** The bounding box of the pixels within 3 of (r, g, b), in the left 70% of the figure (not the colour bar). */
    private static Rectangle box(BufferedImage image, int r, int g, int b) {
        Rectangle box = null;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth() * 7 / 10; x++) {
                int v = image.getRGB(x, y);
                if (Math.abs((v >> 16 & 255) - r) <= 3 && Math.abs((v >> 8 & 255) - g) <= 3
                        && Math.abs((v & 255) - b) <= 3) {
                    box = box == null ? new Rectangle(x, y, 1, 1) : box.union(new Rectangle(x, y, 1, 1));
                }
            }
        }
        return box == null ? new Rectangle() : box;
    }
}
