package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.trace.AttributionPatching;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EAP and EAP-IG on {@link RandomModel}: the scores of a node's outgoing edges add up to the node's attribution
 * patching estimate (the residual stream is read only through the nodes' inputs), both as computed here from the
 * backward's own gradients and as vit-patching's attribution patching computes it (attn and mlp cells at window 1,
 * its per-head map); and a score is the derivative its definition says (a central difference of exact patches).
 *
 * <p>Tolerances: 1e-4 of the largest node estimate for the sums (float32 matrix products over T·D = 8 320 terms
 * against double dot products of the same float32 arrays); 2% of the largest score for the finite differences
 * (ε = 0.01 on a float32 forward).
 */
class EdgeAttributionTest {

    static final CausalTrace.Spec WINDOW_1 = new CausalTrace.Spec(List.of(SweepKind.ATTN, SweepKind.MLP), 1,
            Tokens.all(), Metric.LOGIT_DIFF);
    static final Activations CLEAN = RandomModel.clean(AttributionPatching.keepForClean(WINDOW_1));
    static final Activations CORRUPTED = RandomModel.corrupted(AttributionPatching.keepForCorrupted(WINDOW_1));
    static final EdgeAttribution EAP = new EdgeAttribution(RandomModel.VIT);
    static final CircuitGraph GRAPH = EAP.graph();

    static EdgeScores scores(Metric metric, EdgeMethod method) {
        return EAP.score(CLEAN, CORRUPTED, RandomModel.TARGETS, metric, method);
    }

    @Test
    void theOutgoingEdgesOfEveryNodeAddUpToItsAttributionPatchingEstimate() {
        double[] sums = NodeEstimates.outgoing(scores(Metric.LOGIT_DIFF, EdgeMethod.eap()));
        double[] nodes = NodeEstimates.of(RandomModel.VIT, CLEAN, CORRUPTED,
                Metric.LOGIT_DIFF.objective(RandomModel.TARGETS));
        double tol = 1e-4 * NodeEstimates.maxAbs(nodes);
        for (int u = 0; u < nodes.length; u++) {
            assertEquals(nodes[u], sums[u], tol, GRAPH.upstream(u).name());
        }
        assertTrue(NodeEstimates.maxAbs(nodes) > 1e-3, "a test of zeros proves nothing: " + Arrays.toString(nodes));
    }

    @Test
    void headsAndMlpsAddUpToVitPatchingsOwnAttributionPatchingCells() {
        checkAgainstAtp(EdgeMethod.eap(), TraceMethod.atp());
    }

    @Test
    void eapIgAddsUpToVitPatchingsAtpIgOnTheSamePath() {
        checkAgainstAtp(EdgeMethod.eapIg(3), TraceMethod.atpIg(3));
    }

    private static void checkAgainstAtp(EdgeMethod method, TraceMethod atp) {
        double[] sums = NodeEstimates.outgoing(scores(Metric.LOGIT_DIFF, method));
        List<AttributionPatching.Estimate> est = new AttributionPatching(RandomModel.VIT).estimate(CLEAN, CORRUPTED,
                RandomModel.TARGETS, WINDOW_1, atp);
        int layers = RandomModel.CONFIG.layers();
        double[] expected = new double[sums.length];
        for (AttributionPatching.Estimate e : est) {
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < RandomModel.CONFIG.heads(); h++) {
                    expected[GRAPH.upstreamIndex(Node.head(l, h))] += e.perHead()[l][h] / est.size();
                }
                expected[GRAPH.upstreamIndex(Node.mlp(l))] += e.cells().effect()[1][l] / est.size();
            }
        }
        double tol = 1e-4 * NodeEstimates.maxAbs(expected);
        for (int u = 1; u < sums.length; u++) {
            assertEquals(expected[u], sums[u], tol, method + " " + GRAPH.upstream(u).name());
        }
    }

    @Test
    void perTokenScoresAddUpToTheScores() {
        EdgeScores s = EAP.score(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF, EdgeMethod.eap(), true);
        double[] total = s.scores();
        double tol = 1e-5 * NodeEstimates.maxAbs(total);
        for (int e = 0; e < total.length; e += 7) {
            double sum = 0;
            for (double v : s.perToken(GRAPH.edge(e))) {
                sum += v;
            }
            assertEquals(total[e], sum, tol, GRAPH.edge(e).toString());
        }
        assertThrows(IllegalStateException.class, () -> scores(Metric.LOGIT_DIFF, EdgeMethod.eap())
                .perToken(GRAPH.edge(0)));
    }

    /**
     * score(u → v) is ∂m/∂ε of the run with {@code in_v := in_v(corrupt) + ε Δa_u} at ε = 0: a central difference
     * of exact patches at ε = ±0.01, one edge into each kind of input. (The input's edge into the output scores
     * 0, exactly: the output reads the CLS row, which the corruption of the pixels leaves alone.)
     */
    @Test
    void eapIsTheDerivativeOfTheExactPatchAlongTheEdge() {
        List<Edge> edges = List.of(new Edge(Node.input(), Node.head(1, 2), EdgeInput.K),
                new Edge(Node.head(0, 1), Node.head(2, 0), EdgeInput.Q),
                new Edge(Node.mlp(0), Node.head(3, 3), EdgeInput.V),
                new Edge(Node.head(2, 3), Node.mlp(2), EdgeInput.MLP),
                new Edge(Node.mlp(1), Node.logits(), EdgeInput.OUT),
                new Edge(Node.input(), Node.logits(), EdgeInput.OUT));
        EdgeScores s = scores(Metric.LOGIT, EdgeMethod.eap());
        ExactEdges exact = new ExactEdges(RandomModel.VIT);
        double eps = 0.01;
        double[][] plus = exact.perImage(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT, edges, eps);
        double[][] minus = exact.perImage(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT, edges, -eps);
        double[] eap = new double[edges.size()];
        double[] fd = new double[edges.size()];
        for (int e = 0; e < edges.size(); e++) {
            eap[e] = s.score(edges.get(e));
            for (int i = 0; i < plus[e].length; i++) {
                fd[e] += (plus[e][i] - minus[e][i]) / (2 * eps) / plus[e].length;
            }
        }
        double tol = 0.02 * NodeEstimates.maxAbs(eap);
        for (int e = 0; e < edges.size(); e++) {
            assertEquals(fd[e], eap[e], tol, edges.get(e).toString());
        }
        assertTrue(NodeEstimates.maxAbs(eap) > 1e-3, "a test of zeros proves nothing: " + Arrays.toString(eap));
    }

    @Test
    void runsThatDidNotKeepTheNodesOutputsAreRefusedNamingTheSiteAndTheKeep() {
        try (Activations bare = RandomModel.VIT.run(Input.normalized(RandomModel.CLEAN_PIXELS), Keep.logitsOnly())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EAP.score(bare,
                    CORRUPTED, RandomModel.TARGETS, Metric.LOGIT, EdgeMethod.eap()));
            assertTrue(e.getMessage().contains("blocks.0.") && e.getMessage().contains("keepForClean"),
                    e.getMessage());
        }
    }
}
