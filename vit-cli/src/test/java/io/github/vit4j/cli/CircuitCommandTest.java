package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vit circuit} on the CIFAR-10 model of ../shared: its three files, and a bad method named. */
class CircuitCommandTest {

    @TempDir
    Path dir;

    @Test
    void aCircuitStudyOfTwoImagesWritesEveryEdgeTheCurvesAndTheCircuit() throws Exception {
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
    }

    @Test
    void anUnknownMethodIsRefusedNamingIt() {
        CliRun run = CliRun.of("circuit", "--method", "atp", "--out", dir.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("'atp'") && run.err().contains("eap-ig:K"), run.err());
    }
}
