package io.github.vit4j.trace;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Causal tracing of one image (Meng et al., ROME): for each kind (resid, attn, mlp) and each layer l, re-run the
 * corrupted input while restoring that kind from the clean run at every layer of the {@link Window} around l, and
 * measure how much of the tracked class's probability comes back.
 */
public final class CausalTrace {

    private final Patcher patcher;
    private final VitConfig config;

    public CausalTrace(Patcher patcher) {
        this.patcher = patcher;
        this.config = patcher.vit().config();
    }

    /**
     * What to sweep. Plain data, serializable (a distributed trace ships it to its workers).
     *
     * @param kinds  the kinds restored, one sweep each
     * @param window ROME's window width w (1 = the layer alone; 3 in the study)
     * @param tokens which tokens are restored at each patched site
     * @param metric how the effect is measured
     */
    public record Spec(List<SweepKind> kinds, int window, Tokens tokens, Metric metric) implements Serializable {

        private static final long serialVersionUID = 1L;

        public Spec {
            kinds = List.copyOf(new LinkedHashSet<>(kinds));      // each kind traced once, in the order first given
            if (kinds.isEmpty()) {
                throw new SettingException("trace at least one kind (resid, attn, mlp)",
                        DatasetTrace.Setting.KINDS);
            }
            if (window < 1) {
                throw new SettingException("window must be >= 1, got " + window, DatasetTrace.Setting.WINDOW);
            }
        }

        /** The study's defaults: resid, attn and mlp; window 3; all tokens; IE in probability. */
        public static Spec defaults() {
            return new Spec(List.of(SweepKind.RESID, SweepKind.ATTN, SweepKind.MLP), 3, Tokens.all(), Metric.PROB);
        }

        /** {@link #defaults()} with the model's default metric ({@link Metric#defaultFor}: logit without classifier). */
        public static Spec defaults(VitConfig config) {
            return defaults().withMetric(Metric.defaultFor(config));
        }

        /** The same spec measured by {@code newMetric}. */
        public Spec withMetric(Metric newMetric) {
            return new Spec(kinds, window, tokens, newMetric);
        }
    }

    /**
     * The trace of one image.
     *
     * @param target   the class tracked
     * @param pClean   p(target) of the clean run (for a model without classifier, the output's component target:
     *                 {@link Metric#tracked}; so are pCorrupt and pPatched)
     * @param pCorrupt p(target) of the corrupted run
     * @param kinds    the sweeps, in order
     * @param pPatched {@code [kind][layer]} p(target) of each patched run
     * @param effect   {@code [kind][layer]} the metric of each patched run
     */
    public record ImageTrace(int target, double pClean, double pCorrupt, List<SweepKind> kinds, double[][] pPatched,
                             double[][] effect) {
    }

    /** What the clean run must keep for {@code spec}: the restored kinds at every layer. */
    public static Keep keepForClean(Spec spec) {
        Keep k = Keep.logitsOnly();
        for (SweepKind kind : spec.kinds()) {
            k = k.and(Keep.kinds(kind.site()));
        }
        return k;
    }

    /**
     * Traces one image.
     *
     * @param clean     the clean run of the image (batch 1), keeping {@link #keepForClean}
     * @param corrupted the corrupted run of the image (batch 1), keeping {@link Patcher#keepForResume}
     * @param target    the class whose probability is tracked
     */
    public ImageTrace trace(Activations clean, Activations corrupted, int target, Spec spec) {
        spec.metric().checkFits(config);
        int layers = config.layers();
        List<List<Patch>> configurations = new ArrayList<>();
        for (SweepKind kind : spec.kinds()) {
            for (int l = 0; l < layers; l++) {
                configurations.add(windowPatches(clean, kind, l, spec.window(), spec.tokens()));
            }
        }
        INDArray logits = patcher.logits(corrupted, configurations);
        float[] cleanLogits = row(clean.logits(), 0);
        float[] corruptLogits = row(corrupted.logits(), 0);
        double[][] p = new double[spec.kinds().size()][layers];
        double[][] e = new double[spec.kinds().size()][layers];
        for (int k = 0; k < spec.kinds().size(); k++) {
            for (int l = 0; l < layers; l++) {
                float[] patched = row(logits, k * layers + l);
                p[k][l] = Metric.tracked(config, patched, target);
                e[k][l] = spec.metric().effect(cleanLogits, corruptLogits, patched, target);
            }
        }
        return new ImageTrace(target, Metric.tracked(config, cleanLogits, target),
                Metric.tracked(config, corruptLogits, target), spec.kinds(), p, e);
    }

    /**
     * A token sweep: at each layer l, restore {@code kind} over the window around l at one patch position at a time.
     * Returns {@code [layer][cell]} effects, cell = row · grid + column of the patch grid.
     */
    public double[][] tokenSweep(Activations clean, Activations corrupted, int target, SweepKind kind, int window,
                                 Metric metric) {
        metric.checkFits(config);
        int layers = config.layers();
        int cells = config.patches();
        List<List<Patch>> configurations = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int c = 0; c < cells; c++) {
                configurations.add(windowPatches(clean, kind, l, window,
                        Tokens.positions(config.prefixTokens() + c)));
            }
        }
        INDArray logits = patcher.logits(corrupted, configurations);
        float[] cleanLogits = row(clean.logits(), 0);
        float[] corruptLogits = row(corrupted.logits(), 0);
        double[][] e = new double[layers][cells];
        for (int l = 0; l < layers; l++) {
            for (int c = 0; c < cells; c++) {
                e[l][c] = metric.effect(cleanLogits, corruptLogits, row(logits, l * cells + c), target);
            }
        }
        return e;
    }

    /** The patches restoring {@code kind} at every layer of the window around {@code layer}. */
    public List<Patch> windowPatches(Activations clean, SweepKind kind, int layer, int window, Tokens tokens) {
        Window w = Window.around(layer, window, config.layers());
        List<Patch> patches = new ArrayList<>();
        for (int l = w.first(); l <= w.last(); l++) {
            patches.add(Patch.restore(Site.of(l, kind.site()), tokens, clean));
        }
        return patches;
    }

    static float[] row(INDArray logits, int r) {
        return logits.getRow(r).dup().data().asFloat();
    }
}
