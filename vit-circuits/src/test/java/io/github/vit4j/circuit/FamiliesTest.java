package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.trace.Metric;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every family vit4j runs has the same graph (CLS, distillation and register tokens are tokens; CLIP's LayerNorm
 * before the blocks is the input's, its LayerNorm on the pooled row, DINOv2's patch mean and SigLIP's attention
 * probe the output's): on small random models of each, the invariant holds, every edge patched gives the clean run
 * and none the corrupted one, and an exact edge score is the general patch of that one edge. The metric is the
 * logit of component 0 (models without classifier output an embedding). Tolerances as in
 * {@link EdgeAttributionTest} and {@link ExactEdgesTest}.
 */
class FamiliesTest {

    static VitConfig small(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
    }

    /** The top-left 8 × 8 pixels of 32 × 32 images. */
    static INDArray corner(INDArray pixels) {
        return pixels.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 8),
                NDArrayIndex.interval(0, 8)).dup('c');
    }

    static Stream<Arguments> families() {
        return Stream.of(Arguments.of("clip vision", small(Architecture.clipVision(6), 6)),
                Arguments.of("dinov2 registers classifier", small(Architecture.dinov2Classifier(3, 0), 5)),
                Arguments.of("siglip", small(Architecture.siglipVision(), 16)),
                Arguments.of("deit distilled", small(Architecture.deitDistilled(), 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theGraphsInvariantAndBothEndsHoldForEveryFamily(String name, VitConfig config) {
        Vit vit = new Vit(VitWeights.random(config, 3));
        INDArray x = corner(RandomModel.pixels(2, 4));                                         // [2, 3, 8, 8]
        INDArray xc = x.add(corner(RandomModel.pixels(2, 5)).muli(0.5));
        int[] targets = {0, 0};
        Activations clean = vit.run(Input.normalized(x), EdgeAttribution.keepForClean());
        Activations corrupted = vit.run(Input.normalized(xc), EdgeAttribution.keepForCorrupted());
        EdgeScores s = new EdgeAttribution(vit).score(clean, corrupted, targets, Metric.LOGIT, EdgeMethod.eap());
        double[] sums = NodeEstimates.outgoing(s);
        double[] nodes = NodeEstimates.of(vit, clean, corrupted, Metric.LOGIT.objective(targets));
        assertTrue(NodeEstimates.maxAbs(nodes) > 1e-6, name + ": a test of zeros proves nothing");
        for (int u = 0; u < nodes.length; u++) {
            assertEquals(nodes[u], sums[u], 1e-4 * NodeEstimates.maxAbs(nodes), name + " " + s.graph().upstream(u));
        }
        ExactEdges exact = new ExactEdges(vit);
        BitSet all = new BitSet();
        all.set(0, s.graph().size());
        double[] restored = exact.patchedSet(clean, corrupted, targets, Metric.LOGIT, all);
        double[] none = exact.patchedSet(clean, corrupted, targets, Metric.LOGIT, new BitSet());
        for (int i = 0; i < 2; i++) {
            double full = Metric.LOGIT.effect(Runs.row(clean, i), Runs.row(corrupted, i), Runs.row(clean, i), 0);
            assertEquals(full, restored[i], 1e-4, name + " image " + i);
            assertEquals(0, none[i], 1e-4, name + " image " + i);
        }
        List<Edge> edges = List.of(new Edge(Node.head(0, 1), Node.head(1, 0), EdgeInput.K),
                new Edge(Node.input(), Node.mlp(1), EdgeInput.MLP), new Edge(Node.head(1, 1), Node.logits(),
                        EdgeInput.OUT));
        double[][] single = exact.perImage(clean, corrupted, targets, Metric.LOGIT, edges);
        for (int e = 0; e < edges.size(); e++) {
            BitSet one = new BitSet();
            one.set(s.graph().indexOf(edges.get(e)));
            double[] set = exact.patchedSet(clean, corrupted, targets, Metric.LOGIT, one);
            for (int i = 0; i < 2; i++) {
                assertEquals(single[e][i], set[i], 1e-4, name + " " + edges.get(e));
            }
        }
    }
}
