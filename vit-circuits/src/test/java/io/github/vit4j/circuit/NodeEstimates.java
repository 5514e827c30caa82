package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Each upstream node's attribution-patching estimate {@code Δa_u · ∂m/∂a_u}, averaged over the images, computed
 * here from the backward's own gradients (input: {@code blocks.0.resid_pre}; head h: its rows of {@code z}, since
 * its output is linear in them; MLP: {@code mlp_out}), and the sums of EAP scores over each node's outgoing edges.
 */
final class NodeEstimates {

    private NodeEstimates() {
    }

    /** {@code [upstream node]}: the estimates, in the graph's upstream order. */
    static double[] of(Vit vit, Activations clean, Activations corrupted, Objective objective) {
        VitConfig c = vit.config();
        CircuitGraph graph = CircuitGraph.of(c);
        double[] nodes = new double[graph.upstreamNodeCount()];
        int b = clean.batch();
        try (Gradients g = vit.backward(corrupted, objective)) {
            nodes[0] = dot(clean, corrupted, Site.residPre(0), g, null) / b;
            for (int l = 0; l < c.layers(); l++) {
                for (int h = 0; h < c.heads(); h++) {
                    INDArray mask = Nd4j.zeros(DataType.DOUBLE, b, c.heads(), c.tokens(), c.headDim());
                    mask.get(NDArrayIndex.all(), NDArrayIndex.point(h)).assign(1);
                    nodes[graph.upstreamIndex(Node.head(l, h))] = dot(clean, corrupted, Site.z(l), g, mask) / b;
                }
                nodes[graph.upstreamIndex(Node.mlp(l))] = dot(clean, corrupted, Site.mlpOut(l), g, null) / b;
            }
        }
        return nodes;
    }

    /** {@code [upstream node]}: Σ over each node's outgoing edges of their scores. */
    static double[] outgoing(EdgeScores s) {
        CircuitGraph graph = s.graph();
        double[] sums = new double[graph.upstreamNodeCount()];
        double[] scores = s.scores();
        for (int e = 0; e < scores.length; e++) {
            sums[graph.upstreamIndex(graph.edge(e).upstream())] += scores[e];
        }
        return sums;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Σ over images, tokens and features of (clean − corrupt) · gradient at a site, where {@code select} is 1. */
    private static double dot(Activations clean, Activations corrupted, Site site, Gradients g, INDArray select) {
        INDArray delta = clean.get(site).sub(corrupted.get(site)).castTo(DataType.DOUBLE);
        INDArray prod = delta.muli(g.get(site).castTo(DataType.DOUBLE));
        return (select == null ? prod : prod.muli(select)).sumNumber().doubleValue();
    }
}
