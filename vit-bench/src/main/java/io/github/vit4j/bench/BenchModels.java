package io.github.vit4j.bench;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The benchmarked models (random weights, fixed seeds) and inputs, shared by every benchmark and the peer. */
public final class BenchModels {

    /** Seed of every benchmark's weights. */
    public static final long WEIGHT_SEED = 20261122L;

    private BenchModels() {
    }

    /** The config a benchmark's {@code model} parameter names: {@code vitB16}, {@code deitTiny} or {@code cifarVit}. */
    public static VitConfig config(String model) {
        return switch (model) {
            case "vitB16" -> VitConfig.vitB16();
            case "deitTiny" -> VitConfig.deitTiny();
            case "cifarVit" -> VitConfig.cifar10();
            default -> throw new IllegalArgumentException("unknown model " + model + "; use vitB16, deitTiny or cifarVit");
        };
    }

    /** Seeded random weights of {@code model}. */
    public static VitWeights weights(String model) {
        return VitWeights.random(config(model), WEIGHT_SEED);
    }

    /** {@code [batch, C, H, W]} pixels ~ N(0, 1) from {@code seed}, as Java floats (the peer builds its copy from them). */
    public static float[] pixelValues(VitConfig c, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[batch * c.channels() * c.imageSize() * c.imageSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }

    /** The same pixels as an ND4J array {@code [batch, C, H, W]}. */
    public static INDArray pixels(VitConfig c, int batch, long seed) {
        return Nd4j.create(pixelValues(c, batch, seed), new long[] {batch, c.channels(), c.imageSize(), c.imageSize()}, 'c');
    }
}
