package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The circuit figure of a hand-made graph of a 2-layer, 2-head model, read back from its SVG: every node of the
 * model once, every edge once with its width growing with |score| and its colour by sign; the PNG decodes.
 */
class CircuitFigureTest {

    @TempDir
    Path dir;

    /** Six edges, |score| all different: 1.0 > 0.7 > 0.5 > 0.3 > 0.2 > 0.05. */
    static final List<CircuitFigure.Edge> EDGES = List.of(
            new CircuitFigure.Edge("input", "blocks.0.head.0", "q", 0.5),
            new CircuitFigure.Edge("input", "blocks.0.head.1", "v", -0.2),
            new CircuitFigure.Edge("blocks.0.head.0", "blocks.0.mlp", "mlp", 1.0),
            new CircuitFigure.Edge("blocks.0.mlp", "blocks.1.head.1", "k", -0.7),
            new CircuitFigure.Edge("blocks.1.head.1", "logits", "out", 0.3),
            new CircuitFigure.Edge("input", "logits", "out", 0.05));

    /** The elements of an SVG with an id, by id. */
    static Map<String, Element> byId(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        NodeList all = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)))
                .getElementsByTagName("*");
        Map<String, Element> out = new LinkedHashMap<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (!e.getAttribute("id").isEmpty()) {
                out.put(e.getAttribute("id"), e);
            }
        }
        return out;
    }

    /** An element's stroke width, from its {@code stroke-width} attribute or style. */
    static double strokeWidth(Element e) {
        String text = e.getAttribute("stroke-width") + ";" + e.getAttribute("style");
        Matcher m = Pattern.compile("(?:^|stroke-width:\\s*)([0-9.]+)").matcher(text);
        assertTrue(m.find(), "no stroke width on " + e.getAttribute("id") + ": " + text);
        return Double.parseDouble(m.group(1));
    }

    static String stroke(Element e) {
        return e.getAttribute("stroke") + ";" + e.getAttribute("style");
    }

    @Test
    void theFigureOfAHandMadeTwoLayerGraphHasEveryNodeAndEveryEdge() throws Exception {
        Map<String, Element> ids = byId(CircuitFigure.of(EDGES, 2, 2, "a hand-made circuit").svgElement());
        List<String> nodes = ids.keySet().stream().filter(id -> id.startsWith("node:")).toList();
        assertEquals(List.of("node:input", "node:blocks.0.head.0", "node:blocks.0.head.1", "node:blocks.0.mlp",
                "node:blocks.1.head.0", "node:blocks.1.head.1", "node:blocks.1.mlp", "node:logits"), nodes);
        for (CircuitFigure.Edge e : EDGES) {
            String id = "edge:" + e.upstream() + ":" + e.downstream() + ":" + e.input();
            assertTrue(ids.containsKey(id), "missing " + id + " among " + ids.keySet());
            String colour = stroke(ids.get(id));
            assertTrue(colour.contains(e.score() > 0 ? "rgb(178,24,43)" : "rgb(33,102,172)"),
                    id + " is drawn " + colour);
        }
        assertEquals(EDGES.size(), ids.keySet().stream().filter(id -> id.startsWith("edge:")).count());
    }

    @Test
    void theWidthsOfTheEdgesAreOrderedByTheirAbsoluteScores() throws Exception {
        Map<String, Element> ids = byId(CircuitFigure.of(EDGES, 2, 2, "widths").svgElement());
        List<Double> widths = EDGES.stream()
                .sorted((a, b) -> Double.compare(Math.abs(b.score()), Math.abs(a.score())))
                .map(e -> strokeWidth(ids.get("edge:" + e.upstream() + ":" + e.downstream() + ":" + e.input())))
                .toList();
        assertEquals(CircuitFigure.WIDEST, widths.get(0), 1e-6, "the largest |score| has the widest line");
        for (int i = 1; i < widths.size(); i++) {
            assertTrue(widths.get(i) < widths.get(i - 1), "widths by decreasing |score|: " + widths);
        }
    }

    @Test
    void thePngAndSvgAreWrittenAndThePngDecodes() throws Exception {
        Figure f = CircuitFigure.of(EDGES, 2, 2, "files");
        f.write(dir, "circuit");
        BufferedImage png = ImageIO.read(dir.resolve("circuit.png").toFile());
        assertNotNull(png);
        assertEquals(f.width(), png.getWidth());
        int red = 0;
        for (int y = 0; y < png.getHeight(); y++) {
            for (int x = 0; x < png.getWidth(); x++) {
                int rgb = png.getRGB(x, y);
                red += ((rgb >> 16) & 0xff) > 150 && ((rgb >> 8) & 0xff) < 90 ? 1 : 0;
            }
        }
        assertTrue(red > 100, "positive edges drawn red: " + red + " red pixels");
        assertTrue(Files.readString(dir.resolve("circuit.svg")).contains("files"));
    }

    @Test
    void anEmptyCircuitDrawsTheModelsNodesAndSaysItIsEmpty() throws Exception {
        String svg = CircuitFigure.of(List.of(), 2, 2, "empty").svgElement();
        Map<String, Element> ids = byId(svg);
        assertEquals(8, ids.keySet().stream().filter(id -> id.startsWith("node:")).count());
        assertEquals(0, ids.keySet().stream().filter(id -> id.startsWith("edge:")).count());
        assertTrue(svg.contains("the circuit is empty"), svg);
    }

    @Test
    void anEdgeOfANodeTheModelDoesNotHaveIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CircuitFigure.of(
                List.of(new CircuitFigure.Edge("input", "blocks.2.head.0", "q", 1)), 2, 2, "t"));
        assertTrue(e.getMessage().contains("blocks.2.head.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CircuitFigure.of(
                List.of(new CircuitFigure.Edge("input", "blocks.0.mlp", "q", 1)), 2, 2, "t"));
        assertTrue(e.getMessage().contains("expected mlp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CircuitFigure.of(
                List.of(new CircuitFigure.Edge("blocks.1.mlp", "blocks.0.head.0", "v", 1)), 2, 2, "t"));
        assertTrue(e.getMessage().contains("earlier"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CircuitFigure.Edge("input", "logits", "out",
                Double.NaN));
        e = assertThrows(IllegalArgumentException.class, () -> CircuitFigure.of(List.of(
                new CircuitFigure.Edge("input", "logits", "out", 1), new CircuitFigure.Edge("input", "logits", "out",
                        2)), 2, 2, "t"));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }
}
