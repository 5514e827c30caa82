package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A random-weight model of the CIFAR-10 model's shape (4 layers, 4 heads, 65 tokens, 479 edges), two images and
 * their corruptions (the images plus 0.5 × Gaussian noise on the normalised pixels), run once for the tests.
 */
final class RandomModel {

    static final VitConfig CONFIG = VitConfig.cifar10();
    static final Vit VIT = new Vit(VitWeights.random(CONFIG, 5));
    static final int[] TARGETS = {3, 7};
    static final INDArray CLEAN_PIXELS = pixels(2, 1);
    static final INDArray CORRUPT_PIXELS = CLEAN_PIXELS.add(pixels(2, 2).muli(0.5));

    private RandomModel() {
    }

    static INDArray pixels(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, new long[] {batch, 3, 32, 32}, 'c');
    }

    static Activations clean(Keep also) {
        return VIT.run(Input.normalized(CLEAN_PIXELS), EdgeAttribution.keepForClean().and(also));
    }

    static Activations corrupted(Keep also) {
        return VIT.run(Input.normalized(CORRUPT_PIXELS), EdgeAttribution.keepForCorrupted().and(also));
    }
}
