package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model-randomisation sanity check and its rank correlation. */
class SanityCheckTest {

    /** Ties share their mean rank: [1, 1, 2] ranks as [1½, 1½, 3]; against [1, 2, 3], ρ = 1.5 / √(1.5 · 2) = √3 / 2. */
    @Test
    void spearmanWorkedByHand() {
        assertEquals(1, SanityCheck.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 35, 40}), 1e-12);
        assertEquals(-1, SanityCheck.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
        assertArrayEquals(new double[] {1.5, 1.5, 3}, SanityCheck.ranks(new double[] {1, 1, 2}), 0);
        assertEquals(Math.sqrt(3) / 2, SanityCheck.spearman(new double[] {1, 1, 2}, new double[] {1, 2, 3}), 1e-12);
    }

    @Test
    void saliencysCorrelationFallsAsTheModelIsRandomisedFromTheTop() {
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] labels = images.labels();
        List<SanityCheck.Step> steps = SanityCheck.cascading(Cifar.vit(),
                m -> Saliency.defaults().of(m, images, labels).map(), 5);
        assertEquals(List.of("head", "blocks.3", "blocks.2", "blocks.1", "blocks.0", "embeddings"),
                steps.stream().map(SanityCheck.Step::randomised).toList());
        // observed: head 0.53, blocks.3 0.50, blocks.2 0.49, blocks.1 0.34, blocks.0 0.16, embeddings 0.18
        List<String> means = steps.stream().map(s -> s.randomised() + " " + String.format("%.3f", s.mean())).toList();
        double last = steps.get(steps.size() - 1).mean();
        assertTrue(last < 0.5, "fully random model: " + means);
        assertTrue(last < steps.get(0).mean(), "falls from the first step to the last: " + means);
    }
}
