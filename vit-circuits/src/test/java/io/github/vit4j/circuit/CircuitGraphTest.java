package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.VitConfig;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The graph's edge counts against the issue's, its index arithmetic, and its connectivity pruning. */
class CircuitGraphTest {

    /** 4 layers × 4 heads: Σ_l [12(1 + 5l) + 1 + 5l + 4] + 1 + 20 = 458 + 21. */
    @Test
    void theCifar10ModelHas479Edges() {
        assertEquals(479, CircuitGraph.of(VitConfig.cifar10()).size());
    }

    @Test
    void deitTinyHas2845Edges() {
        assertEquals(2845, CircuitGraph.of(VitConfig.deitTiny()).size());
    }

    /** 12 × 12: Σ_l (49 + 481 l) + 157 = 588 + 31 746 + 157. */
    @Test
    void vitB16Has32491Edges() {
        assertEquals(32491, CircuitGraph.of(VitConfig.vitB16()).size());
    }

    @Test
    void everyEdgeIsFoundAtItsOwnIndexAndNoneTwice() {
        CircuitGraph g = CircuitGraph.of(VitConfig.cifar10());
        Set<Edge> seen = new HashSet<>();
        for (int i = 0; i < g.size(); i++) {
            Edge e = g.edge(i);
            assertEquals(i, g.indexOf(e), e.toString());
            assertTrue(seen.add(e), "twice: " + e);
        }
        assertEquals(Node.input(), g.edge(0).upstream());
        assertEquals(new Edge(Node.mlp(3), Node.logits(), EdgeInput.OUT), g.edge(g.size() - 1));
    }

    @Test
    void aHeadReadsOnlyEarlierBlocksAndAnMlpAlsoItsOwnBlocksHeads() {
        assertThrows(IllegalArgumentException.class, () -> new Edge(Node.head(1, 0), Node.head(1, 2), EdgeInput.Q));
        assertThrows(IllegalArgumentException.class, () -> new Edge(Node.mlp(1), Node.head(1, 2), EdgeInput.K));
        assertThrows(IllegalArgumentException.class, () -> new Edge(Node.head(0, 0), Node.mlp(0), EdgeInput.Q));
        Edge ok = new Edge(Node.head(1, 3), Node.mlp(1), EdgeInput.MLP);
        assertEquals("blocks.1.head.3 -> blocks.1.mlp.mlp", ok.toString());
    }

    @Test
    void anEdgeOfALargerModelIsRefusedNamingTheNode() {
        CircuitGraph g = CircuitGraph.of(VitConfig.cifar10());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.indexOf(new Edge(Node.head(5, 0), Node.logits(), EdgeInput.OUT)));
        assertTrue(e.getMessage().contains("blocks.5.head.0"), e.getMessage());
    }

    /**
     * Kept: input → head 0.0 (q), head 0.0 → logits: a path. Also kept: head 0.1 → logits (head 0.1 reads nothing
     * kept) and input → head 1.0 (v) (head 1.0 writes nothing kept): neither is on a path.
     */
    @Test
    void onlyEdgesOnAPathFromTheInputToTheOutputStayConnected() {
        CircuitGraph g = CircuitGraph.of(VitConfig.cifar10());
        List<Edge> path = List.of(new Edge(Node.input(), Node.head(0, 0), EdgeInput.Q),
                new Edge(Node.head(0, 0), Node.logits(), EdgeInput.OUT));
        List<Edge> dangling = List.of(new Edge(Node.head(0, 1), Node.logits(), EdgeInput.OUT),
                new Edge(Node.input(), Node.head(1, 0), EdgeInput.V));
        BitSet kept = new BitSet();
        path.forEach(e -> kept.set(g.indexOf(e)));
        dangling.forEach(e -> kept.set(g.indexOf(e)));
        BitSet connected = g.connected(kept);
        assertEquals(2, connected.cardinality());
        path.forEach(e -> assertTrue(connected.get(g.indexOf(e)), e.toString()));
    }

    @Test
    void edgeInputsAndMethodsParseTheirLabels() {
        assertEquals(EdgeInput.OUT, EdgeInput.parse("out"));
        assertEquals(EdgeMethod.eapIg(3), EdgeMethod.parse("eap-ig:3"));
        assertEquals(EdgeMethod.eap(), EdgeMethod.parse(" EAP "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EdgeMethod.parse("eap-ig:0"));
        assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    }
}
