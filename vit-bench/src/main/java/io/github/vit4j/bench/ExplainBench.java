package io.github.vit4j.bench;

import io.github.vit4j.explain.AttentionRollout;
import io.github.vit4j.explain.Baseline;
import io.github.vit4j.explain.GradCam;
import io.github.vit4j.explain.IntegratedGradients;
import io.github.vit4j.explain.OcclusionSensitivity;
import io.github.vit4j.explain.Saliency;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What each explanation method costs against the forward it explains, one image (batch 1), random weights of the
 * named config (seeded as in {@link ForwardBench}) and uniform [0, 1] pixels, as vit-explain takes them.
 * {@code forward}: the logits alone ({@code Vit.logits}), the unit the others are read in. {@code saliency}: 1 F + 1 B;
 * {@code ig16}: integrated gradients, 16 steps from black, all in one batch (16 (F + B) + 2 F); {@code gradcam}:
 * 1 F + 1 B at the last block's {@code ln1}; {@code rollout}: 1 F keeping every {@code pattern}, then the products;
 * {@code occlusion}: one patch-sized square at a time over the grid, filled with the mean, in batches of 16
 * (g² + 1 F). Read each method's time / forward's within one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class ExplainBench {

    @Param({"cifarVit", "deitTiny"})
    public String model;

    Vit vit;
    ImageSource.Batch image;
    int[] label = {0};
    private OcclusionSensitivity occlusion;

    @Setup(Level.Trial)
    public void load() {
        vit = new Vit(BenchModels.weights(model));
        VitConfig c = vit.config();
        Preprocessing preprocessing = "cifarVit".equals(model) ? Preprocessing.cifar10()
                : Preprocessing.imagenet(c.imageSize());
        SplittableRandom rng = new SplittableRandom(1);
        float[] v = new float[c.channels() * c.imageSize() * c.imageSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextDouble();
        }
        INDArray pixels = Nd4j.create(v, new long[] {1, c.channels(), c.imageSize(), c.imageSize()}, 'c');
        image = ImageSource.Batch.of(pixels, preprocessing);
        int p = c.patchSize();
        occlusion = new OcclusionSensitivity(p, p, OcclusionSensitivity.of(p, p, preprocessing).fill(), 16);
    }

    @Benchmark
    public INDArray forward() {
        return vit.logits(image.input());
    }

    @Benchmark
    public INDArray saliency() {
        return Saliency.defaults().of(vit, image, label).map();
    }

    @Benchmark
    public INDArray ig16() {
        return new IntegratedGradients(16, Baseline.black(), 16).of(vit, image, label).attribution().map();
    }

    @Benchmark
    public INDArray gradcam() {
        return GradCam.lastBlock(vit.config()).of(vit, image.input(), label);
    }

    @Benchmark
    public INDArray rollout() {
        return AttentionRollout.of(vit, image.input());
    }

    @Benchmark
    public INDArray occlusion() {
        return occlusion.of(vit, image, label);
    }
}
