package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Vit;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SmoothGrad (Smilkov et al. 2017): the mean of {@code ∂ logit_y / ∂x} over {@code samples} noisy copies
 * {@code x + N(0, σ²)}, σ = {@code noise · (max(x) − min(x))} of each image; the map sums the channels (signed).
 * Noisy copies are not clipped to [0, 1] (as in the paper); all copies of a batch run batched.
 *
 * <p>What it shows: a saliency map with the high-frequency noise of the gradient averaged away. Where it misleads:
 * the smoothing is a choice of σ (too large and the map shows the noise's average, not the model), and it is still a
 * gradient: saturated evidence stays invisible.
 *
 * @param samples the number of noisy copies N per image, ≥ 1 (the paper: 50)
 * @param noise   σ as a fraction of the image's range, ≥ 0 (the paper finds 0.1–0.2 best)
 * @param seed    the noise's seed: the same seed gives the same map
 * @param batch   the most copies per forward and backward
 */
public record SmoothGrad(int samples, double noise, long seed, int batch) {

    public SmoothGrad {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be ≥ 1 noisy copy, got " + samples);
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("noise is σ as a fraction of the input range, expected a finite "
                    + "number ≥ 0 (0.15 is usual), got " + noise);
        }
        PixelModel.checkBatch(batch);
    }

    /** 50 copies, σ = 15% of the range, seed 0, batches of 64. */
    public static SmoothGrad defaults() {
        return new SmoothGrad(50, 0.15, 0, 64);
    }

    /** SmoothGrad of class {@code classes[i]} for image i (one class for all, or one per image). */
    public PixelAttribution of(Vit vit, ImageSource.Batch images, int... classes) {
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        float[] x = PixelModel.floats(images.pixels());
        int size = x.length / b;
        float[] noisy = new float[b * samples * size];
        int[] copyClasses = new int[b * samples];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < b; i++) {
            float[] range = PixelModel.range(x, i * size, size);
            double sigma = noise * (range[1] - range[0]);
            for (int s = 0; s < samples; s++) {
                int copy = i * samples + s;
                copyClasses[copy] = ys[i];
                for (int k = 0; k < size; k++) {
                    noisy[copy * size + k] = (float) (x[i * size + k] + sigma * rng.nextGaussian());
                }
            }
        }
        long[] shape = images.pixels().shape().clone();
        shape[0] = (long) b * samples;
        float[] g = PixelModel.floats(model.gradient(Nd4j.create(noisy, shape, 'c'), copyClasses, Objective::logit));
        float[] mean = new float[b * size];
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < samples; s++) {
                for (int k = 0; k < size; k++) {
                    mean[i * size + k] += g[(i * samples + s) * size + k] / samples;
                }
            }
        }
        INDArray attributions = Nd4j.create(mean, images.pixels().shape(), 'c');
        return PixelAttribution.summed(attributions);
    }
}
