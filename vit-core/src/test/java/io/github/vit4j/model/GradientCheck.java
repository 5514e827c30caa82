package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Finite differences in double precision against vit4j's float32 backward: for a site (or the input) and a random
 * direction u, the central difference {@code (f(x + εu) − f(x − εu)) / 2ε} of the {@link DoubleVit} oracle, run with
 * the same substitutions as the vit4j run, against {@code ⟨vit4j's gradient there, u⟩}.
 *
 * <p>ε = 1e-5 on values of order 1: the central difference's truncation error (ε²·f‴/6, about 1e-10 relative) and
 * its rounding error (about 1e-16/ε = 1e-11 of f) are far below the float32 backward's own error, so the difference
 * measures vit4j's error alone.
 */
final class GradientCheck {

    static final double EPSILON = 1e-5;

    /**
     * A small model in a nonlinear regime: image 8, patch 4 (T = 5), width 16, 2 layers of 2 heads, MLP 32, 5
     * classes, eps 1e-5.
     */
    static final VitConfig SMALL = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-5, VitConfig.numberedLabels(5));

    /** An objective twice: vit4j's, and the same function of an oracle run's sites. */
    record Pair(Objective objective, ToDoubleFunction<Map<Site, double[]>> oracle) {
        @Override
        public String toString() {
            return objective.toString();
        }
    }

    /** One comparison: where, the finite difference, ⟨g, u⟩, and ‖g‖·‖u‖ (the largest ⟨g, u⟩ could be). */
    record Comparison(String where, double finiteDifference, double backward, double norms) {
        double error() {
            return Math.abs(finiteDifference - backward);
        }

        boolean within(double relative, double absolute) {
            return error() <= relative * Math.abs(finiteDifference) + absolute * norms;
        }

        @Override
        public String toString() {
            return String.format("%s: fd %.9g, backward %.9g, error %.2g (%.2g of |fd|, %.2g of ‖g‖‖u‖)", where,
                    finiteDifference, backward, error(), error() / Math.abs(finiteDifference), error() / norms);
        }
    }

    private final VitConfig config;
    private final DoubleVit oracle;
    private final double[] pixels;
    private final int batch;
    private final Map<Site, UnaryOperator<double[]>> substitutions = new HashMap<>();

    /** Checks for runs from {@code pixels} {@code [B, C, H, W]} with {@code substitutions} (as vit4j's run got them). */
    GradientCheck(VitWeights weights, INDArray pixels, Map<Site, Substitution> substitutions) {
        this.config = weights.config();
        this.oracle = new DoubleVit(weights);
        this.pixels = DoubleVit.doubles(pixels);
        this.batch = (int) pixels.size(0);
        substitutions.forEach((site, s) -> this.substitutions.put(site, oracleOf(site, s)));
    }

    /**
     * Seeded weights of {@link VitWeights#random} with every linear weight ×10 (std 0.2): then attention patterns
     * are far from uniform and GELU far from linear, so every derivative matters. Norms and biases as there.
     */
    static VitWeights weights(VitConfig config, long seed) {
        Map<String, INDArray> t = new LinkedHashMap<>(VitWeights.random(config, seed).tensors());
        t.replaceAll((name, a) -> name.endsWith(".weight") && !name.contains("norm") ? a.mul(10) : a);
        return VitWeights.fromTensors(config, t);
    }

    /** Seeded normalised pixels ~ N(0, 1), {@code [batch, C, H, W]}. */
    static INDArray pixels(VitConfig config, int batch, long seed) {
        return gaussian(new long[] {batch, config.channels(), config.imageSize(), config.imageSize()}, seed);
    }

    /** A seeded N(0, 1) float array of {@code shape}. */
    static INDArray gaussian(long[] shape, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, shape, 'c');
    }

    /** Every site a run from pixels produces: embed, each kind at each layer, ln_final, logits. */
    static List<Site> everySite(VitConfig config) {
        return config.sites();
    }

    /** The oracle's run with this check's substitutions (and an optional extra hook at one site). */
    Map<Site, double[]> run(double[] input, Site at, UnaryOperator<double[]> extra) {
        Map<Site, UnaryOperator<double[]>> hooks = new HashMap<>(substitutions);
        if (at != null) {
            UnaryOperator<double[]> s = hooks.getOrDefault(at, UnaryOperator.identity());
            hooks.put(at, a -> extra.apply(s.apply(a)));
        }
        return oracle.run(input, batch, hooks);
    }

    /** The oracle's unperturbed run. */
    Map<Site, double[]> run() {
        return run(pixels, null, null);
    }

    /**
     * For each of {@code sites} and then the input, a seeded random direction u, the finite difference of
     * {@code objective}'s oracle function along u, and ⟨the gradient {@code gradients} holds there, u⟩.
     */
    List<Comparison> compare(Pair objective, Gradients gradients, List<Site> sites, long seed) {
        List<Comparison> out = new ArrayList<>();
        for (Site site : sites) {
            double[] u = DoubleVit.doubles(gaussian(site.shape(config, batch), seed++));
            double plus = objective.oracle().applyAsDouble(run(pixels, site, a -> axpy(EPSILON, u, a)));
            double minus = objective.oracle().applyAsDouble(run(pixels, site, a -> axpy(-EPSILON, u, a)));
            out.add(comparison(site.toString(), plus, minus, gradients.get(site), u));
        }
        double[] u = DoubleVit.doubles(gaussian(new long[] {pixels.length}, seed));
        double plus = objective.oracle().applyAsDouble(run(axpy(EPSILON, u, pixels), null, null));
        double minus = objective.oracle().applyAsDouble(run(axpy(-EPSILON, u, pixels), null, null));
        out.add(comparison("input", plus, minus, gradients.input(), u));
        return out;
    }

    private static Comparison comparison(String where, double plus, double minus, INDArray gradient, double[] u) {
        double[] g = DoubleVit.doubles(gradient);
        double dot = 0;
        double gg = 0;
        double uu = 0;
        for (int i = 0; i < g.length; i++) {
            dot += g[i] * u[i];
            gg += g[i] * g[i];
            uu += u[i] * u[i];
        }
        return new Comparison(where, (plus - minus) / (2 * EPSILON), dot, Math.sqrt(gg * uu));
    }

    /** {@code a + e·u}, a new array. */
    private static double[] axpy(double e, double[] u, double[] a) {
        double[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += e * u[i];
        }
        return out;
    }

    /** vit4j's substitution as an oracle hook: the same array, or the same masked mix, in double. */
    private UnaryOperator<double[]> oracleOf(Site site, Substitution s) {
        if (s instanceof Substitution.Whole w) {
            double[] array = DoubleVit.doubles(w.array());
            return a -> array.clone();
        }
        Substitution.Masked m = (Substitution.Masked) s;
        double[] source = DoubleVit.doubles(m.source());
        double[] mask = DoubleVit.doubles(m.mask().castTo(DataType.DOUBLE).broadcast(site.shape(config, batch)));
        return a -> {
            double[] out = a.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] += mask[i] * (source[i] - a[i]);
            }
            return out;
        };
    }

    // The objectives, each with its oracle twin: functions of the logits [B, K] summed over the images.

    Pair logit(int... y) {
        return new Pair(Objective.logit(y), logitsFunction(y, (l, c) -> l[c]));
    }

    Pair probability(int... y) {
        return new Pair(Objective.probability(y), logitsFunction(y, (l, c) -> DoubleVit.softmaxRows(l, l.length)[c]));
    }

    Pair logProbability(int... y) {
        return new Pair(Objective.logProbability(y),
                logitsFunction(y, (l, c) -> Math.log(DoubleVit.softmaxRows(l, l.length)[c])));
    }

    Pair logitDiff(int... y) {
        return new Pair(Objective.logitDiff(y), logitsFunction(y, (l, c) -> {
            double best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < l.length; j++) {
                best = j == c ? best : Math.max(best, l[j]);
            }
            return l[c] - best;
        }));
    }

    /** ⟨site, direction⟩ summed over the images; {@code direction} {@code [1, …]} is the same for every image. */
    static Pair direction(Site site, INDArray direction) {
        double[] u = DoubleVit.doubles(direction);
        return new Pair(Objective.direction(site, direction), sites -> {
            double[] a = sites.get(site);
            double s = 0;
            for (int i = 0; i < a.length; i++) {
                s += a[i] * u[i % u.length];
            }
            return s;
        });
    }

    @FunctionalInterface
    private interface RowFunction {
        double of(double[] logitsRow, int y);
    }

    /** {@code Σᵢ f(logits row i, class yᵢ)}; one class applies to every image. */
    private ToDoubleFunction<Map<Site, double[]>> logitsFunction(int[] y, RowFunction f) {
        int k = config.classes();
        return sites -> {
            double[] logits = sites.get(Site.logits());
            double s = 0;
            for (int i = 0; i < batch; i++) {
                s += f.of(Arrays.copyOfRange(logits, i * k, (i + 1) * k), y.length == 1 ? y[0] : y[i]);
            }
            return s;
        };
    }
}
