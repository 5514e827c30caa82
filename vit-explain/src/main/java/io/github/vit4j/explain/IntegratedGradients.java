package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Vit;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Integrated gradients (Sundararajan et al. 2017): {@code (x − x′) · ∫₀¹ ∂f/∂x (x′ + α (x − x′)) dα} per pixel and
 * channel, f the logit of class y, x′ the {@link Baseline}; the integral by a quadrature {@link Rule} with
 * {@code steps} points {@code α_k} and weights {@code w_k} (Σ w_k = 1), all K points of all images batched. The map
 * sums the channels (signed).
 *
 * <p>What it satisfies: completeness, {@code Σ attributions = f(x) − f(x′)}, up to the quadrature's error, which
 * {@link Result} reports for every image as Captum's convergence delta ({@link Result#convergenceDelta}) and
 * relative to the gap ({@link Result#completenessError}), so a K too small shows.
 *
 * <p>How many points: the gallery of docs/seeing.md (from black; DeiT-tiny on the COCO cats and on CIFAR-10 test
 * images 0–3 resized to 224 px, its top class; the CIFAR-10 model on the same, its top class or the label), the
 * largest completeness error over its images (2026-12-07):
 * <pre>
 *                       midpoint 64  128   256      Gauss–Legendre 16  32    64    128
 * DeiT-tiny, cats             10%   2.5%  1.4%                    14%  11%   1.8%  0.79%
 * DeiT-tiny, CIFAR-10 0–3     3.7%  7.6%  3.8%                    18%  9.3%  3.2%  0.35%
 * CIFAR-10 model, all 5       0.02% 0.01% 0.00%                   0.5% 0.01% 0.00% 0.00%
 * </pre>
 * The path of DeiT-tiny from black is not smooth enough for the midpoint rule to converge quickly (at 256 points it
 * still leaves 3.8%); 128 Gauss–Legendre points ({@link #DEFAULT_STEPS}, Captum's rule) keep every gallery map
 * within 1% ({@link #TOLERANCE}). Where it misleads: the
 * attributions explain the difference to the baseline, so whatever the image shares with it is invisible, and the
 * path passes through images unlike any the model was trained on.
 *
 * @param steps    K, the number of points on the path, ≥ 1 (20–300 are usual; check {@link Result#completenessError})
 * @param rule     where on the path the K points lie and how they are weighted
 * @param baseline where the path starts
 * @param batch    the most path points per forward and backward
 */
public record IntegratedGradients(int steps, Rule rule, Baseline baseline, int batch) {

    /**
     * A quadrature of {@code ∫₀¹ g(α) dα} by K points: {@code Σ_k w_k g(α_k)}.
     */
    public enum Rule {
        /** {@code α_k = (k + ½) / K}, {@code w_k = 1 / K}: the midpoint rule, error O(1/K²) for a smooth path. */
        MIDPOINT,
        /**
         * Gauss–Legendre's K nodes and weights on [0, 1], Captum's default ({@code method="gausslegendre"}): exact
         * for a polynomial path of degree 2K − 1, and the smallest error per point on a smooth one.
         */
        GAUSS_LEGENDRE;

        /** {alphas, weights} of K points. */
        double[][] points(int k) {
            double[] alphas = new double[k];
            double[] weights = new double[k];
            if (this == MIDPOINT) {
                for (int i = 0; i < k; i++) {
                    alphas[i] = (i + 0.5) / k;
                    weights[i] = 1.0 / k;
                }
            } else {
                GaussIntegrator g = new GaussIntegratorFactory().legendre(k, 0, 1);
                for (int i = 0; i < k; i++) {
                    alphas[i] = g.getPoint(i);
                    weights[i] = g.getWeight(i);
                }
            }
            return new double[][] {alphas, weights};
        }
    }

    public IntegratedGradients {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1 points on the path, got " + steps
                    + " (" + DEFAULT_STEPS + " Gauss–Legendre points keep completeness within 1% on the gallery's "
                    + "models)");
        }
        if (rule == null) {
            throw new IllegalArgumentException("a rule is required: Rule.GAUSS_LEGENDRE (Captum's default) or "
                    + "Rule.MIDPOINT");
        }
        if (baseline == null) {
            throw new IllegalArgumentException("a baseline is required: Baseline.black(), blurred(σ) or custom(…)");
        }
        PixelModel.checkBatch(batch);
    }

    /** The default number of points: {@value}, with {@link Rule#GAUSS_LEGENDRE} (see the class comment). */
    public static final int DEFAULT_STEPS = 128;

    /** The completeness error above which a map's result says it is not exact: 1% of the gap. */
    public static final double TOLERANCE = 0.01;

    /** {@code steps} Gauss–Legendre points. */
    public IntegratedGradients(int steps, Baseline baseline, int batch) {
        this(steps, Rule.GAUSS_LEGENDRE, baseline, batch);
    }

    /** {@value #DEFAULT_STEPS} Gauss–Legendre points from black, batches of 64. */
    public static IntegratedGradients defaults() {
        return new IntegratedGradients(DEFAULT_STEPS, Rule.GAUSS_LEGENDRE, Baseline.black(), 64);
    }

    /**
     * Integrated gradients with their completeness check.
     *
     * @param attribution the attributions {@code [B, C, H, W]} and the map {@code [B, H, W]}
     * @param target      f(x) per image: the logit of its class
     * @param start       f(x′) per image at the baseline
     */
    public record Result(PixelAttribution attribution, double[] target, double[] start) {

        /** Captum's convergence delta of image i: {@code Σ attributions − (f(x) − f(x′))}, signed. */
        public double convergenceDelta(int i) {
            double sum = attribution.attributions().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i))
                    .castTo(DataType.DOUBLE).sumNumber().doubleValue();
            return sum - (target[i] - start[i]);
        }

        /**
         * {@code |Σ attributions − (f(x) − f(x′))| / |f(x) − f(x′)|} for image i: the quadrature's relative error
         * (the gap taken as at least 1e-12).
         */
        public double completenessError(int i) {
            return Math.abs(convergenceDelta(i)) / Math.max(Math.abs(target[i] - start[i]), 1e-12);
        }

        /** Whether image i's {@link #completenessError} is within {@link #TOLERANCE}. */
        public boolean exact(int i) {
            return completenessError(i) <= TOLERANCE;
        }
    }

    /** Integrated gradients of class {@code classes[i]} for image i (one class for all, or one per image). */
    public Result of(Vit vit, ImageSource.Batch images, int... classes) {
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        INDArray x = images.pixels();
        int b = model.check(x);
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        INDArray x0 = baseline.of(x);
        float[] xs = PixelModel.floats(x);
        float[] starts = PixelModel.floats(x0);
        int size = xs.length / b;
        double[][] points = rule.points(steps);
        float[] path = new float[b * steps * size];
        int[] pathClasses = new int[b * steps];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < steps; k++) {
                double alpha = points[0][k];
                int point = i * steps + k;
                pathClasses[point] = ys[i];
                for (int e = 0; e < size; e++) {
                    int at = i * size + e;
                    path[point * size + e] = (float) (starts[at] + alpha * (xs[at] - starts[at]));
                }
            }
        }
        long[] shape = x.shape().clone();
        shape[0] = (long) b * steps;
        float[] g = PixelModel.floats(model.gradient(Nd4j.create(path, shape, 'c'), pathClasses, Objective::logit));
        float[] attributions = new float[b * size];
        for (int i = 0; i < b; i++) {
            for (int e = 0; e < size; e++) {
                double integral = 0;
                for (int k = 0; k < steps; k++) {
                    integral += points[1][k] * g[(i * steps + k) * size + e];
                }
                int at = i * size + e;
                attributions[at] = (float) ((xs[at] - starts[at]) * integral);
            }
        }
        return new Result(PixelAttribution.summed(Nd4j.create(attributions, x.shape(), 'c')),
                logitsOf(model, x, ys), logitsOf(model, x0, ys));
    }

    private static double[] logitsOf(PixelModel model, INDArray pixels, int[] ys) {
        double[][] l = model.logits(pixels).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] out = new double[ys.length];
        for (int i = 0; i < ys.length; i++) {
            out[i] = l[i][ys[i]];
        }
        return out;
    }
}
