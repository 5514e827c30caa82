package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.corruption.Grayscale;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.trace.AttributionPatching;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A small circuit study of the trained CIFAR-10 model of ../shared (4 layers × 4 heads, 479 edges) on its first
 * four test images under grayscale, the log-probability of the true class: what EAP, exact edge patching and
 * circuit evaluation must satisfy on a real model. Tolerances: 1e-4 of the largest node estimate for the
 * invariant; 1e-4 on log-probabilities of order 1 for the clean and corrupted ends.
 */
class CifarModelTest {

    static final Pretrained PRETRAINED = load();
    static final Vit VIT = new Vit(PRETRAINED.weights());
    static final CausalTrace.Spec WINDOW_1 = new CausalTrace.Spec(List.of(SweepKind.ATTN, SweepKind.MLP), 1,
            Tokens.all(), Metric.LOG_PROB);
    static final ImageSource.Batch IMAGES = images();
    static final int[] LABELS = IMAGES.labels();
    static final Activations CLEAN = VIT.run(IMAGES.input(),
            EdgeAttribution.keepForClean().and(AttributionPatching.keepForClean(WINDOW_1)));
    static final Activations CORRUPTED = VIT.run(new Grayscale().corrupt(IMAGES, VIT.config()).input(),
            EdgeAttribution.keepForCorrupted().and(AttributionPatching.keepForCorrupted(WINDOW_1)));
    static final EdgeScores SCORES = new EdgeAttribution(VIT).score(CLEAN, CORRUPTED, LABELS, Metric.LOG_PROB,
            EdgeMethod.eap());

    static Pretrained load() {
        try {
            return ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ImageSource.Batch images() {
        try {
            return ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                    .read(0, 4, PRETRAINED.preprocessing());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyHeadsAndMlpsOutgoingEdgesAddUpToVitPatchingsAttributionPatching() {
        List<AttributionPatching.Estimate> est = new AttributionPatching(VIT).estimate(CLEAN, CORRUPTED, LABELS,
                WINDOW_1, TraceMethod.atp());
        CircuitGraph g = SCORES.graph();
        double[] sums = new double[g.upstreamNodeCount()];
        double[] s = SCORES.scores();
        for (int e = 0; e < s.length; e++) {
            sums[g.upstreamIndex(g.edge(e).upstream())] += s[e];
        }
        double[] expected = new double[sums.length];
        for (AttributionPatching.Estimate x : est) {
            for (int l = 0; l < 4; l++) {
                for (int h = 0; h < 4; h++) {
                    expected[g.upstreamIndex(Node.head(l, h))] += x.perHead()[l][h] / est.size();
                }
                expected[g.upstreamIndex(Node.mlp(l))] += x.cells().effect()[1][l] / est.size();
            }
        }
        double largest = 0;
        for (double v : expected) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertTrue(largest > 1e-2, "grayscale must move the log-probability: " + largest);
        for (int u = 1; u < sums.length; u++) {
            assertEquals(expected[u], sums[u], 1e-4 * largest, g.upstream(u).name());
        }
    }

    @Test
    void theTopEdgesExactScoresAgreeInSignWithTheirEstimatesAndTheEndsAreCleanAndCorrupted() {
        List<Edge> top = SCORES.top(5);
        double[] exact = new ExactEdges(VIT).scores(CLEAN, CORRUPTED, LABELS, Metric.LOG_PROB, top);
        int agree = 0;
        for (int i = 0; i < top.size(); i++) {
            agree += Math.signum(exact[i]) == Math.signum(SCORES.score(top.get(i))) ? 1 : 0;
        }
        assertTrue(agree >= 4, "EAP's 5 largest edges, exact: " + java.util.Arrays.toString(exact));
        BitSet all = new BitSet();
        all.set(0, SCORES.graph().size());
        double[] restored = new ExactEdges(VIT).patchedSet(CLEAN, CORRUPTED, LABELS, Metric.LOG_PROB, all);
        for (int i = 0; i < LABELS.length; i++) {
            double full = Metric.LOG_PROB.effect(Runs.row(CLEAN, i), Runs.row(CORRUPTED, i), Runs.row(CLEAN, i),
                    LABELS[i]);
            assertEquals(full, restored[i], 1e-4, "image " + i);
        }
        FaithfulnessCurve greedy = new Circuits(VIT).curve(CLEAN, CORRUPTED, LABELS, Metric.LOG_PROB, SCORES,
                Selection.GREEDY, new int[] {0, 50, 479});
        assertEquals(0, greedy.faithfulness()[0], 1e-4);
        assertEquals(1, greedy.faithfulness()[2], 1e-4);
        assertTrue(greedy.kept()[1] <= 50 && greedy.area() > 0, greedy.toString());
    }
}
