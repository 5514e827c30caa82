package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.trace.Metric;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Circuit evaluation and faithfulness curves on {@link RandomModel}: the whole graph is the clean run, the empty
 * circuit the corrupted one; a circuit's dangling edges change nothing; the greedy order grows from the output.
 * Tolerance 1e-4 on faithfulness (a ratio of float32 metric changes of order 0.1 to 1).
 */
class CircuitsTest {

    static final Activations CLEAN = RandomModel.clean(Keep.logitsOnly());
    static final Activations CORRUPTED = RandomModel.corrupted(Keep.logitsOnly());
    static final Circuits CIRCUITS = new Circuits(RandomModel.VIT);
    static final CircuitGraph GRAPH = CIRCUITS.graph();

    @Test
    void theWholeGraphIsFaithfulAndTheEmptyCircuitIsTheCorruptedRun() {
        BitSet all = new BitSet();
        all.set(0, GRAPH.size());
        double[] f = CIRCUITS.faithfulness(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF,
                List.of(all, new BitSet()));
        assertEquals(1, f[0], 1e-4);
        assertEquals(0, f[1], 1e-4);
    }

    @Test
    void edgesOffEveryPathFromInputToOutputChangeNothing() {
        EdgeScores scores = new EdgeAttribution(RandomModel.VIT).score(
                RandomModel.clean(EdgeAttribution.keepForCorrupted()),
                RandomModel.corrupted(Keep.logitsOnly()), RandomModel.TARGETS, Metric.LOGIT_DIFF, EdgeMethod.eap());
        BitSet top = new BitSet();
        for (int e : java.util.Arrays.copyOf(scores.byMagnitude(), 60)) {
            top.set(e);
        }
        BitSet pruned = GRAPH.connected(top);
        assertTrue(pruned.cardinality() < top.cardinality(), "some of the top 60 edges should dangle");
        double[] f = CIRCUITS.faithfulness(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF,
                List.of(top, pruned));
        assertEquals(f[0], f[1], 1e-4);
    }

    @Test
    void aCurveRunsFromTheCorruptedRunToTheModelAndItsAreaIsTheTrapezoidSum() {
        EdgeScores scores = new EdgeAttribution(RandomModel.VIT).score(
                RandomModel.clean(Keep.logitsOnly()), CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF,
                EdgeMethod.eap());
        int[] counts = {0, 20, 100, GRAPH.size()};
        for (Selection selection : Selection.values()) {
            FaithfulnessCurve c = CIRCUITS.curve(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF, scores,
                    selection, counts);
            double[] f = c.faithfulness();
            assertEquals(0, f[0], 1e-4, selection.label());
            assertEquals(1, f[3], 1e-4, selection.label());
            int[] k = c.kept();
            double area = 0;
            for (int i = 1; i < k.length; i++) {
                area += (k[i] - k[i - 1]) / (double) GRAPH.size() * (f[i] + f[i - 1]) / 2;
            }
            assertEquals(area, c.area(), 1e-12);
            if (selection == Selection.TOP) {
                assertArrayEquals(counts, k);
            } else {
                assertTrue(k[1] <= 20 && k[2] <= 100, java.util.Arrays.toString(k));
            }
        }
    }

    @Test
    void theGreedyOrderStartsAtTheOutputAndOnlyTakesEdgesIntoNodesItHasReached() {
        EdgeScores scores = new EdgeAttribution(RandomModel.VIT).score(
                RandomModel.clean(Keep.logitsOnly()), CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF,
                EdgeMethod.eap());
        int[] order = scores.order(Selection.GREEDY);
        assertEquals(GRAPH.size(), order.length);
        java.util.Set<Node> reached = new java.util.HashSet<>();
        reached.add(Node.logits());
        for (int e : order) {
            Edge edge = GRAPH.edge(e);
            assertTrue(reached.contains(edge.downstream()), edge + " taken before its downstream node was reached");
            reached.add(edge.upstream());
        }
    }

    @Test
    void defaultCountsRunOneTwoFiveToTheWholeGraph() {
        assertArrayEquals(new int[] {0, 1, 2, 5, 10, 20, 50, 100, 200, 479}, Circuits.defaultCounts(479));
    }
}
