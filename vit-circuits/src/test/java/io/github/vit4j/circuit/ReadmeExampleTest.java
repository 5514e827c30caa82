package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.trace.Metric;
import org.junit.jupiter.api.Test;

/** The module README's example, verbatim between the markers, so that it keeps compiling and working. */
class ReadmeExampleTest {

    @Test
    void theReadmesExampleRuns() {
        Vit vit = RandomModel.VIT;
        Input input = Input.normalized(RandomModel.CLEAN_PIXELS);
        Input corruptedInput = Input.normalized(RandomModel.CORRUPT_PIXELS);
        int[] labels = RandomModel.TARGETS;
        // README example begins
        Activations clean = vit.run(input, EdgeAttribution.keepForClean());
        Activations corrupted = vit.run(corruptedInput, EdgeAttribution.keepForCorrupted());
        EdgeScores scores = new EdgeAttribution(vit).score(clean, corrupted, labels, Metric.LOG_PROB, EdgeMethod.eap());
        double[] exact = new ExactEdges(vit).scores(clean, corrupted, labels, Metric.LOG_PROB, scores.top(20));
        FaithfulnessCurve curve = new Circuits(vit).curve(clean, corrupted, labels, Metric.LOG_PROB, scores,
                Selection.GREEDY, Circuits.defaultCounts(scores.graph().size()));
        // README example ends
        assertEquals(20, exact.length);
        assertEquals(1, curve.faithfulness()[curve.faithfulness().length - 1], 1e-4);
    }
}
