package io.github.vit4j.trace;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
     *                 give it) and for logit on a classifier; on a model without classifier, where "p" is the
     *                 output's component ({@link Metric#tracked}), p_corrupt + the estimated change with logit
     * @param perToken {@code [kind][layer][position]}: the cell broken down by token position (the tokens
     *                 before the patches first: 0 = CLS where there is one; P + r·grid + c = patch (r, c) with P =
     *                 {@code VitConfig.prefixTokens()}); over the spec's positions it sums to the cell. With w = 1 the
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
        spec.metric().checkFits(config);
        checkKept(clean, "clean", keepForClean(spec), "keepForClean");
        checkKept(corrupted, "corrupted", keepForCorrupted(spec), "keepForCorrupted");
        AttributionPasses passes = new AttributionPasses(vit, spec);
        Map<AttributionPasses.Pass, AttributionPasses.Dots> dots = method.kind() == TraceMethod.Kind.ATP
                ? passes.atCorrupted(clean, corrupted, spec.metric().objective(targets))
                : passes.onPath(clean, corrupted, n -> spec.metric().objective(repeated(targets, n)), method.steps());
        return estimates(clean, corrupted, targets, spec, passes, dots);
    }

    /** {@code targets} repeated {@code n} times, for n copies of a batch stacked as rows. */
    private static int[] repeated(int[] targets, int n) {
        int[] out = new int[targets.length * n];
        for (int i = 0; i < out.length; i++) {
            out[i] = targets[i % targets.length];
        }
        return out;
    }

    private List<Estimate> estimates(Activations clean, Activations corrupted, int[] targets, CausalTrace.Spec spec,
                                     AttributionPasses plan,
                                     Map<AttributionPasses.Pass, AttributionPasses.Dots> passes) {
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
                AttributionPasses.Dots pass = passes.get(plan.pass(kind, l));
                dots[k][l] = new double[w.last() - w.first() + 1][][];
                for (int m = w.first(); m <= w.last(); m++) {
                    dots[k][l][m - w.first()] = pass.tokens().get(Site.of(m, kind));
                }
            }
            AttributionPasses.Dots pass = passes.get(plan.pass(Site.Kind.ATTN_OUT, l));
            headDots[l] = new double[w.last() - w.first() + 1][][];
            for (int m = w.first(); m <= w.last(); m++) {
                headDots[l][m - w.first()] = pass.heads().get(Site.attnOut(m));
            }
        }
        List<Estimate> out = new ArrayList<>();
        boolean classifies = Metric.classifies(config);
        for (int i = 0; i < b; i++) {
            float[] cleanLogits = CausalTrace.row(clean.logits(), i);
            float[] corruptLogits = CausalTrace.row(corrupted.logits(), i);
            double pClean = Metric.tracked(config, cleanLogits, targets[i]);
            double pCorrupt = Metric.tracked(config, corruptLogits, targets[i]);
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
                        case LOGIT -> classifies ? Double.NaN : pCorrupt + cell;
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
