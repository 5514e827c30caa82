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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Attribution patching (Nanda, "Attribution patching: activation patching at industrial scale"; Kramár et al.
 * 2024, AtP*): a whole causal trace estimated from one backward pass instead of one patched run per cell.
 *
 * <p>Restoring site s from the clean run changes the metric m by, to first order,
 * {@code (s_clean − s_corrupt) · ∂m/∂s}, the gradient taken at the corrupted run. A cell {@code [kind][layer]}
 * restores the kind's site at the restored tokens of every layer of the {@link Window} around the layer, exactly the
 * sites {@link CausalTrace} restores for it; the first-order change of restoring them together is the sum, over
 * those sites and tokens, of the difference times the <em>partial</em> derivative with the other restored elements
 * held fixed ({@link Vit#backward(Activations, Objective, Keep, Map)}). With w = 1 that is the total derivative, and
 * one backward gives every cell at once. With w > 1 it takes one backward per kind and window (3·L for three kinds):
 * the sum of total derivatives (what one backward gives) counts what an earlier restored site passes through a
 * later one at both, and is not first order at all (resid over every token, whose layers are in series, would count
 * the same effect once per layer of the window; on the tests' random model its error was 180% of the largest
 * effect at a corruption for which the held form is within 2%). Two finer maps come for free: per token (every
 * position, window-summed: a layer × patch-grid map, from the cell's backward) and per head of {@code z} (restored
 * tokens only: since {@code attn_out} is linear in {@code z}, the heads of a layer add up to its {@code attn}
 * cell).
 *
 * <p>It is an estimate: exact for sites on which the metric depends linearly, and otherwise off by the second-order
 * terms, which grow with the size of the restoration (how far apart the clean and corrupted runs are).
 * {@link TraceMethod.Kind#ATP_IG} reduces that error: the gradient is averaged over K runs on the straight path from
 * the corrupted to the clean input, at {@code α = (j + ½)/K}. The path is taken in {@code blocks.0.resid_pre}: every
 * built-in corruption acts on the pixels or the patch embeddings, and pixels → normalised pixels → {@code embed} →
 * {@code blocks.0.resid_pre} is affine, so this is the same path as interpolating the pixels (grayscale, blur,
 * occlusion) or the embeddings (noise). A corruption that acted inside the blocks would need another path.
 *
 * <p>Images are independent: each backward is batched over every image of the runs given (K of each for atp-ig).
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
        checkKept(clean, "clean", keepForClean(spec), "keepForClean");
        checkKept(corrupted, "corrupted", keepForCorrupted(spec), "keepForCorrupted");
        Objective objective = switch (spec.metric()) {
            case LOGIT_DIFF -> Objective.logitDiff(targets);
            case LOG_PROB -> Objective.logProbability(targets);
            case PROB, NORMALIZED -> Objective.probability(targets);
        };
        Map<Pass, Map<Site, float[]>> gradients = method.kind() == TraceMethod.Kind.ATP
                ? gradients(corrupted, objective, spec)
                : pathGradients(clean, corrupted, objective, spec, method.steps());
        return estimates(clean, corrupted, targets, spec, gradients);
    }

    /**
     * One backward pass of an estimate: the sites whose restored elements it holds fixed, and the sites whose
     * gradients it keeps. With w = 1 one pass serves every cell (nothing held: each cell restores one site, whose
     * total derivative is the first-order term); with w > 1 a cell restores the sites of its window together, and
     * the first-order term of that joint change is the sum over the window of each site's partial derivative with
     * the others held ({@link Vit#backward(Activations, Objective, Keep, Map)}): one pass per kind and window.
     * Above the window nothing is held, so such a pass starts from the gradient of the window's last
     * {@code resid_post} that one pass with nothing held gives (an {@link Objective#direction} there) and stops at
     * the window's first layer: w blocks, not a whole backward.
     */
    private record Pass(List<Site> held, List<Site> kept) {

        /** The pass with nothing held that the windows start from (and that w = 1 uses for every cell). */
        boolean whole() {
            return held.isEmpty();
        }

        Site top() {
            return Site.residPost(held.get(held.size() - 1).layer());
        }
    }

    /** The pass whose gradients estimate cell {@code (kind, layer)}. */
    private Pass pass(Site.Kind kind, int layer, CausalTrace.Spec spec) {
        if (spec.window() == 1) {
            return whole(spec);
        }
        Window w = Window.around(layer, spec.window(), config.layers());
        List<Site> held = new ArrayList<>();
        for (int m = w.first(); m <= w.last(); m++) {
            held.add(Site.of(m, kind));
        }
        return new Pass(held, held);
    }

    /** The pass with nothing held: every site of the spec's kinds and attn_out, and resid_post for the windows. */
    private Pass whole(CausalTrace.Spec spec) {
        List<Site> kept = new ArrayList<>();
        List<Site.Kind> kinds = siteKinds(spec);
        if (spec.window() > 1 && !kinds.contains(Site.Kind.RESID_POST)) {
            kinds.add(Site.Kind.RESID_POST);
        }
        for (Site.Kind k : kinds) {
            for (int l = 0; l < config.layers(); l++) {
                kept.add(Site.of(l, k));
            }
        }
        return new Pass(List.of(), kept);
    }

    /** Every distinct pass the spec's cells and per-head maps need, the one with nothing held first. */
    private Set<Pass> passes(CausalTrace.Spec spec) {
        Set<Pass> passes = new LinkedHashSet<>();
        passes.add(whole(spec));
        for (Site.Kind k : siteKinds(spec)) {
            for (int l = 0; l < config.layers(); l++) {
                passes.add(pass(k, l, spec));
            }
        }
        return passes;
    }

    /** The gradients of every pass at {@code run}, as Java arrays. */
    private Map<Pass, Map<Site, float[]>> gradients(Activations run, Objective objective, CausalTrace.Spec spec) {
        Map<Pass, Map<Site, float[]>> out = new LinkedHashMap<>();
        INDArray mask = tokenMask(spec);
        Map<Site, float[]> whole = Map.of();
        for (Pass pass : passes(spec)) {
            Map<Site, INDArray> held = new LinkedHashMap<>();
            pass.held().forEach(site -> held.put(site, mask));
            Objective from = pass.whole() ? objective : Objective.direction(pass.top(),
                    Nd4j.create(whole.get(pass.top()), run.get(pass.top()).shape(), 'c'));
            Map<Site, float[]> mine = new LinkedHashMap<>();
            try (Gradients g = vit.backward(run, from, Keep.sites(pass.kept().toArray(Site[]::new)), held)) {
                pass.kept().forEach(site -> mine.put(site, floats(g.get(site))));
            }
            if (pass.whole()) {
                whole = mine;
            }
            out.put(pass, mine);
        }
        return out;
    }

    /** {@code [1, T, 1]}: 1 at the spec's restored tokens. */
    private INDArray tokenMask(CausalTrace.Spec spec) {
        float[] m = new float[config.tokens()];
        for (int p : spec.tokens().positions(config)) {
            m[p] = 1f;
        }
        return Nd4j.create(m, new long[] {1, config.tokens(), 1}, 'c');
    }

    /** The gradients averaged over {@code steps} runs at {@code resid_pre(0)} = corrupt + α (clean − corrupt). */
    private Map<Pass, Map<Site, float[]>> pathGradients(Activations clean, Activations corrupted, Objective objective,
                                                        CausalTrace.Spec spec, int steps) {
        INDArray from = corrupted.get(Site.residPre(0));                                          // [B, T, D]
        INDArray delta = clean.get(Site.residPre(0)).sub(from);                                   // [B, T, D]
        Map<Pass, Map<Site, float[]>> sum = new LinkedHashMap<>();
        for (int j = 0; j < steps; j++) {
            double alpha = (j + 0.5) / steps;
            INDArray point = from.add(delta.mul(alpha));                                          // [B, T, D]
            try (Activations run = vit.run(Input.residPre(0, point), Vit.keepForBackward())) {
                gradients(run, objective, spec).forEach((pass, g) -> sum.merge(pass, g, (x, y) -> {
                    x.forEach((site, a) -> add(a, y.get(site)));
                    return x;
                }));
            }
        }
        sum.values().forEach(g -> g.values().forEach(a -> scale(a, 1.0f / steps)));
        return sum;
    }

    private List<Estimate> estimates(Activations clean, Activations corrupted, int[] targets, CausalTrace.Spec spec,
                                     Map<Pass, Map<Site, float[]>> gradients) {
        int b = clean.batch();
        int layers = config.layers();
        int t = config.tokens();
        int heads = config.heads();
        int[] restored = spec.tokens().positions(config);
        // dots[kind][layer][m][image][token]: (clean − corrupt) · the cell's gradient at layer m of its window
        double[][][][][] dots = new double[spec.kinds().size()][layers][][][];
        double[][][][] headDots = new double[layers][][][];                       // [layer][m][image][head]
        for (int l = 0; l < layers; l++) {
            Window w = Window.around(l, spec.window(), layers);
            for (int k = 0; k < spec.kinds().size(); k++) {
                Site.Kind kind = spec.kinds().get(k).site();
                Map<Site, float[]> g = gradients.get(pass(kind, l, spec));
                dots[k][l] = new double[w.last() - w.first() + 1][][];
                for (int m = w.first(); m <= w.last(); m++) {
                    Site s = Site.of(m, kind);
                    dots[k][l][m - w.first()] = tokenDots(delta(clean, corrupted, s), g.get(s), b, t);
                }
            }
            Map<Site, float[]> g = gradients.get(pass(Site.Kind.ATTN_OUT, l, spec));
            headDots[l] = new double[w.last() - w.first() + 1][][];
            for (int m = w.first(); m <= w.last(); m++) {
                headDots[l][m - w.first()] = headDots(delta(clean, corrupted, Site.z(m)),
                        headGradient(g.get(Site.attnOut(m)), m, b), b, heads, t, restored);
            }
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
                for (int m = 0; m < headDots[l].length; m++) {
                    for (int k = 0; k < spec.kinds().size(); k++) {
                        for (int p = 0; p < t; p++) {
                            perToken[k][l][p] += dots[k][l][m][i][p];
                        }
                    }
                    for (int h = 0; h < heads; h++) {
                        perHead[l][h] += headDots[l][m][i][h];
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

    /** {@code clean − corrupt} at {@code site}, as a Java array. */
    private static float[] delta(Activations clean, Activations corrupted, Site site) {
        float[] c = floats(clean.get(site));
        float[] k = floats(corrupted.get(site));
        for (int i = 0; i < c.length; i++) {
            c[i] -= k[i];
        }
        return c;
    }

    /**
     * The gradient that {@code attn_out}'s gradient {@code [B, T, D]} sends to {@code z} through the output
     * projection of block {@code l}, heads side by side {@code [B·T, D]}: {@code dz = d(attn_out) · W_proj}. Since
     * attn_out is linear in z, {@code Δz · dz} summed over heads is {@code Δattn_out · d(attn_out)}, head by head.
     */
    private float[] headGradient(float[] dAttnOut, int l, int b) {
        int d = config.hiddenSize();
        INDArray g = Nd4j.create(dAttnOut, new long[] {(long) b * config.tokens(), d}, 'c');
        return floats(g.mmul(vit.weights().blocks().get(l).proj().weight()));
    }

    /** {@code [image][token]}: Σ_d (clean − corrupt) · gradient of a {@code [B, T, D]} site. */
    private static double[][] tokenDots(float[] delta, float[] gradient, int b, int t) {
        int d = delta.length / (b * t);
        double[][] out = new double[b][t];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < t; p++) {
                int o = (i * t + p) * d;
                double s = 0;
                for (int e = 0; e < d; e++) {
                    s += (double) delta[o + e] * gradient[o + e];
                }
                out[i][p] = s;
            }
        }
        return out;
    }

    /**
     * {@code [image][head]}: Σ over the restored tokens and d of (clean − corrupt) of {@code z} {@code [B, H, T, d]}
     * times its gradient, heads side by side {@code [B·T, H·d]}.
     */
    private static double[][] headDots(float[] delta, float[] gradient, int b, int heads, int t, int[] restored) {
        int d = delta.length / (b * heads * t);
        double[][] out = new double[b][heads];
        for (int i = 0; i < b; i++) {
            for (int h = 0; h < heads; h++) {
                double s = 0;
                for (int p : restored) {
                    int o = ((i * heads + h) * t + p) * d;
                    int og = (i * t + p) * heads * d + h * d;
                    for (int e = 0; e < d; e++) {
                        s += (double) delta[o + e] * gradient[og + e];
                    }
                }
                out[i][h] = s;
            }
        }
        return out;
    }

    /** The site kinds whose gradients an estimate needs: the spec's kinds and attn_out (for the per-head map). */
    private static List<Site.Kind> siteKinds(CausalTrace.Spec spec) {
        List<Site.Kind> kinds = new ArrayList<>();
        spec.kinds().forEach(k -> kinds.add(k.site()));
        if (!kinds.contains(Site.Kind.ATTN_OUT)) {
            kinds.add(Site.Kind.ATTN_OUT);
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
