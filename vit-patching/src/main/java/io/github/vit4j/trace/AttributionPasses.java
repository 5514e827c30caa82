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
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backward passes an {@link AttributionPatching} estimate runs for one spec, and what each contributes to its
 * cells: with w = 1 one pass with nothing held; with w > 1 that pass and one per kind and window, each holding the
 * window's restored elements fixed, seeded at the window's last {@code resid_post} and stopping at its first layer.
 */
final class AttributionPasses {

    private final Vit vit;
    private final VitConfig config;
    private final CausalTrace.Spec spec;

    /** Rows of one path run of atp-ig: the steps of a small batch are stacked into one run up to this many rows. */
    static final int MAX_ROWS = 16;

    AttributionPasses(Vit vit, CausalTrace.Spec spec) {
        this.vit = vit;
        this.config = vit.config();
        this.spec = spec;
    }

    /** The contribution of every pass at the corrupted run (atp). */
    Map<Pass, Dots> atCorrupted(Activations clean, Activations corrupted, Objective objective) {
        Map<Site, INDArray> deltas = deltas(clean, corrupted);
        try {
            return dots(corrupted, objective, deltas, 1);
        } finally {
            deltas.values().forEach(INDArray::close);
        }
    }

    /**
     * The contributions averaged over {@code steps} runs on the path from the corrupted to the clean input (atp-ig);
     * {@code objective} gives the objective for the batch's images repeated n times (n steps stacked as rows).
     */
    Map<Pass, Dots> onPath(Activations clean, Activations corrupted, IntFunction<Objective> objective, int steps) {
        Map<Site, INDArray> deltas = deltas(clean, corrupted);
        try {
            return pathDots(clean, corrupted, objective, deltas, steps);
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
    record Pass(List<Site> held, List<Site> kept) {

        /** The pass with nothing held that the windows start from (and that w = 1 uses for every cell). */
        boolean whole() {
            return held.isEmpty();
        }

        Site top() {
            return Site.residPost(held.get(held.size() - 1).layer());
        }
    }

    /** The pass whose gradients estimate cell {@code (kind, layer)}. */
    Pass pass(Site.Kind kind, int layer) {
        if (spec.window() == 1) {
            return whole();
        }
        Window w = Window.around(layer, spec.window(), config.layers());
        List<Site> held = new ArrayList<>();
        for (int m = w.first(); m <= w.last(); m++) {
            held.add(Site.of(m, kind));
        }
        return new Pass(held, held);
    }

    /** The pass with nothing held: every site of the spec's kinds and attn_out, and resid_post for the windows. */
    private Pass whole() {
        List<Site> kept = new ArrayList<>();
        List<Site.Kind> kinds = siteKinds();
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
    private Set<Pass> passes() {
        Set<Pass> passes = new LinkedHashSet<>();
        passes.add(whole());
        for (Site.Kind k : siteKinds()) {
            for (int l = 0; l < config.layers(); l++) {
                passes.add(pass(k, l));
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
    record Dots(Map<Site, double[][]> tokens, Map<Site, double[][]> heads) {

        /** Adds {@code other}'s rows times {@code weight} into this, row r of other into row r mod this's rows. */
        Dots addRows(Dots other, double weight) {
            other.tokens.forEach((site, d) -> addInto(tokens.get(site), d, weight));
            other.heads.forEach((site, d) -> addInto(heads.get(site), d, weight));
            return this;
        }

        private static void addInto(double[][] a, double[][] b, double weight) {
            for (int r = 0; r < b.length; r++) {
                for (int j = 0; j < b[r].length; j++) {
                    a[r % a.length][j] += weight * b[r][j];
                }
            }
        }
    }

    /** {@code clean − corrupt} at every site the estimate multiplies: the spec's kinds and z, at every layer. */
    private Map<Site, INDArray> deltas(Activations clean, Activations corrupted) {
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

    /**
     * The contribution of every pass at {@code run}, whose rows are {@code steps} blocks of the batch's B images (the
     * path points of atp-ig stacked; 1 for atp): each gradient's blocks are summed first (the dots are linear in the
     * gradient), so the dots are taken once, with {@code deltas} of B rows, whatever the number of steps.
     */
    private Map<Pass, Dots> dots(Activations run, Objective objective, Map<Site, INDArray> deltas, int steps) {
        Map<Pass, Dots> out = new LinkedHashMap<>();
        INDArray mask = tokenMask();
        Map<Site, INDArray> seeds = new LinkedHashMap<>();             // resid_post gradients of the unheld pass
        for (Pass pass : passes()) {
            Map<Site, INDArray> held = new LinkedHashMap<>();
            pass.held().forEach(site -> held.put(site, mask));
            Objective from = pass.whole() ? objective : Objective.direction(pass.top(), seeds.get(pass.top()));
            Dots dots = new Dots(new LinkedHashMap<>(), new LinkedHashMap<>());
            try (Gradients g = vit.backward(run, from, Keep.sites(pass.kept().toArray(Site[]::new)), held)) {
                for (Site site : pass.kept()) {
                    boolean dotted = deltas.containsKey(site) || site.kind() == Site.Kind.ATTN_OUT;
                    INDArray summed = dotted ? stepSum(g.get(site), steps) : null;                // [B, T, X]
                    if (deltas.containsKey(site)) {
                        dots.tokens().put(site, tokenDots(deltas.get(site), summed));
                    }
                    if (site.kind() == Site.Kind.ATTN_OUT) {
                        dots.heads().put(site, headDots(deltas.get(Site.z(site.layer())), summed, site.layer(),
                                mask));
                    }
                    if (summed != null && steps > 1) {
                        summed.close();
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

    /** {@code g [steps·B, T, X]} summed over its {@code steps} blocks of B rows: {@code [B, T, X]}; g itself for one step. */
    private static INDArray stepSum(INDArray g, int steps) {
        if (steps == 1) {
            return g;
        }
        long[] shape = g.shape();
        long b = shape[0] / steps;
        INDArray blocks = g.reshape('c', steps, b, g.length() / shape[0]);    // a view of g where g is C-ordered
        long[] out = shape.clone();
        out[0] = b;
        return blocks.sum(0).reshape('c', out);
    }

    /** {@code [1, T, 1]}: 1 at the spec's restored tokens. */
    private INDArray tokenMask() {
        float[] m = new float[config.tokens()];
        for (int p : spec.tokens().positions(config)) {
            m[p] = 1f;
        }
        return Nd4j.create(m, new long[] {1, config.tokens(), 1}, 'c');
    }

    /**
     * The contributions averaged over {@code steps} runs at {@code resid_pre(0)} = corrupt + α (clean − corrupt),
     * α = (j + ½)/steps. Steps run as rows of one batched run, up to {@link #MAX_ROWS} rows at a time (a batch-1
     * trace's four steps are one run of four rows: the GEMMs are more efficient so, and the rows independent).
     */
    private Map<Pass, Dots> pathDots(Activations clean, Activations corrupted, IntFunction<Objective> objective,
                                     Map<Site, INDArray> deltas, int steps) {
        int b = corrupted.batch();
        int perRun = Math.max(1, Math.min(steps, MAX_ROWS / b));
        INDArray from = corrupted.get(Site.residPre(0));                                          // [B, T, D]
        INDArray delta = clean.get(Site.residPre(0)).sub(from);                                   // [B, T, D]
        Map<Pass, Dots> mean = new LinkedHashMap<>();
        for (int first = 0; first < steps; first += perRun) {
            int n = Math.min(perRun, steps - first);
            INDArray[] points = new INDArray[n];
            for (int i = 0; i < n; i++) {
                points[i] = delta.mul((first + i + 0.5) / steps).addi(from);                      // [B, T, D]
            }
            try (INDArray stacked = n == 1 ? points[0] : Nd4j.concat(0, points);                  // [n·B, T, D]
                 Activations run = vit.run(Input.residPre(0, stacked), Vit.keepForBackward())) {
                dots(run, objective.apply(n), deltas, n).forEach((pass, d) -> mean.computeIfAbsent(pass,
                        p -> new Dots(zeros(d.tokens(), b), zeros(d.heads(), b))).addRows(d, 1.0 / steps));
            } finally {
                for (INDArray point : points) {
                    point.close();
                }
            }
        }
        delta.close();
        return mean;
    }

    /** Zeros shaped like {@code like}'s arrays with {@code rows} rows. */
    private static Map<Site, double[][]> zeros(Map<Site, double[][]> like, int rows) {
        Map<Site, double[][]> z = new LinkedHashMap<>();
        like.forEach((site, a) -> z.put(site, new double[rows][a[0].length]));
        return z;
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
        // dz in float32 like every gradient of the backward (no double copy of the weight per call)
        try (INDArray dzRows = dAttnOut.reshape(b * t, h * d).mmul(vit.weights().blocks().get(l).proj().weight());
             INDArray dz = dzRows.castTo(DataType.DOUBLE);                                           // [B·T, D]
             INDArray delta = deltaZ.castTo(DataType.DOUBLE);                                        // [B, H, T, d]
             INDArray perToken = delta.muli(dz.reshape(b, t, h, d).permute(0, 2, 1, 3)).sum(3)) {    // [B, H, T]
            INDArray restored = mask.castTo(DataType.DOUBLE).reshape(1, 1, t).broadcast(b, h, t);
            try (INDArray perHead = perToken.muli(restored).sum(2)) {                               // [B, H]
                return perHead.toDoubleMatrix();
            }
        }
    }

    /** The site kinds whose gradients an estimate needs: the spec's kinds and attn_out (for the per-head map). */
    private List<Site.Kind> siteKinds() {
        List<Site.Kind> kinds = new ArrayList<>();
        spec.kinds().forEach(k -> kinds.add(k.site()));
        if (!kinds.contains(Site.Kind.ATTN_OUT)) {
            kinds.add(Site.Kind.ATTN_OUT);
        }
        return kinds;
    }
}
