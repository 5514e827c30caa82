package io.github.vit4j.explain;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Feature visualisation by activation maximisation, as lucid/lucent do it (Olah et al. 2017): images optimised to
 * maximise a {@link Target} (a neuron of {@code mlp_post} at one token or summed over tokens, a head's attention
 * score, a class logit, any direction at any site). The images live in a decorrelated Fourier basis scaled by
 * 1/frequency with decorrelated colour ({@code FourierImage}); at every step each image is jittered, scaled and
 * rotated at random ({@code RandomTransform}) before the model sees it, so that what survives is robust, not
 * adversarial noise; Adam climbs the target's gradient w.r.t. the parameters (the model's backward, then the
 * transform, sigmoid, colour mix and Fourier basis backwards, by hand). A target at {@code mlp_post} is climbed
 * through its pre-activation with GELU's slope floored at 0.1 (a "redirected GELU", after lucid's redirected ReLU):
 * GELU falls below x ≈ −0.75, so plain gradient ascent on a negative neuron drives it to −∞, where GELU is 0 from
 * below, and stops there. With {@code diversity} &gt; 0 and several
 * images, lucid's diversity term (the mean pairwise cosine similarity of the images' Gram matrices at the target
 * layer's {@code resid_post}) is subtracted, times {@code diversity}, to make them differ. Seeded: the same options
 * give the same images, bit for bit.
 *
 * <p>Where it misleads: the picture is one input that drives the unit, not what the unit does on real images
 * (compare with {@link DatasetExamples}); the parameterisation and transforms are priors that shape it.
 *
 * @param steps        Adam steps, ≥ 1 (512 for a finished picture; 64 already shows the pattern on CIFAR-10)
 * @param learningRate Adam's step size, &gt; 0 (lucid: 0.05)
 * @param images       how many images to optimise together, ≥ 1
 * @param jitter       the largest shift per step, as a fraction of the image side, ≥ 0 (0.04: 9 px at 224, 1 at 32)
 * @param scale        zoom drawn in 1 ± scale per step, in [0, 1) (0.1)
 * @param rotation     rotation drawn in ± rotation degrees per step, ≥ 0 (10)
 * @param diversity    the weight of the diversity term, ≥ 0 (0: none; lucid uses 100 with a layer's Gram matrix)
 * @param seed         the start's and the transforms' seed
 */
public record FeatureVisualization(int steps, double learningRate, int images, double jitter, double scale,
                                   double rotation, double diversity, long seed) {

    /** The least slope {@link #redirectedGelu} gives a neuron of {@code mlp_post}. */
    static final double REDIRECT_FLOOR = 0.1;

    public FeatureVisualization {
        if (steps < 1 || images < 1) {
            throw new IllegalArgumentException("steps and images must be ≥ 1, got " + steps + " and " + images);
        }
        if (!(learningRate > 0) || !(jitter >= 0) || !(scale >= 0 && scale < 1) || !(rotation >= 0)
                || !(diversity >= 0) || Double.isInfinite(learningRate + jitter + rotation + diversity)) {
            throw new IllegalArgumentException("expected learningRate > 0 (0.05), jitter ≥ 0 (0.04 of the side), "
                    + "scale in [0, 1) (0.1), rotation ≥ 0 degrees (10) and diversity ≥ 0, got " + learningRate + ", "
                    + jitter + ", " + scale + ", " + rotation + " and " + diversity);
        }
    }

    /** One image, lucid's defaults: learning rate 0.05, jitter 4%, zoom ±10%, rotation ±10°, no diversity. */
    public static FeatureVisualization defaults(int steps, long seed) {
        return new FeatureVisualization(steps, 0.05, 1, 0.04, 0.1, 10, 0, seed);
    }

    /** The same options with {@code n} images and diversity weight {@code weight}. */
    public FeatureVisualization withImages(int n, double weight) {
        return new FeatureVisualization(steps, learningRate, n, jitter, scale, rotation, weight, seed);
    }

    /**
     * What to maximise: {@code ⟨site, direction⟩} per image, the direction shaped as the site with batch 1.
     *
     * @param name what it is, for titles and file names
     */
    public record Target(Site site, INDArray direction, String name) {

        public Target {
            if (site == null || direction == null || direction.dataType() != DataType.FLOAT
                    || direction.rank() < 2 || direction.size(0) != 1) {
                throw new IllegalArgumentException("a target needs a site and a float direction [1, …] shaped as the "
                        + "site with batch 1, got " + site + " and " + (direction == null ? null
                        : direction.dataType() + " " + Arrays.toString(direction.shape())));
            }
        }

        /** {@link #unit}'s token meaning: summed over every token. */
        public static final int ALL_TOKENS = -1;

        /**
         * Neuron {@code neuron} of block {@code layer}'s {@code mlp_post} at token {@code token} (0 = CLS where the
         * model has one; the patches from {@code VitConfig.prefixTokens()} on).
         */
        public static Target neuron(VitConfig c, int layer, int neuron, int token) {
            return unit(c, Site.mlpPost(layer), neuron, token);
        }

        /** Neuron {@code neuron} of block {@code layer}'s {@code mlp_post}, summed over every token. */
        public static Target neuronAllTokens(VitConfig c, int layer, int neuron) {
            return unit(c, Site.mlpPost(layer), neuron, ALL_TOKENS);
        }

        /**
         * One coordinate {@code neuron} of a per-block site with one vector per token ({@code mlp_post},
         * {@code resid_post}, …) at token {@code token}, or summed over tokens ({@link #ALL_TOKENS}).
         */
        public static Target unit(VitConfig c, Site site, int neuron, int token) {
            if (!site.kind().perBlock() || site.kind().hasHeads()) {
                throw new IllegalArgumentException("a unit needs a per-block site with one vector per token (e.g. "
                        + "blocks.3.mlp_post), got " + site + "; use attention(…) for a head's pattern");
            }
            checkLayer(c, site.layer());
            long[] shape = site.shape(c, 1);                                                  // [1, T, W]
            checkIndex("neuron", neuron, (int) shape[2]);
            if (token != ALL_TOKENS) {
                checkIndex("token", token, c.tokens());
            }
            INDArray d = Nd4j.zeros(DataType.FLOAT, shape);
            d.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), token == ALL_TOKENS
                    ? org.nd4j.linalg.indexing.NDArrayIndex.all() : org.nd4j.linalg.indexing.NDArrayIndex.point(token),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(neuron)).assign(1);
            return new Target(site, d, site + " neuron " + neuron + (token == ALL_TOKENS ? " all tokens"
                    : " token " + token));
        }

        /** Head {@code head}'s attention score ({@code pattern}) of query token {@code query} on key token {@code key}. */
        public static Target attention(VitConfig c, int layer, int head, int query, int key) {
            checkLayer(c, layer);
            checkIndex("head", head, c.heads());
            checkIndex("query token", query, c.tokens());
            checkIndex("key token", key, c.tokens());
            INDArray d = Nd4j.zeros(DataType.FLOAT, Site.pattern(layer).shape(c, 1));
            d.putScalar(new long[] {0, head, query, key}, 1);
            return new Target(Site.pattern(layer), d, "blocks." + layer + ".pattern head " + head + " query " + query
                    + " key " + key);
        }

        /** The logit of class {@code y}. */
        public static Target logit(VitConfig c, int y) {
            checkIndex("class", y, c.classes());
            INDArray d = Nd4j.zeros(DataType.FLOAT, 1, c.classes());
            d.putScalar(new long[] {0, y}, 1);
            return new Target(Site.logits(), d, "logit " + y);
        }

        /** Any direction at any site ({@code [1, …]} as the site with batch 1). */
        public static Target direction(Site site, INDArray direction, String name) {
            return new Target(site, direction, name);
        }

        /** The objective the backward differentiates. */
        Objective objective() {
            return Objective.direction(site, direction);
        }

        /** Each image's value of the target ({@code ⟨site, direction⟩}) at {@code input}: one forward. */
        public double[] values(Vit vit, Input input) {
            try (Activations run = vit.run(input, Keep.sites(site))) {
                return dot(run.get(site), direction);
            }
        }

        static double[] dot(INDArray a, INDArray d) {
            float[] x = PixelModel.floats(a);
            float[] y = PixelModel.floats(d);
            if (x.length % y.length != 0) {
                throw new IllegalArgumentException("direction " + Arrays.toString(d.shape()) + " does not fit the run's "
                        + Arrays.toString(a.shape()));
            }
            double[] v = new double[x.length / y.length];
            for (int i = 0; i < x.length; i++) {
                v[i / y.length] += (double) x[i] * y[i % y.length];
            }
            return v;
        }

        private static void checkLayer(VitConfig c, int layer) {
            checkIndex("layer", layer, c.layers());
        }

        private static void checkIndex(String what, int value, int count) {
            if (value < 0 || value >= count) {
                throw new IllegalArgumentException(what + " " + value + " is outside the model's " + count + " (0.."
                        + (count - 1) + ")");
            }
        }
    }

    /**
     * @param pixels the images {@code [B, C, H, W]} in (0, 1), untransformed
     * @param values each image's target value at {@code pixels}
     * @param trace  the images' mean target value at each step (on the transformed images the step saw)
     */
    public record Result(INDArray pixels, double[] values, double[] trace) {
    }

    /** The images that maximise {@code target}, at the model's size, for its preprocessing. */
    public Result of(Vit vit, Preprocessing preprocessing, Target target) {
        return of(vit, preprocessing, target, done -> { });
    }

    /** As {@link #of(Vit, Preprocessing, Target)}, telling {@code progress} the steps done after each. */
    public Result of(Vit vit, Preprocessing preprocessing, Target target, IntConsumer progress) {
        VitConfig c = vit.config();
        PixelModel model = new PixelModel(vit, preprocessing, images);
        int size = c.imageSize();
        int ch = c.channels();
        int plane = size * size;
        long[] shape = {images, ch, size, size};
        SplittableRandom rng = new SplittableRandom(seed);
        FourierImage image = new FourierImage(images, ch, size, size, rng);
        boolean redirect = target.site().kind() == Site.Kind.MLP_POST;
        Site climb = redirect ? Site.mlpPre(target.site().layer()) : target.site();
        Site diversitySite = Site.residPost(target.site().layer() == Site.NO_LAYER ? c.layers() - 1
                : target.site().layer());
        boolean diverse = diversity > 0 && images > 1;
        Keep keep = Vit.keepForBackward().and(Keep.sites(target.site(), climb, diversitySite));
        double[] trace = new double[steps];
        for (int step = 0; step < steps; step++) {
            double[] x = image.render();
            RandomTransform[] transforms = new RandomTransform[images];
            double[] seen = new double[x.length];
            for (int i = 0; i < images; i++) {
                transforms[i] = RandomTransform.draw(rng, size, jitter, scale, rotation);
                transforms[i].apply(x, seen, i * ch * plane, ch, size, size);
            }
            double[] dSeen;
            try (Activations forward = vit.run(model.input(floatArray(seen, shape)), keep)) {
                trace[step] = Arrays.stream(Target.dot(forward.get(target.site()), target.direction())).average()
                        .orElse(0);
                Objective objective = redirect ? Objective.direction(climb,
                        redirectedGelu(forward.get(climb), target.direction())) : target.objective();
                try (Gradients g = vit.backward(forward, objective, Keep.sites(Site.embed()))) {
                    dSeen = doubles(g.pixels(preprocessing));
                }
                if (diverse) {
                    INDArray away = Diversity.gradient(forward.get(diversitySite)).muli(-diversity);
                    try (Gradients g = vit.backward(forward, Objective.direction(diversitySite, away),
                            Keep.sites(Site.embed()))) {
                        double[] more = doubles(g.pixels(preprocessing));
                        for (int k = 0; k < dSeen.length; k++) {
                            dSeen[k] += more[k];
                        }
                    }
                }
            }
            double[] dx = new double[x.length];
            for (int i = 0; i < images; i++) {
                transforms[i].adjoint(dSeen, dx, i * ch * plane, ch, size, size);
            }
            image.ascend(dx, learningRate);
            progress.accept(step + 1);
        }
        INDArray pixels = floatArray(image.render(), shape);
        return new Result(pixels, target.values(vit, model.input(pixels)), trace);
    }

    /**
     * The direction at {@code mlp_pre} that climbs a target at {@code mlp_post}: the target's direction times GELU's
     * derivative at each pre-activation, floored at {@link #REDIRECT_FLOOR}. Below x ≈ −0.75 GELU decreases, so its
     * true gradient would push a negative neuron further down, towards GELU(−∞) = 0 from below: a trap in which the
     * "maximised" neuron ends at 0. The floor sends every such neuron up instead (lucid's redirected ReLU, for GELU);
     * above x ≈ −0.55 it is the true gradient.
     */
    static INDArray redirectedGelu(INDArray pre, INDArray direction) {
        float[] x = PixelModel.floats(pre);
        float[] d = PixelModel.floats(direction);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float di = d[i % d.length];
            if (di != 0) {
                double v = x[i];
                double slope = normalCdf(v) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);   // GELU′(v)
                out[i] = (float) (di * Math.max(slope, REDIRECT_FLOOR));
            }
        }
        return Nd4j.create(out, pre.shape(), 'c');
    }

    /** Φ(v), from Abramowitz &amp; Stegun 7.1.26's erf (error below 1.5e-7: enough for a slope). */
    static double normalCdf(double v) {
        double z = Math.abs(v) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * z);
        double erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429)))) * Math.exp(-z * z);
        return 0.5 * (1 + Math.signum(v) * erf);
    }

    private static INDArray floatArray(double[] x, long[] shape) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return Nd4j.create(f, shape, 'c');
    }

    private static double[] doubles(INDArray a) {
        float[] f = PixelModel.floats(a);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
