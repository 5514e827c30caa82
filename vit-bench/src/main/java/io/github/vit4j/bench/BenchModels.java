package io.github.vit4j.bench;

import io.github.vit4j.model.Architecture;
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

    /**
     * The config a benchmark's {@code model} parameter names: {@code vitB16}, {@code deitTiny}, {@code cifarVit}, or
     * a family at 224 with ViT-B's sizes: {@code clipB16} (openai/clip-vit-base-patch16's image tower: quick GELU,
     * LayerNorm before the blocks and on CLS, projection to 512), {@code dinov2B14} (facebook/dinov2-base: patch 14,
     * position embeddings trained for 518 resized to the 16×16 grid) and {@code dinov2RegB14} (the same with 4
     * registers, facebook/dinov2-with-registers-base).
     */
    public static VitConfig config(String model) {
        return switch (model) {
            case "vitB16" -> VitConfig.vitB16();
            case "deitTiny" -> VitConfig.deitTiny();
            case "cifarVit" -> VitConfig.cifar10();
            case "clipB16" -> new VitConfig(224, 16, 3, 768, 12, 12, 3072, 1e-5, VitConfig.numberedLabels(512),
                    Architecture.clipVision(512));
            case "dinov2B14" -> new VitConfig(224, 14, 3, 768, 12, 12, 3072, 1e-6, VitConfig.numberedLabels(768),
                    Architecture.dinov2(0, 37));
            case "dinov2RegB14" -> new VitConfig(224, 14, 3, 768, 12, 12, 3072, 1e-6,
                    VitConfig.numberedLabels(768), Architecture.dinov2(4, 37));
            default -> throw new IllegalArgumentException("unknown model " + model + "; use vitB16, deitTiny, cifarVit,"
                    + " clipB16, dinov2B14 or dinov2RegB14");
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

    /**
     * Writes a benchmarked model as a {@code .vit} file, so that {@code vit export --onnx FILE OUT.onnx} gives the
     * peer in vit-bench-ort the very weights the benchmarks here use:
     * {@code java -cp benchmarks.jar io.github.vit4j.bench.BenchModels vitB16 vitb16.vit}.
     */
    public static void main(String[] args) throws java.io.IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: BenchModels MODEL OUT.vit (MODEL: vitB16, deitTiny, cifarVit, "
                    + "clipB16, dinov2B14 or dinov2RegB14)");
        }
        VitConfig c = config(args[0]);
        io.github.vit4j.format.VitFile.write(java.nio.file.Path.of(args[1]),
                new io.github.vit4j.model.Pretrained(weights(args[0]), io.github.vit4j.image.Preprocessing.imagenet(c.imageSize())));
    }

    /** The same pixels as an ND4J array {@code [batch, C, H, W]}. */
    public static INDArray pixels(VitConfig c, int batch, long seed) {
        return Nd4j.create(pixelValues(c, batch, seed), new long[] {batch, c.channels(), c.imageSize(), c.imageSize()}, 'c');
    }
}
