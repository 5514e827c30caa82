package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.title.TextTitle;
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
                List.of(), "test", List.of(), "value", ExplainFigures.PanelScale.SHARED);
        BufferedImage png = f.chart().createBufferedImage(f.width(), f.height());
        Rectangle all = box(png, 148, 148, 148).union(box(png, 62, 0, 19));
        Rectangle red = box(png, 62, 0, 19);
        // a 4-px image is drawn at 256 px (a whole multiple of its size), inside a 1-px grey frame: 254 px inside
        assertEquals(new Rectangle(all.x, all.y, 254, 254), all, "the drawn map");
        // the cells are 128 px from the frame's outer edge, so the bottom-left one is 127 px inside the frame
        assertEquals(new Rectangle(all.x, all.y + 127, 127, 127), red, "the bottom-left cell, and nothing else");
    }

    /**
     * Two 2×2 maps over a black image, the second 100 times the first (layer 0 and a late layer of DeiT-tiny differ
     * so): {@code [[0, 0.005], [0.01, 0]]} and {@code [[0, 0.5], [1, 0]]}. Each panel is 96 px (a 4-px image drawn
     * at 24×) in a 1-px frame, so a cell shows 47 × 47 = 2209 px of its colour. Scaled per panel, both panels are
     * {@code [[0, 0.5], [1, 0]]} of their max: the 1 is the ramp's darkest red (0x67001f) at 60% over black,
     * (62, 0, 19), and the 0.5 lies halfway between ramp colours 7 (244, 165, 130) and 8 (214, 96, 77), i.e.
     * (229, 131, 104), at 60%: (137, 79, 62). So each colour covers two cells, one in each panel.
     */
    @Test
    void panelsHundredsOfTimesApartEachUseTheWholeColourRangeWhenScaledPerPanel() {
        Figure f = ExplainFigures.overlay(Nd4j.zeros(3, 4, 4), twoMapsAHundredTimesApart(), 2,
                List.of("layer 0", "layer 11"), "test", List.of(), "weight", ExplainFigures.PanelScale.PER_PANEL);
        BufferedImage png = f.chart().createBufferedImage(f.width(), f.height());
        assertEquals(2 * 2209, count(png, 62, 0, 19), "the largest cell of each panel, in the darkest red");
        assertEquals(2 * 2209, count(png, 137, 79, 62), "the half-size cell of each panel, in the middle red");
        Rectangle darkest = box(png, 62, 0, 19);
        assertTrue(darkest.width > 96, "the darkest red is in both panels, not one: " + darkest);
        assertTrue(f.chart().getSubtitles().stream().anyMatch(t -> t instanceof TextTitle text
                && text.getText().equals(ExplainFigures.PER_PANEL_NOTE)), "the figure says each panel has its own scale");
    }

    /**
     * The same maps on one shared scale (limit 1): the first panel's 0.01 is 1% of the way from white to the darkest
     * red, (247, 246, 245) at 60% = (148, 148, 147), beside a 0 at (148, 148, 148): a whole panel that reads as empty.
     */
    @Test
    void onASharedScaleAPanelAHundredTimesSmallerLooksEmpty() {
        Figure f = ExplainFigures.overlay(Nd4j.zeros(3, 4, 4), twoMapsAHundredTimesApart(), 2,
                List.of("layer 0", "layer 11"), "test", List.of(), "weight", ExplainFigures.PanelScale.SHARED);
        BufferedImage png = f.chart().createBufferedImage(f.width(), f.height());
        assertEquals(2209, count(png, 62, 0, 19), "only the large panel reaches the darkest red");
        assertTrue(f.chart().getSubtitles().stream().noneMatch(t -> t instanceof TextTitle text
                && text.getText().equals(ExplainFigures.PER_PANEL_NOTE)));
    }

    @Test
    void aPanelsMaxIsWrittenToThreeSignificantDigits() {
        assertEquals("0.00612", ExplainFigures.number(0.0061234, 3));
        assertEquals("120", ExplainFigures.number(123.4, 2));
    }

    @Test
    void labelsThatDoNotMatchThePanelsAreRefusedNamingBothCounts() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ExplainFigures.overlay(Nd4j.zeros(3, 4, 4), twoMapsAHundredTimesApart(), 2, List.of("one"),
                        "test", List.of(), "weight", ExplainFigures.PanelScale.PER_PANEL));
        assertTrue(e.getMessage().contains("1 labels for 2 panels"), e.getMessage());
    }

    private static org.nd4j.linalg.api.ndarray.INDArray twoMapsAHundredTimesApart() {
        float[] maps = {0, 0.005f, 0.01f, 0, 0, 0.5f, 1, 0};                         // [2, 2, 2], rows top to bottom
        return Nd4j.create(maps, new long[] {2, 2, 2}, 'c');
    }

    @Test
    void anImageAloneIsDrawnInItsOwnColours() {
        float[] red = new float[3 * 2 * 2];
        java.util.Arrays.fill(red, 0, 4, 1f);                                       // channel 0 = R
        BufferedImage rgb = ExplainFigures.rgb(Nd4j.create(red, new long[] {3, 2, 2}, 'c'));
        assertEquals(0xff0000, rgb.getRGB(1, 1) & 0xffffff);
        assertTrue(ExplainFigures.number(8).equals("8") && ExplainFigures.number(0.5).equals("0.5"));
    }

    /** The number of pixels within 3 of (r, g, b), in the left 70% of the figure (not the colour bar). */
    private static int count(BufferedImage image, int r, int g, int b) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth() * 7 / 10; x++) {
                if (near(image.getRGB(x, y), r, g, b)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean near(int v, int r, int g, int b) {
        return Math.abs((v >> 16 & 255) - r) <= 3 && Math.abs((v >> 8 & 255) - g) <= 3 && Math.abs((v & 255) - b) <= 3;
    }

    /** The bounding box of the pixels within 3 of (r, g, b), in the left 70% of the figure (not the colour bar). */
    private static Rectangle box(BufferedImage image, int r, int g, int b) {
        Rectangle box = null;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth() * 7 / 10; x++) {
                if (near(image.getRGB(x, y), r, g, b)) {
                    box = box == null ? new Rectangle(x, y, 1, 1) : box.union(new Rectangle(x, y, 1, 1));
                }
            }
        }
        return box == null ? new Rectangle() : box;
    }
}
