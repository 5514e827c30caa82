package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code vit circuit} on the CIFAR-10 model of ../shared: its files, figures and page, and a bad method named. */
class CircuitCommandTest {

    @TempDir
    Path dir;

    @Test
    void aCircuitStudyOfTwoImagesWritesEveryEdgeTheCurvesTheCircuitItsFiguresAndItsPage() throws Exception {
        CliRun run = CliRun.of("circuit", "--limit", "2", "--batch", "2", "--verify-top", "5", "--metric",
                "logit-diff", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());

        List<String> edges = Files.readAllLines(dir.resolve("edges.csv"));
        assertEquals("upstream,downstream,input,score,exact", edges.get(0));
        assertEquals(1 + 479, edges.size());
        assertEquals("input,blocks.0.head.0,q", String.join(",", List.of(edges.get(1).split(",")).subList(0, 3)));
        long exact = edges.stream().skip(1).filter(l -> !l.endsWith(",")).count();
        assertEquals(5, exact);

        List<String> curve = Files.readAllLines(dir.resolve("faithfulness.csv"));
        assertEquals("selection,chosen,kept,faithfulness", curve.get(0));
        assertEquals(1 + 2 * 10, curve.size());                     // 0, 1, 2, 5, …, 200, 479 for top and greedy
        assertEquals(0, Double.parseDouble(curve.get(1).split(",")[3]), 1e-3, "no edge: the corrupted run");
        assertEquals(1, Double.parseDouble(curve.get(10).split(",")[3]), 1e-3, "every edge: the clean run");

        JsonNode json = new ObjectMapper().readTree(dir.resolve("circuit.json").toFile());
        assertEquals("eap", json.get("settings").get("method").asText());
        assertEquals(479, json.get("graph").get("edges").asInt());
        assertTrue(json.get("circuit").get("edges").size() > 0, json.toString());
        assertEquals("greedy", json.get("faithfulness").get(1).get("selection").asText());
        assertTrue(run.out().contains("faithfulness (greedy): area"), run.out());
        assertTrue(run.out().contains("agree in sign on") && run.out().contains("of the 5 verified edges"), run.out());
        assertEquals(5, json.get("verified").get("edges").asInt());
        figuresAndPageAgreeWithTheJson(json);
    }

    /**
     * circuit.svg/png, faithfulness.svg/png and report.html: present, readable (the SVGs as XML, the PNGs as
     * pictures), and of the circuit and the curves circuit.json records.
     */
    private void figuresAndPageAgreeWithTheJson(JsonNode json) throws Exception {
        Set<String> circuit = new HashSet<>();
        for (JsonNode e : json.get("circuit").get("edges")) {
            circuit.add("edge:" + e.get("upstream").asText() + ":" + e.get("downstream").asText() + ":"
                    + e.get("input").asText());
        }
        Document svg = xml(dir.resolve("circuit.svg"));
        Set<String> drawn = new HashSet<>();
        NodeList all = svg.getElementsByTagName("*");
        for (int i = 0; i < all.getLength(); i++) {
            String id = ((Element) all.item(i)).getAttribute("id");
            if (id.startsWith("edge:")) {
                drawn.add(id);
            }
        }
        assertEquals(circuit, drawn, "the figure draws exactly the circuit's edges");
        assertNotNull(ImageIO.read(dir.resolve("circuit.png").toFile()));

        String plot = Files.readString(dir.resolve("faithfulness.svg"));
        assertEquals("svg", xml(dir.resolve("faithfulness.svg")).getDocumentElement().getTagName());
        for (JsonNode c : json.get("faithfulness")) {
            String area = String.format(Locale.ROOT, "(area %.3f)", c.get("area").asDouble());
            assertTrue(plot.contains(area), c.get("selection").asText() + ": " + area + " in the legend");
        }
        assertNotNull(ImageIO.read(dir.resolve("faithfulness.png").toFile()));

        String page = Files.readString(dir.resolve("report.html"));
        assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("<section class=\"circuit\">"), page);
        for (String id : circuit) {
            assertTrue(page.contains("id='" + id + "'"), id + " in the page's figure");
        }
        int rows = page.split("<tr><td>", -1).length - 1;
        assertEquals(Math.min(CircuitReport.TABLE_ROWS, circuit.size()), rows, "the table of the circuit's edges");
        assertTrue(page.contains(String.format(Locale.ROOT, "faithfulness %.3f",
                json.get("circuit").get("faithfulness").asDouble())), "the circuit's faithfulness in its title");
    }

    /** An XML file, parsed without fetching its DTD (the SVGs name the W3C's). */
    private static Document xml(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(file.toFile());
    }

    @Test
    void theOptionsOfTheRunsAreThoseOfVitTraceWithTheSameWordsAndDefaults() {
        CommandLine cli = Vit4jCli.commandLine();
        CommandSpec trace = cli.getSubcommands().get("trace").getCommandSpec();
        CommandSpec circuit = cli.getSubcommands().get("circuit").getCommandSpec();
        for (String name : List.of("--corruption", "--metric", "--label", "--seed", "--batch")) {
            OptionSpec t = trace.findOption(name);
            OptionSpec c = circuit.findOption(name);
            assertEquals(List.of(t.description()), List.of(c.description()), name);
            assertEquals(t.defaultValue(), c.defaultValue(), name);
            assertEquals(t.paramLabel(), c.paramLabel(), name);
        }
        assertEquals("16", trace.findOption("--batch").defaultValue());
        assertEquals("grayscale", trace.findOption("--corruption").defaultValue());
    }

    @Test
    void anUnknownMethodIsRefusedNamingIt() {
        CliRun run = CliRun.of("circuit", "--method", "atp", "--out", dir.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("'atp'") && run.err().contains("eap-ig:K"), run.err());
    }
}
