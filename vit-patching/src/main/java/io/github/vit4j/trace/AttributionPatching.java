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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
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
 * effect at a corruption for which the held form is within 2%). Two finer maps come for free: the cell broken down
 * per token (with w = 1 at every position a layer × patch-grid map of single-token estimates; see
 * {@link Estimate#perToken}) and per head of {@code z} (since {@code attn_out} is linear in {@code z}, the heads of a
 * layer add up to its {@code attn} cell).
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
     * @param perToken {@code [kind][layer][position]}: the cell broken down by token position (0 = CLS,
     *                 1 + r·grid + c = patch (r, c)); over the spec's positions it sums to the cell. With w = 1 the
     *                 entry of any position is also the estimate of restoring that position alone; with w > 1 the
     *                 gradients hold the spec's positions fixed, so positions outside them are NaN (an estimate
     *                 there would need their own held passes)
     * @param perHead  {@code [layer][head]}: the {@code attn} cell broken down by head of {@code z} at the spec's
     *                 tokens; a layer's heads sum to its {@code attn} cell
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
        Map<Site, INDArray> deltas = deltas(clean, corrupted, spec);
        try {
            Map<Pass, Dots> dots = method.kind() == TraceMethod.Kind.ATP
                    ? dots(corrupted, objective, spec, deltas)
                    : pathDots(clean, corrupted, objective, spec, deltas, method.steps());
            return estimates(clean, corrupted, targets, spec, dots);
        } finally {
            deltas.values().forEach(INDArray::close);
        }
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

    /**
     * What one pass contributes to the estimates, computed while its gradients exist (no copy of them outlives the
     * pass): per kept site, {@code [image][token]} the sum over the hidden axis of (clean − corrupt) · gradient;
     * per kept attn_out, {@code [image][head]} the same for z (through the output projection), over the restored
     * tokens. Both are linear in the gradient, so atp-ig averages them instead of the gradients.
     */
    private record Dots(Map<Site, double[][]> tokens, Map<Site, double[][]> heads) {

        /** This plus {@code other} times {@code weight}, into this. */
        Dots add(Dots other, double weight) {
            other.tokens.forEach((site, d) -> addInto(tokens.get(site), d, weight));
            other.heads.forEach((site, d) -> addInto(heads.get(site), d, weight));
            return this;
        }

        private static void addInto(double[][] a, double[][] b, double weight) {
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[i].length; j++) {
                    a[i][j] += weight * b[i][j];
                }
            }
        }
    }

    /** {@code clean − corrupt} at every site the estimate multiplies: the spec's kinds and z, at every layer. */
    private Map<Site, INDArray> deltas(Activations clean, Activations corrupted, CausalTrace.Spec spec) {
        Map<Site, INDArray> deltas = new LinkedHashMap<>();
        List<Site.Kind> kinds = new ArrayList<>();
        spec.kinds().forEach(k -> kinds.add(k.site()));
        kinds.add(Site.Kind.Z);
        for (Site.Kind k : kinds) {
            for (int l = 0; l < config.layers(); l++) {
                Site s = Site.of(l, k);
                deltas.put(s, clean.get(s).sub(corrupted.get(s)));
            }
        }
        return deltas;
    }

    /** The contribution of every pass at {@code run}. */
    private Map<Pass, Dots> dots(Activations run, Objective objective, CausalTrace.Spec spec,
                                 Map<Site, INDArray> deltas) {
        Map<Pass, Dots> out = new LinkedHashMap<>();
        INDArray mask = tokenMask(spec);
        Map<Site, INDArray> seeds = new LinkedHashMap<>();             // resid_post gradients of the unheld pass
        for (Pass pass : passes(spec)) {
            Map<Site, INDArray> held = new LinkedHashMap<>();
            pass.held().forEach(site -> held.put(site, mask));
            Objective from = pass.whole() ? objective : Objective.direction(pass.top(), seeds.get(pass.top()));
            Dots dots = new Dots(new LinkedHashMap<>(), new LinkedHashMap<>());
            try (Gradients g = vit.backward(run, from, Keep.sites(pass.kept().toArray(Site[]::new)), held)) {
                for (Site site : pass.kept()) {
                    if (deltas.containsKey(site)) {
                        dots.tokens().put(site, tokenDots(deltas.get(site), g.get(site)));
                    }
                    if (site.kind() == Site.Kind.ATTN_OUT) {
                        dots.heads().put(site, headDots(deltas.get(Site.z(site.layer())), g.get(site), site.layer(),
                                mask));
                    }
                    if (pass.whole() && site.kind() == Site.Kind.RESID_POST && spec.window() > 1) {
                        seeds.put(site, g.get(site).dup('c'));
                    }
                }
            }
            out.put(pass, dots);
        }
        seeds.values().forEach(INDArray::close);
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

    /** The contributions averaged over {@code steps} runs at {@code resid_pre(0)} = corrupt + α (clean − corrupt). */
    private Map<Pass, Dots> pathDots(Activations clean, Activations corrupted, Objective objective,
                                     CausalTrace.Spec spec, Map<Site, INDArray> deltas, int steps) {
        INDArray from = corrupted.get(Site.residPre(0));                                          // [B, T, D]
        INDArray delta = clean.get(Site.residPre(0)).sub(from);                                   // [B, T, D]
        Map<Pass, Dots> mean = new LinkedHashMap<>();
        for (int j = 0; j < steps; j++) {
            double alpha = (j + 0.5) / steps;
            try (INDArray step = delta.mul(alpha);
                 INDArray point = from.add(step);                                                 // [B, T, D]
                 Activations run = vit.run(Input.residPre(0, point), Vit.keepForBackward())) {
                dots(run, objective, spec, deltas).forEach((pass, d) -> mean.merge(pass,
                        new Dots(zeros(d.tokens()), zeros(d.heads())).add(d, 1.0 / steps),
                        (x, y) -> x.add(y, 1.0)));
            }
        }
        delta.close();
        return mean;
    }

    private static Map<Site, double[][]> zeros(Map<Site, double[][]> like) {
        Map<Site, double[][]> z = new LinkedHashMap<>();
        like.forEach((site, a) -> z.put(site, new double[a.length][a[0].length]));
        return z;
    }

    private List<Estimate> estimates(Activations clean, Activations corrupted, int[] targets, CausalTrace.Spec spec,
                                     Map<Pass, Dots> passes) {
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
                Dots pass = passes.get(pass(kind, l, spec));
                dots[k][l] = new double[w.last() - w.first() + 1][][];
                for (int m = w.first(); m <= w.last(); m++) {
                    dots[k][l][m - w.first()] = pass.tokens().get(Site.of(m, kind));
                }
            }
            Dots pass = passes.get(pass(Site.Kind.ATTN_OUT, l, spec));
            headDots[l] = new double[w.last() - w.first() + 1][][];
            for (int m = w.first(); m <= w.last(); m++) {
                headDots[l][m - w.first()] = pass.heads().get(Site.attnOut(m));
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
                    if (spec.window() > 1) {
                        double[] kept = perToken[k][l].clone();
                        Arrays.fill(perToken[k][l], Double.NaN);
                        for (int p : restored) {
                            perToken[k][l][p] = kept[p];
                        }
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

    /** {@code [image][token]}: Σ over the hidden axis of {@code delta · gradient}, both {@code [B, T, X]}, in double. */
    private static double[][] tokenDots(INDArray delta, INDArray gradient) {
        try (INDArray d = delta.castTo(DataType.DOUBLE); INDArray g = gradient.castTo(DataType.DOUBLE);
             INDArray sum = d.muli(g).sum(2)) {
            return sum.toDoubleMatrix();          // closed at once: ND4J would free them only when the GC runs
        }
    }

    /**
     * {@code [image][head]}: Σ over the tokens {@code mask} {@code [1, T, 1]} restores and d of Δz {@code [B, H, T, d]}
     * times the gradient that attn_out's gradient {@code [B, T, D]} sends to z through block l's output projection,
     * {@code dz = d(attn_out) · W_proj}. Since attn_out is linear in z, the heads add up to Δattn_out · d(attn_out)
     * over those tokens.
     */
    private double[][] headDots(INDArray deltaZ, INDArray dAttnOut, int l, INDArray mask) {
        long b = deltaZ.size(0);
        long h = deltaZ.size(1);
        long t = deltaZ.size(2);
        long d = deltaZ.size(3);
        try (INDArray w = vit.weights().blocks().get(l).proj().weight().castTo(DataType.DOUBLE);     // [D, D]
             INDArray g = dAttnOut.castTo(DataType.DOUBLE);                                          // [B, T, D]
             INDArray dzRows = g.reshape(b * t, h * d).mmul(w);                                      // [B·T, D]
             INDArray delta = deltaZ.castTo(DataType.DOUBLE);                                        // [B, H, T, d]
             INDArray perToken = delta.muli(dzRows.reshape(b, t, h, d).permute(0, 2, 1, 3)).sum(3)) { // [B, H, T]
            INDArray restored = mask.castTo(DataType.DOUBLE).reshape(1, 1, t).broadcast(b, h, t);
            try (INDArray perHead = perToken.muli(restored).sum(2)) {                               // [B, H]
                return perHead.toDoubleMatrix();
            }
        }
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

    private static void scale(double[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= s;
        }
    }
}
