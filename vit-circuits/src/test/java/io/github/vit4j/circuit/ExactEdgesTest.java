package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.trace.Metric;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Exact edge scores on {@link RandomModel}: against a plain re-computation written here (the patched input, its
 * LayerNorm in double and the head's projection by hand, then one whole run from the corrupted pixels with that
 * head's rows substituted), against the general edge runs that patch sets of edges, and the two ends: every edge
 * patched is the clean run, none the corrupted one.
 *
 * <p>Tolerance 1e-4 on logit differences of order 1 (float32 runs resumed at different layers and batched
 * differently).
 */
class ExactEdgesTest {

    static final double TOLERANCE = 1e-4;
    static final Activations CLEAN = RandomModel.clean(Keep.logitsOnly());
    static final Activations CORRUPTED = RandomModel.corrupted(Keep.logitsOnly());
    static final ExactEdges EXACT = new ExactEdges(RandomModel.VIT);
    static final CircuitGraph GRAPH = CircuitGraph.of(RandomModel.CONFIG);
    static final List<Edge> EDGES = List.of(new Edge(Node.head(0, 1), Node.head(2, 3), EdgeInput.Q),
            new Edge(Node.input(), Node.head(1, 0), EdgeInput.K),
            new Edge(Node.mlp(1), Node.head(3, 2), EdgeInput.V),
            new Edge(Node.head(2, 2), Node.mlp(2), EdgeInput.MLP),
            new Edge(Node.head(3, 1), Node.logits(), EdgeInput.OUT));

    static double[][] exact(Metric metric) {
        return EXACT.perImage(CLEAN, CORRUPTED, RandomModel.TARGETS, metric, EDGES);
    }

    /** LayerNorm of each row of {@code x} {@code [T, D]} in double, then the affine map: a float array. */
    static INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        double[][] a = x.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] g = p.weight().castTo(DataType.DOUBLE).toDoubleVector();
        double[] b = p.bias().castTo(DataType.DOUBLE).toDoubleVector();
        float[][] out = new float[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            double mean = 0;
            for (double v : a[t]) {
                mean += v / a[t].length;
            }
            double var = 0;
            for (double v : a[t]) {
                var += (v - mean) * (v - mean) / a[t].length;
            }
            for (int j = 0; j < a[t].length; j++) {
                out[t][j] = (float) ((a[t][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j]);
            }
        }
        return Nd4j.create(out);
    }

    /** a_u(clean) − a_u(corrupt) of image i, {@code [T, D]}, from the runs' sites and W_O's columns by hand. */
    static INDArray delta(Activations clean, Activations corrupt, Node u, int i) {
        return switch (u.kind()) {
            case INPUT -> clean.get(Site.residPre(0)).slice(i).sub(corrupt.get(Site.residPre(0)).slice(i));
            case MLP -> clean.get(Site.mlpOut(u.layer())).slice(i).sub(corrupt.get(Site.mlpOut(u.layer())).slice(i));
            case HEAD -> {
                int d = RandomModel.CONFIG.headDim();
                INDArray dz = clean.get(Site.z(u.layer())).slice(i).slice(u.head())
                        .sub(corrupt.get(Site.z(u.layer())).slice(i).slice(u.head()));                  // [T, d]
                INDArray wo = RandomModel.VIT.weights().blocks().get(u.layer()).proj().weight()
                        .get(NDArrayIndex.all(), NDArrayIndex.interval(u.head() * d, (u.head() + 1) * d)); // [D, d]
                yield dz.mmul(wo.transpose());
            }
            case LOGITS -> throw new IllegalArgumentException();
        };
    }

    /** The logits of image i's corrupted run from pixels with edge's downstream input patched, by hand. */
    static float[] plainPatchedRun(Activations full, Edge edge, int i) {
        Node v = edge.downstream();
        int last = RandomModel.CONFIG.layers() - 1;
        double eps = RandomModel.CONFIG.layerNormEps();
        INDArray pixels = RandomModel.CORRUPT_PIXELS.get(NDArrayIndex.interval(i, i + 1)).dup();
        Site read = v.kind() == Node.Kind.HEAD ? Site.residPre(v.layer())
                : v.kind() == Node.Kind.MLP ? Site.residMid(v.layer()) : Site.residPost(last);
        INDArray in = full.get(read).slice(i).add(delta(CLEANALL, full, edge.upstream(), i));     // [T, D]
        Map<Site, Substitution> subs;
        if (v.kind() == Node.Kind.LOGITS) {
            subs = Map.of(Site.residPost(last), Substitution.whole(in.reshape(1, in.size(0), in.size(1))));
        } else if (v.kind() == Node.Kind.MLP) {
            INDArray ln = layerNorm(in, RandomModel.VIT.weights().blocks().get(v.layer()).norm2(), eps);
            subs = Map.of(Site.ln2(v.layer()), Substitution.whole(ln.reshape(1, ln.size(0), ln.size(1))));
        } else {
            VitWeights.Block w = RandomModel.VIT.weights().blocks().get(v.layer());
            int dModel = RandomModel.CONFIG.hiddenSize();
            int d = RandomModel.CONFIG.headDim();
            int row = edge.input().ordinal() * dModel + v.head() * d;         // q, k, v rows of the fused weight
            INDArray ln = layerNorm(in, w.norm1(), eps);                                             // [T, D]
            INDArray wx = w.qkv().weight().get(NDArrayIndex.interval(row, row + d), NDArrayIndex.all());
            INDArray bx = w.qkv().bias().get(NDArrayIndex.interval(row, row + d));
            INDArray x = ln.mmul(wx.transpose()).addRowVector(bx);                                    // [T, d]
            Site site = Site.of(v.layer(), edge.input() == EdgeInput.Q ? Site.Kind.Q
                    : edge.input() == EdgeInput.K ? Site.Kind.K : Site.Kind.V);
            INDArray source = Nd4j.zeros(DataType.FLOAT, 1, RandomModel.CONFIG.heads(), x.size(0), d);
            source.get(NDArrayIndex.point(0), NDArrayIndex.point(v.head())).assign(x);
            INDArray mask = Nd4j.zeros(DataType.FLOAT, 1, RandomModel.CONFIG.heads(), 1, 1);
            mask.putScalar(new long[] {0, v.head(), 0, 0}, 1f);
            subs = Map.of(site, Substitution.masked(source, mask));
        }
        try (Activations run = RandomModel.VIT.run(Input.normalized(pixels), Keep.logitsOnly(), subs)) {
            return run.logits().getRow(0).toFloatVector();
        }
    }

    static final Activations CLEANALL = RandomModel.VIT.run(Input.normalized(RandomModel.CLEAN_PIXELS), Keep.all());

    @Test
    void anExactEdgeScoreIsAPlainRunWithTheDownstreamInputPatched() {
        double[][] scores = exact(Metric.LOGIT_DIFF);
        try (Activations full = RandomModel.VIT.run(Input.normalized(RandomModel.CORRUPT_PIXELS), Keep.all())) {
            double largest = 0;
            for (int e = 0; e < EDGES.size(); e++) {
                for (int i = 0; i < RandomModel.TARGETS.length; i++) {
                    float[] patched = plainPatchedRun(full, EDGES.get(e), i);
                    double expected = Metric.LOGIT_DIFF.effect(Runs.row(CLEAN, i), Runs.row(CORRUPTED, i), patched,
                            RandomModel.TARGETS[i]);
                    assertEquals(expected, scores[e][i], TOLERANCE, EDGES.get(e) + " image " + i);
                    largest = Math.max(largest, Math.abs(expected));
                }
            }
            assertTrue(largest > 1e-3, "a test of zeros proves nothing: " + largest);
        }
    }

    @Test
    void anEdgeScoreIsTheGeneralPatchOfASetOfThatOneEdge() {
        double[][] scores = exact(Metric.LOGIT_DIFF);
        for (int e = 0; e < EDGES.size(); e++) {
            BitSet one = new BitSet();
            one.set(GRAPH.indexOf(EDGES.get(e)));
            double[] set = EXACT.patchedSet(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF, one);
            for (int i = 0; i < set.length; i++) {
                assertEquals(scores[e][i], set[i], TOLERANCE, EDGES.get(e) + " image " + i);
            }
        }
    }

    @Test
    void patchingEveryEdgeRestoresTheCleanMetricAndPatchingNoneGivesTheCorruptedOne() {
        BitSet all = new BitSet();
        all.set(0, GRAPH.size());
        double[] restored = EXACT.patchedSet(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF, all);
        double[] none = EXACT.patchedSet(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT_DIFF, new BitSet());
        for (int i = 0; i < restored.length; i++) {
            double full = Metric.LOGIT_DIFF.effect(Runs.row(CLEAN, i), Runs.row(CORRUPTED, i), Runs.row(CLEAN, i),
                    RandomModel.TARGETS[i]);
            assertTrue(Math.abs(full) > 1e-2, "the corruption must change the metric: " + full);
            assertEquals(full, restored[i], TOLERANCE, "image " + i);
            assertEquals(0, none[i], TOLERANCE, "image " + i);
        }
    }

    @Test
    void meanScoresAverageThePerImageScores() {
        double[][] perImage = exact(Metric.LOGIT);
        double[] mean = EXACT.scores(CLEAN, CORRUPTED, RandomModel.TARGETS, Metric.LOGIT, EDGES);
        for (int e = 0; e < EDGES.size(); e++) {
            assertEquals((perImage[e][0] + perImage[e][1]) / 2, mean[e], 1e-12, EDGES.get(e).toString());
        }
    }
}
