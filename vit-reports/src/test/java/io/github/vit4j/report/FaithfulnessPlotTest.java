package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaithfulnessPlotTest {

    @TempDir
    Path dir;

    /**
     * By hand: points (0 edges, 0), (5, 0.5), (10, 1) of a 10-edge model are two trapezoids of width ½:
     * ½ · (0 + 0.5)/2 + ½ · (0.5 + 1)/2 = 0.125 + 0.375 = 0.5.
     */
    @Test
    void theAreaIsTheTrapezoidsOverTheFractionOfEdgesKept() {
        FaithfulnessPlot.Curve c = new FaithfulnessPlot.Curve("|score|", new int[] {0, 5, 10},
                new double[] {0, 0.5, 1});
        assertEquals(0.5, c.area(10), 1e-12);
        assertEquals(0.25, c.area(20), 1e-12, "the same points over a 20-edge model cover half the axis");
    }

    @Test
    void oneLinePerRankingWithItsAreaInTheLegendWrittenAsPngAndSvg() throws Exception {
        Figure f = FaithfulnessPlot.of(List.of(
                new FaithfulnessPlot.Curve("|score|", new int[] {0, 5, 10}, new double[] {0, 0.5, 1}),
                new FaithfulnessPlot.Curve("greedy", new int[] {0, 5, 10}, new double[] {0, 0.9, 1})),
                10, FaithfulnessPlot.Axis.FRACTION, "faithfulness", List.of("CIFAR-10, grayscale"));
        f.write(dir, "faithfulness");
        String svg = Files.readString(dir.resolve("faithfulness.svg"));
        assertTrue(svg.contains("|score| (area 0.500)"), "legend of the first curve");
        assertTrue(svg.contains("greedy (area 0.700)"), "legend of the second: ½·0.45 + ½·0.95 = 0.7");
        BufferedImage png = ImageIO.read(dir.resolve("faithfulness.png").toFile());
        assertNotNull(png);
        assertEquals(720, png.getWidth());
    }

    @Test
    void countsThatDoNotIncreaseOrPassTheModelsEdgesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FaithfulnessPlot.Curve("x", new int[] {3, 3},
                new double[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> new FaithfulnessPlot.Curve("x", new int[] {0, 1},
                new double[] {0, Double.NaN}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaithfulnessPlot.of(
                List.of(new FaithfulnessPlot.Curve("x", new int[] {0, 11}, new double[] {0, 1})), 10,
                FaithfulnessPlot.Axis.COUNT, "t", List.of()));
        assertTrue(e.getMessage().contains("11"), e.getMessage());
    }
}
