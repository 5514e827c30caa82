package io.github.vit4j.trace;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Attribution patching (Nanda, "Attribution patching: activation patching at industrial scale"; Kramár et al.
 * 2024, AtP*): a whole causal trace estimated from one backward pass instead of one patched run per cell.
 *
 * <p>Restoring site s from the clean run changes the metric m by, to first order,
 * {@code (s_clean − s_corrupt) · ∂m/∂s}, the gradient taken at the corrupted run. The estimate of a cell
 * {@code [kind][layer]} sums that product over the restored tokens and over the layers of the {@link Window}
 * around the layer, exactly the sites {@link CausalTrace} restores for that cell. One backward gives every cell at
 * once, and two finer maps for free: per token (every position, window-summed: a layer × patch-grid map) and per
 * head of {@code z} (the attention output's input, restored tokens only, window-summed; since {@code attn_out} is
 * linear in {@code z}, the heads of a layer add up to its {@code attn} cell).
 *
 * <p>It is an estimate: exact for sites on which the metric depends linearly, and otherwise off by the second-order
 * terms, which grow with the size of the restoration (how far apart the clean and corrupted runs are). For a window
 * of w > 1 layers the cell is the sum of its layers' single-site estimates, each with the total derivative at its
 * site; restoring the layers together blocks what an earlier restored site passes through a later one, which that
 * sum counts at both. So for w > 1 a cell is not the first-order term of the joint restoration: for resid (whose
 * layers are in series) with every token restored it counts nearly the same effect once per layer of the window.
 * With w = 1 each cell is the first-order term of its patch.
 * {@link TraceMethod.Kind#ATP_IG} reduces that error: the gradient is averaged over K runs on the straight path from
 * the corrupted to the clean input, at {@code α = (j + ½)/K}. The path is taken in {@code blocks.0.resid_pre}: every
 * built-in corruption acts on the pixels or the patch embeddings, and pixels → normalised pixels → {@code embed} →
 * {@code blocks.0.resid_pre} is affine, so this is the same path as interpolating the pixels (grayscale, blur,
 * occlusion) or the embeddings (noise). A corruption that acted inside the blocks would need another path.
 *
 * <p>Images are independent: one batched backward (K for atp-ig) serves every image of the runs given.
 */
public final class AttributionPatching {

    /**
     * One image's estimated trace.
     *
     * @param cells    the estimated cells as a trace: {@code effect[kind][layer]} the metric's estimate (meaning as
     *                 in {@link CausalTrace.ImageTrace#effect}); {@code pPatched} p_corrupt + the estimated change
     *                 of p(target) for the prob and normalized metrics, NaN for logit-diff (whose backward does not
     *                 give it)
     * @param perToken {@code [kind][layer][position]}: the estimate of restoring the kind at one token position
     *                 (0 = CLS, 1 + r·grid + c = patch (r, c)) over the window, whatever tokens the spec restores;
     *                 over the spec's positions it sums to the cell
     * @param perHead  {@code [layer][head]}: the estimate of restoring one head of {@code z} at the spec's tokens
     *                 over the window; a layer's heads sum to its {@code attn} cell
     */
    public record Estimate(CausalTrace.ImageTrace cells, double[][][] perToken, double[][] perHead) {
    }

    private final Vit vit;
    private final VitConfig config;

    public AttributionPatching(Vit vit) {
        this.vit = vit;
        this.config = vit.config();
    }

    /**
     * What the clean run must keep: the restored kinds and {@code z} at every layer, and {@code blocks.0.resid_pre}
     * (the clean end of atp-ig's path).
     */
    public static Keep keepForClean(CausalTrace.Spec spec) {
        return CausalTrace.keepForClean(spec).and(Keep.kinds(Site.Kind.Z)).and(Keep.sites(Site.residPre(0)));
    }

    /** What the corrupted run must keep: {@link #keepForClean} and what the backward needs ({@link Vit#keepForBackward}). */
    public static Keep keepForCorrupted(CausalTrace.Spec spec) {
        return keepForClean(spec).and(Vit.keepForBackward());
    }

    /**
     * Estimates the trace of every image of the runs.
     *
     * @param clean     the clean runs (batch B), keeping {@link #keepForClean}
     * @param corrupted the corrupted runs of the same images (batch B), keeping {@link #keepForCorrupted}
     * @param targets   the class tracked for each image (B of them)
     * @param method    {@link TraceMethod#atp()} or {@link TraceMethod#atpIg}
     * @return B estimates, in batch order
     */
    public List<Estimate> estimate(Activations clean, Activations corrupted, int[] targets, CausalTrace.Spec spec,
                                   TraceMethod method) {
        int b = clean.batch();
        if (!method.estimated()) {
            throw new IllegalArgumentException("method " + method + " patches every cell; use CausalTrace.trace for"
                    + " it, or TraceMethod.atp() / TraceMethod.atpIg(K) here");
        }
        if (corrupted.batch() != b || targets.length != b) {
            throw new IllegalArgumentException("clean batch " + b + ", corrupted batch " + corrupted.batch() + " and "
                    + targets.length + " targets: give one corrupted run and one target per clean image");
        }
        List<Site.Kind> kinds = siteKinds(spec);
        checkKept(clean, "clean", keepForClean(spec), "keepForClean");
        checkKept(corrupted, "corrupted", keepForCorrupted(spec), "keepForCorrupted");
        Objective objective = switch (spec.metric()) {
            case LOGIT_DIFF -> Objective.logitDiff(targets);
            case LOG_PROB -> Objective.logProbability(targets);
            case PROB, NORMALIZED -> Objective.probability(targets);
        };
        Map<Site, float[]> gradients = method.kind() == TraceMethod.Kind.ATP
                ? gradients(corrupted, objective, kinds)
                : pathGradients(clean, corrupted, objective, kinds, method.steps());
        return estimates(clean, corrupted, targets, spec, gradients);
    }

    /** The gradients of the sites of {@code kinds} at the corrupted run, as Java arrays. */
    private Map<Site, float[]> gradients(Activations run, Objective objective, List<Site.Kind> kinds) {
        Map<Site, float[]> out = new LinkedHashMap<>();
        try (Gradients g = vit.backward(run, objective, Keep.kinds(kinds.toArray(Site.Kind[]::new)))) {
            for (Site.Kind k : kinds) {
                for (int l = 0; l < config.layers(); l++) {
                    out.put(Site.of(l, k), floats(g.get(Site.of(l, k))));
                }
            }
        }
        return out;
    }

    /** The gradients averaged over {@code steps} runs at {@code resid_pre(0)} = corrupt + α (clean − corrupt). */
    private Map<Site, float[]> pathGradients(Activations clean, Activations corrupted, Objective objective,
                                             List<Site.Kind> kinds, int steps) {
        INDArray from = corrupted.get(Site.residPre(0));                                          // [B, T, D]
        INDArray delta = clean.get(Site.residPre(0)).sub(from);                                   // [B, T, D]
        Map<Site, float[]> sum = new LinkedHashMap<>();
        for (int j = 0; j < steps; j++) {
            double alpha = (j + 0.5) / steps;
            INDArray point = from.add(delta.mul(alpha));                                          // [B, T, D]
            try (Activations run = vit.run(Input.residPre(0, point), Vit.keepForBackward())) {
                gradients(run, objective, kinds).forEach((site, g) -> sum.merge(site, g, AttributionPatching::add));
            }
        }
        sum.values().forEach(g -> scale(g, 1.0f / steps));
        return sum;
    }

    private List<Estimate> estimates(Activations clean, Activations corrupted, int[] targets, CausalTrace.Spec spec,
                                     Map<Site, float[]> gradients) {
        int b = clean.batch();
        int layers = config.layers();
        int t = config.tokens();
        int heads = config.heads();
        int[] restored = spec.tokens().positions(config);
        // dots[kind][layer][image][token]: (clean − corrupt) · gradient at one site and token
        double[][][][] dots = new double[spec.kinds().size()][layers][][];
        double[][][] headDots = new double[layers][][];                                 // [layer][image][head]
        for (int l = 0; l < layers; l++) {
            for (int k = 0; k < spec.kinds().size(); k++) {
                Site s = Site.of(l, spec.kinds().get(k).site());
                dots[k][l] = tokenDots(floats(clean.get(s)), floats(corrupted.get(s)), gradients.get(s), b, t);
            }
            Site z = Site.of(l, Site.Kind.Z);
            headDots[l] = headDots(floats(clean.get(z)), floats(corrupted.get(z)), gradients.get(z), b, heads, t,
                    restored);
        }
        List<Estimate> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            float[] cleanLogits = CausalTrace.row(clean.logits(), i);
            float[] corruptLogits = CausalTrace.row(corrupted.logits(), i);
            double pClean = Metric.probability(cleanLogits, targets[i]);
            double pCorrupt = Metric.probability(corruptLogits, targets[i]);
            double scale = spec.metric() == Metric.NORMALIZED ? 1 / (pClean - pCorrupt) : 1;
            double[][] effect = new double[spec.kinds().size()][layers];
            double[][] pPatched = new double[spec.kinds().size()][layers];
            double[][][] perToken = new double[spec.kinds().size()][layers][t];
            double[][] perHead = new double[layers][heads];
            for (int l = 0; l < layers; l++) {
                Window w = Window.around(l, spec.window(), layers);
                for (int m = w.first(); m <= w.last(); m++) {
                    for (int k = 0; k < spec.kinds().size(); k++) {
                        for (int p = 0; p < t; p++) {
                            perToken[k][l][p] += dots[k][m][i][p];
                        }
                    }
                    for (int h = 0; h < heads; h++) {
                        perHead[l][h] += headDots[m][i][h];
                    }
                }
                for (int k = 0; k < spec.kinds().size(); k++) {
                    double cell = 0;
                    for (int p : restored) {
                        cell += perToken[k][l][p];
                    }
                    effect[k][l] = cell * scale;
                    pPatched[k][l] = switch (spec.metric()) {
                        case LOGIT_DIFF -> Double.NaN;
                        case LOG_PROB -> pCorrupt * Math.exp(cell);
                        case PROB, NORMALIZED -> pCorrupt + cell;
                    };
                    scale(perToken[k][l], scale);
                }
                scale(perHead[l], scale);
            }
            out.add(new Estimate(new CausalTrace.ImageTrace(targets[i], pClean, pCorrupt, spec.kinds(), pPatched,
                    effect), perToken, perHead));
        }
        return out;
    }

    /** {@code [image][token]}: Σ_d (clean − corrupt) · gradient of a {@code [B, T, D]} site. */
    private static double[][] tokenDots(float[] clean, float[] corrupt, float[] gradient, int b, int t) {
        int d = clean.length / (b * t);
        double[][] out = new double[b][t];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < t; p++) {
                int o = (i * t + p) * d;
                double s = 0;
                for (int e = 0; e < d; e++) {
                    s += (double) (clean[o + e] - corrupt[o + e]) * gradient[o + e];
                }
                out[i][p] = s;
            }
        }
        return out;
    }

    /** {@code [image][head]}: Σ over the restored tokens and d of (clean − corrupt) · gradient of {@code z}. */
    private static double[][] headDots(float[] clean, float[] corrupt, float[] gradient, int b, int heads, int t,
                                       int[] restored) {
        int d = clean.length / (b * heads * t);
        double[][] out = new double[b][heads];
        for (int i = 0; i < b; i++) {
            for (int h = 0; h < heads; h++) {
                double s = 0;
                for (int p : restored) {
                    int o = ((i * heads + h) * t + p) * d;
                    for (int e = 0; e < d; e++) {
                        s += (double) (clean[o + e] - corrupt[o + e]) * gradient[o + e];
                    }
                }
                out[i][h] = s;
            }
        }
        return out;
    }

    /** The site kinds whose gradients an estimate needs: the spec's kinds and z. */
    private static List<Site.Kind> siteKinds(CausalTrace.Spec spec) {
        List<Site.Kind> kinds = new ArrayList<>();
        spec.kinds().forEach(k -> kinds.add(k.site()));
        if (!kinds.contains(Site.Kind.Z)) {
            kinds.add(Site.Kind.Z);
        }
        return kinds;
    }

    private void checkKept(Activations run, String which, Keep keep, String method) {
        for (int l = 0; l < config.layers(); l++) {
            for (Site.Kind k : Site.Kind.values()) {
                if (k.perBlock() && keep.keeps(Site.of(l, k)) && !run.has(Site.of(l, k))) {
                    throw new IllegalArgumentException("the " + which + " run did not keep " + Site.of(l, k)
                            + "; run it from pixels keeping AttributionPatching." + method + "(spec)");
                }
            }
        }
    }

    /** The array's values in row-major order, as a Java array. */
    private static float[] floats(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    private static float[] add(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
    }

    private static void scale(float[] a, float s) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= s;
        }
    }

    private static void scale(double[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= s;
        }
    }
}
