package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatmapsTest {

    @TempDir
    Path dir;

    @Test
    void heatmapPngAndSvgAreWrittenWithTitle() throws Exception {
        Figure f = Heatmaps.kindsByLayers(ReportFixtures.summary(), ReportFixtures.info());
        f.write(dir, "heatmap");
        BufferedImage png = ImageIO.read(dir.resolve("heatmap.png").toFile());
        assertEquals(f.width(), png.getWidth());
        assertEquals(f.height(), png.getHeight());
        String svg = Files.readString(dir.resolve("heatmap.svg"));
        assertTrue(svg.startsWith("<?xml"), "an SVG document");
        assertTrue(svg.contains("Causal trace of simplevit-cifar10 under grayscale, n = 10 images"), "title");
        assertTrue(svg.contains("window 3") && svg.contains("y = true label") && svg.contains("metric prob"),
                "settings line");
        assertTrue(svg.contains("IE = p_patched(y) − p_corrupt(y)"), "colour bar labelled with the metric");
        assertTrue(svg.contains("resid (resid_post)") && svg.contains("mlp (mlp_out)"), "rows labelled");
        assertTrue(svg.contains("layer (the restored window"), "columns labelled");
    }

    @Test
    void anSvgWhoseTitleHoldsMarkupOrControlCharactersIsStillAWellFormedDocumentShowingTheText() throws Exception {
        String model = "<!--<script>& &foo; \"'\u0001\uD800</svg>";
        TraceInfo info = new TraceInfo(model, "grayscale", 10, 3, "all", Metric.PROB, "true", TraceMethod.exact());
        Path file = dir.resolve("hostile.svg");
        Heatmaps.kindsByLayers(ReportFixtures.summary(), info).writeSvg(file);
        DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
        xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        String text = xml.newDocumentBuilder().parse(file.toFile()).getDocumentElement().getTextContent();
        assertTrue(text.contains("Causal trace of <!--<script>& &foo; \"'\uFFFD\uFFFD</svg> under grayscale"), text);
    }

    @Test
    void heatmapCellsShowTheirMeanValue() throws Exception {
        Heatmaps.kindsByLayers(ReportFixtures.summary(), ReportFixtures.info()).writeSvg(dir.resolve("h.svg"));
        String svg = Files.readString(dir.resolve("h.svg"));
        assertTrue(svg.contains(">0.40<") && svg.contains(">-0.03<") && svg.contains(">n/a<"), "cell values");
    }

    @Test
    void tokenSweepHasOneTitledPanelPerLayer() throws Exception {
        int grid = 8;
        double[][] effect = new double[4][grid * grid];
        for (int l = 0; l < 4; l++) {
            effect[l][l * 9] = 0.5; // a diagonal cell per layer
        }
        Figure f = Heatmaps.tokenSweep(ReportFixtures.info(), SweepKind.RESID, effect, grid);
        f.write(dir, "token_sweep");
        String svg = Files.readString(dir.resolve("token_sweep.svg"));
        for (int l = 0; l < 4; l++) {
            assertTrue(svg.contains(">layer " + l + "<"), "panel of layer " + l);
        }
        assertTrue(svg.contains("Token sweep of simplevit-cifar10 under grayscale"), "title");
        assertTrue(Files.size(dir.resolve("token_sweep.png")) > 1000);
    }

    @Test
    void divergingScaleIsWhiteAtZeroRedForPositiveAndBlueForNegative() {
        DivergingScale s = DivergingScale.fitted(new double[][] {{-0.5, 0.73}});
        assertEquals(0.73, s.limit(), 1e-12, "limit: the largest |value| to two significant digits");
        assertEquals(-0.73, s.getLowerBound(), 1e-12);
        Color zero = s.color(0);
        assertTrue(zero.getRed() > 240 && zero.getGreen() > 240 && zero.getBlue() > 240, "white at 0: " + zero);
        Color pos = s.color(0.73);
        assertTrue(pos.getRed() > pos.getBlue(), "red for positive: " + pos);
        Color neg = s.color(-0.73);
        assertTrue(neg.getBlue() > neg.getRed(), "blue for negative: " + neg);
        assertEquals(DivergingScale.NAN_COLOR, s.color(Double.NaN));
    }

    @Test
    void scaleOfNonNegativeDataStartsAtZero() {
        DivergingScale s = DivergingScale.fitted(new double[][] {{0.0, 0.123}});
        assertEquals(0, s.getLowerBound());
        assertEquals(0.13, s.getUpperBound(), 1e-12);
    }

    @Test
    void perImageHeatmapsAreWrittenForEveryImageOfTheCsv() throws Exception {
        List<TraceRow> rows = new ArrayList<>();
        for (int image = 0; image < 3; image++) {
            for (SweepKind k : ReportFixtures.KINDS) {
                for (int l = 0; l < 4; l++) {
                    rows.add(new TraceRow(image, 3, 0.9, 0.1, k, l, 3, 0.5, 0.4 - 0.1 * l, TraceMethod.exact()));
                }
            }
        }
        Path csv = dir.resolve("trace.csv");
        TraceRow.write(csv, rows);
        List<Path> files = ImageHeatmaps.write(csv, dir.resolve("images"), ReportFixtures.info(),
                List.of("airplane", "automobile", "bird", "cat"), 4);
        assertEquals(List.of(dir.resolve("images/image_0000.png"), dir.resolve("images/image_0001.png"),
                dir.resolve("images/image_0002.png")), files);
        for (Path p : files) {
            assertTrue(ImageIO.read(p.toFile()).getWidth() > 0);
        }
    }

    @Test
    void tokenSweepCsvHasRowAndColumnOfEveryCell() throws Exception {
        double[][] e = new double[2][4];
        e[1][3] = 0.25;
        Path csv = dir.resolve("token_sweep.csv");
        TokenSweepCsv.write(csv, List.of(new TokenSweepCsv.ImageSweep(7, e)), 2);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("image,layer,cell,row,col,ie", lines.get(0));
        assertEquals(1 + 2 * 4, lines.size());
        assertEquals("7,1,3,1,1,0.25", lines.get(8));
        double[][] mean = TokenSweepCsv.mean(List.of(new TokenSweepCsv.ImageSweep(0, e),
                new TokenSweepCsv.ImageSweep(1, new double[2][4])));
        assertEquals(0.125, mean[1][3], 0);
    }
}
