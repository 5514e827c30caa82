package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One batched backward gives every image's own gradient: images never mix in a ViT, so the gradient of a batch of 3
 * (the sum of the images' objectives) is the three batch-1 gradients stacked, at every site and the input, and
 * {@link Gradients#values()} is each image's objective. Within 1e-5 of each array's largest value (GEMMs of other
 * shapes sum in other orders); values within 1e-6 relative.
 */
class BatchedGradientsTest {

    static final VitConfig CONFIG = GradientCheck.SMALL;
    static final Vit VIT = new Vit(GradientCheck.weights(CONFIG, 61), KernelSet.configured());
    static final INDArray PIXELS = GradientCheck.pixels(CONFIG, 3, 62);

    @Test
    void aBatchOfThreeGivesTheThreeSingleImageGradientsAndValues() {
        int[] classes = {4, 0, 2};
        assertRowsAreImages(Objective.probability(classes), i -> Objective.probability(classes[i]));
    }

    /** A direction of batch 1 is the same function of every image; the rows still differ because the images do. */
    @Test
    void aDirectionGivesEachImageItsOwnGradientToo() {
        Site site = Site.of(1, Site.Kind.MLP_PRE);
        Objective direction = Objective.direction(site, GradientCheck.gaussian(site.shape(CONFIG, 1), 63));
        assertRowsAreImages(direction, i -> direction);
    }

    /** {@code objective} on the batch against {@code forImage.apply(i)}, the same objective for image i alone. */
    private static void assertRowsAreImages(Objective objective, IntFunction<Objective> forImage) {
        try (Gradients batch = VIT.gradients(Input.normalized(PIXELS), Map.of(), objective)) {
            for (int i = 0; i < 3; i++) {
                try (Gradients one = VIT.gradients(Input.normalized(image(PIXELS, i)), Map.of(), forImage.apply(i))) {
                    for (Site s : one.sites()) {
                        BackwardKernelsTest.assertClose(image(batch.get(s), i), one.get(s), 1e-5,
                                "image " + i + " at " + s);
                    }
                    BackwardKernelsTest.assertClose(image(batch.input(), i), one.input(), 1e-5, "image " + i + " input");
                    assertEquals(one.values()[0], batch.values()[i], 1e-6 * Math.abs(one.values()[0]), "value " + i);
                }
            }
            assertEquals(batch.values()[0] + batch.values()[1] + batch.values()[2], batch.value(), 1e-12);
        }
    }

    /** Row i of a batch, as a batch of one {@code [1, …]}. */
    private static INDArray image(INDArray a, int i) {
        return a.get(NDArrayIndex.interval(i, i + 1)).dup('c');
    }
}
