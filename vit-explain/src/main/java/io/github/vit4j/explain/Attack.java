package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Vit;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adversarial examples in the L∞ ball: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018) on the [0, 1]
 * pixels. Each step moves every pixel by {@code step} in the direction of the sign of the gradient of
 * {@code log p} (down for the true class, untargeted; up for a target class, targeted), then projects back onto
 * {@code |x′ − x| ≤ ε} and [0, 1]. FGSM is one step of size ε from x; PGD takes {@code iterations} steps, from a
 * uniformly random point of the ball when {@code randomStart}. All images of a batch are attacked together.
 *
 * <p>What it satisfies: {@code |x′ − x|∞ ≤ ε} and {@code 0 ≤ x′ ≤ 1} for every pixel ({@code AttackTest}). Where it
 * misleads: a failed attack is no proof of robustness (more steps, restarts or another loss may succeed), and
 * ε in 1/255 units on [0, 1] pixels is not ε on the normalised input (it is divided by each channel's std there).
 * A model without a classifier (its output an embedding) is refused: its log-probabilities mean nothing.
 *
 * @param epsilon     the radius ε of the L∞ ball, in 1/255 units (8 means 8/255), ≥ 0
 * @param step        the step size in 1/255 units, &gt; 0 unless ε = 0
 * @param iterations  the number of steps, ≥ 1
 * @param randomStart whether to start from a uniform random point of the ball
 * @param seed        the random start's seed
 * @param batch       the most images per forward and backward
 */
public record Attack(double epsilon, double step, int iterations, boolean randomStart, long seed, int batch) {

    public Attack {
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon is in 1/255 units, expected a finite number ≥ 0 (8 for "
                    + "8/255), got " + epsilon);
        }
        if (!(step >= 0) || Double.isInfinite(step) || (step == 0 && epsilon > 0)) {
            throw new IllegalArgumentException("step is in 1/255 units, expected a finite number > 0 (ε/4 is "
                    + "usual), got " + step);
        }
        if (iterations < 1 || batch < 1) {
            throw new IllegalArgumentException("iterations and batch must be ≥ 1, got " + iterations + " and "
                    + batch);
        }
    }

    /** FGSM: one step of size ε from the image. */
    public static Attack fgsm(double epsilon) {
        return new Attack(epsilon, epsilon, 1, false, 0, 32);
    }

    /** PGD with a random start: {@code iterations} steps of {@code step}, both in 1/255 units for the step. */
    public static Attack pgd(double epsilon, double step, int iterations, long seed) {
        return new Attack(epsilon, step, iterations, true, seed, 32);
    }

    /** The same attack on batches of {@code newBatch} images. */
    public Attack withBatch(int newBatch) {
        return new Attack(epsilon, step, iterations, randomStart, seed, newBatch);
    }

    /** The same attack with radius {@code epsilon} (1/255 units) and the step scaled in proportion. */
    public Attack withEpsilon(double newEpsilon) {
        double newStep = epsilon == 0 ? newEpsilon : step * newEpsilon / epsilon;
        return new Attack(newEpsilon, newStep, iterations, randomStart, seed, batch);
    }

    /** Untargeted: pixels {@code [B, C, H, W]} that lower p(label) of each image, within the ball. */
    public INDArray untargeted(Vit vit, ImageSource.Batch images, int... labels) {
        return run(vit, images, labels, -1);
    }

    /** Targeted: pixels that raise p(target) of each image, within the ball. */
    public INDArray targeted(Vit vit, ImageSource.Batch images, int... targets) {
        return run(vit, images, targets, +1);
    }

    private INDArray run(Vit vit, ImageSource.Batch images, int[] classes, int direction) {
        TokenLayout.requireClassifier(vit.config(), "an attack");
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        float[] x = PixelModel.floats(images.pixels());
        float[] adv = x.clone();
        double eps = epsilon / 255;
        if (randomStart) {
            SplittableRandom rng = new SplittableRandom(seed);
            for (int k = 0; k < adv.length; k++) {
                adv[k] += (float) (eps * (2 * rng.nextDouble() - 1));
            }
            project(adv, x, eps);
        }
        long[] shape = images.pixels().shape();
        for (int it = 0; it < iterations; it++) {
            float[] g = PixelModel.floats(model.gradient(Nd4j.create(adv, shape, 'c'), ys, Objective::logProbability));
            for (int k = 0; k < adv.length; k++) {
                adv[k] += (float) (direction * (step / 255) * Math.signum(g[k]));
            }
            project(adv, x, eps);
        }
        return Nd4j.create(adv, shape, 'c');
    }

    /** Clips {@code adv} to {@code [x − ε, x + ε] ∩ [0, 1]} (to float precision: within 6e-8 of ε). */
    private static void project(float[] adv, float[] x, double eps) {
        for (int k = 0; k < adv.length; k++) {
            float lo = (float) Math.max(0, x[k] - eps);
            float hi = (float) Math.min(1, x[k] + eps);
            adv[k] = Math.min(hi, Math.max(lo, adv[k]));
        }
    }
}
