package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.RgbImage;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Patching, causal traces and attribution patching on a small random model of every family ({@code SmallFamilies}):
 * restoring any one site from the clean run gives the clean output back exactly (the new sites included), an exact
 * trace and AtP run, and AtP is the exact trace's first order as on ViT ({@code AttributionPatchingTest}'s bound).
 */
class FamilyPatchingTest {

    static Stream<Arguments> families() {
        return SmallFamilies.all();
    }

    private static Vit vit(VitConfig c) {
        return new Vit(VitWeights.random(c, 5));
    }

    /**
     * Seeded random weights with every matrix and embedding 5 times larger than {@link VitWeights#random}'s (std 0.1,
     * not 0.02): on a model 16 wide, the outputs then move with the input by far more than float32's rounding, so
     * that a first-order estimate can be told from the exact effect at small corruptions.
     */
    private static Vit strong(VitConfig c) {
        java.util.Map<String, INDArray> t = new java.util.LinkedHashMap<>(VitWeights.random(c, 5).tensors());
        t.replaceAll((name, a) -> name.endsWith(".bias") || name.contains("norm") ? a : a.mul(5));
        return new Vit(VitWeights.fromTensors(c, t));
    }

    private static INDArray pixels(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[3 * 8 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, new long[] {1, 3, 8, 8}, 'c');
    }

    /**
     * The substitution property: restoring from the clean run every site at once (each once: {@code embed_ln} stands
     * for {@code blocks.0.resid_pre}, which it is, and a block's {@code resid_post} for the next block's
     * {@code resid_pre}; {@code logits} left out, which would make it trivial), or any one site through which the
     * whole computation passes (the residual stream, {@code embed_ln}, {@code ln_final}, {@code pooled},
     * {@code image_embeds}; distilled DeiT's two heads together), gives the clean output back exactly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void restoringEverySiteOrAnyCutFromTheCleanRunGivesTheCleanOutputBackExactly(String name, VitConfig c) {
        Vit vit = vit(c);
        Patcher patcher = new Patcher(vit);
        try (Activations clean = vit.run(Input.normalized(pixels(1)), Keep.all());
             Activations corrupted = vit.run(Input.normalized(pixels(2)), Keep.all())) {
            float[] want = clean.logits().dup().data().asFloat();
            assertTrue(clean.logits().sub(corrupted.logits()).amaxNumber().doubleValue() > 1e-6,
                    name + ": two inputs whose outputs differ");
            List<Patch> every = new ArrayList<>();
            List<List<Patch>> cuts = new ArrayList<>();
            List<Patch> heads = new ArrayList<>();
            for (Site s : c.sites()) {
                Site.Kind k = s.kind();
                boolean alias = k == Site.Kind.EMBED || k == Site.Kind.LOGITS
                        || k == Site.Kind.RESID_PRE && s.layer() == 0 && c.hasSite(Site.Kind.EMBED_LN)
                        || k == Site.Kind.RESID_POST && s.layer() < c.layers() - 1;
                if (!alias) {
                    every.add(Patch.restore(s, clean));
                }
                if (k == Site.Kind.CLS_LOGITS || k == Site.Kind.DISTILLATION_LOGITS) {
                    heads.add(Patch.restore(s, clean));
                } else if (!k.perBlock() && k != Site.Kind.EMBED || k == Site.Kind.RESID_PRE
                        || k == Site.Kind.RESID_MID || k == Site.Kind.RESID_POST) {
                    cuts.add(List.of(Patch.restore(s, clean)));
                }
            }
            if (!heads.isEmpty()) {
                cuts.add(heads);
            }
            cuts.add(every);
            for (List<Patch> patches : cuts) {
                try (Activations patched = patcher.run(corrupted, patches, Keep.logitsOnly())) {
                    assertArrayEquals(want, patched.logits().dup().data().asFloat(), 0f, name + ": restoring "
                            + (patches.size() == 1 ? patches.get(0).site() : patches.size() + " sites"));
                }
            }
            assertTrue(cuts.size() >= 3 * c.layers() + 3, name + ": " + cuts.size() + " cuts");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void restoringEveryTokenOneAtATimeOfEmbedLnOrTheFirstResidPreGivesTheSameOutput(String name, VitConfig c) {
        Site first = c.hasSite(Site.Kind.EMBED_LN) ? Site.embedLn() : Site.residPre(0);
        Vit vit = vit(c);
        Patcher patcher = new Patcher(vit);
        try (Activations clean = vit.run(Input.normalized(pixels(1)), Keep.all());
             Activations corrupted = vit.run(Input.normalized(pixels(2)), Keep.all())) {
            int[] every = new int[c.tokens()];
            for (int t = 0; t < every.length; t++) {
                every[t] = t;
            }
            List<List<Patch>> rows = List.of(List.of(Patch.restore(first, Tokens.positions(every), clean)),
                    List.of(Patch.restore(first, Tokens.positions(c.prefixTokens()), clean)));
            INDArray logits = patcher.logits(corrupted, rows);
            assertArrayEquals(clean.logits().dup().data().asFloat(), logits.getRow(0).dup().data().asFloat(), 0f,
                    name + ": every position of " + first);
            assertTrue(logits.getRow(1).sub(corrupted.logits().getRow(0)).amaxNumber().doubleValue() > 0,
                    name + ": the first patch alone changes the output");
        }
    }

    /**
     * max over cells |estimate − exact| / max |exact| for a corruption x + eps · noise, every kind, every token,
     * window w, the logit metric (what every family has).
     */
    private static double relativeError(Vit vit, double eps, int w) {
        VitConfig c = vit.config();
        CausalTrace.Spec spec = new CausalTrace.Spec(CausalTrace.Spec.defaults().kinds(), w, Tokens.all(),
                Metric.LOGIT);
        INDArray x = pixels(1);
        INDArray corrupt = x.add(pixels(2).muli(eps));
        try (Activations clean = vit.run(Input.normalized(x), AttributionPatching.keepForClean(spec));
             Activations corrupted = vit.run(Input.normalized(corrupt),
                     AttributionPatching.keepForCorrupted(spec).and(Patcher.keepForResume(c)))) {
            int y = c.classes() - 1;
            double[][] exact = new CausalTrace(new Patcher(vit)).trace(clean, corrupted, y, spec).effect();
            double[][] est = new AttributionPatching(vit).estimate(clean, corrupted, new int[] {y}, spec,
                    TraceMethod.atp()).get(0).cells().effect();
            double worst = 0;
            double largest = 0;
            for (int k = 0; k < exact.length; k++) {
                for (int l = 0; l < exact[k].length; l++) {
                    worst = Math.max(worst, Math.abs(est[k][l] - exact[k][l]));
                    largest = Math.max(largest, Math.abs(exact[k][l]));
                }
            }
            assertTrue(largest > 0, "a corruption with an effect");
            return worst / largest;
        }
    }

    /**
     * As {@code AttributionPatchingTest} bounds it for ViT: at eps 0.001 every cell within 2% of the largest effect,
     * and ten times closer inputs give at least four times smaller relative error, up to 0.3% of the largest effect
     * that float32 rounding of the tiny effects allows (observed 0.03% to 1.1% at eps 0.001, DINOv2's classifier the
     * largest; 0.14% to 12% at eps 0.01).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void attributionPatchingIsTheExactTracesFirstOrderOnEveryFamily(String name, VitConfig c) {
        Vit vit = strong(c);
        for (int w : new int[] {1, 2}) {
            double coarse = relativeError(vit, 0.01, w);
            double fine = relativeError(vit, 0.001, w);
            assertTrue(fine < 0.02, name + ", window " + w + ": at eps 0.001 every cell within 2% of the largest"
                    + " effect: " + fine);
            assertTrue(fine < coarse / 4 + 0.003, name + ", window " + w + ": ten times closer inputs, at least four"
                    + " times smaller relative error: " + coarse + " → " + fine);
        }
    }

    private static ImageSource source(int n) {
        SplittableRandom rng = new SplittableRandom(9);
        List<RgbImage> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] rgb = new byte[8 * 8 * 3];
            for (int k = 0; k < rgb.length; k++) {
                rgb[k] = (byte) rng.nextInt(256);
            }
            list.add(new RgbImage(8, 8, rgb));
        }
        return ImageSource.held("random", 0, new int[n], list, OptionalInt.empty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void aDatasetTraceAndItsEstimateRunWithTheModelsDefaultMetric(String name, VitConfig c) throws IOException {
        CausalTrace.Spec spec = CausalTrace.Spec.defaults(c);
        assertEquals(c.architecture().head() == Architecture.Head.NONE ? Metric.LOGIT : Metric.PROB, spec.metric());
        for (TraceMethod method : List.of(TraceMethod.exact(), TraceMethod.atp())) {
            DatasetTrace trace = new DatasetTrace(vit(c), Preprocessing.unitRange(8), source(3),
                    new DatasetTrace.Options(Corruption.parse("noise:3"), spec, method,
                            DatasetTrace.Target.CLEAN_TOP1, 4, 2, 3));
            List<TraceRow> rows = trace.trace(d -> { }).rows();
            assertEquals(3 * 3 * c.layers(), rows.size(), name + " " + method.label());
            assertTrue(rows.stream().allMatch(r -> Double.isFinite(r.ie()) && Double.isFinite(r.pClean())),
                    name + " " + method.label() + ": finite effects");
        }
    }

    @Test
    void aSoftmaxMetricOnAModelWithoutClassifierIsRefusedNamingTheLogitMetric() {
        VitConfig c = SmallFamilies.small(Architecture.siglipVision(), 16);
        Vit vit = vit(c);
        CausalTrace.Spec spec = CausalTrace.Spec.defaults();
        try (Activations clean = vit.run(Input.normalized(pixels(1)), AttributionPatching.keepForClean(spec));
             Activations corrupted = vit.run(Input.normalized(pixels(2)),
                     AttributionPatching.keepForCorrupted(spec).and(Patcher.keepForResume(c)))) {
            var e = assertThrows(SettingException.class,
                    () -> new CausalTrace(new Patcher(vit)).trace(clean, corrupted, 0, spec));
            assertTrue(e.getMessage().contains("16-wide embedding") && e.getMessage().contains("Metric.LOGIT"),
                    e.getMessage());
            assertEquals(List.of(DatasetTrace.Setting.METRIC), e.settings());
            assertThrows(SettingException.class, () -> new AttributionPatching(vit).estimate(clean, corrupted,
                    new int[] {0}, spec.withMetric(Metric.LOG_PROB), TraceMethod.atp()));
        }
    }

    /** The logit metric by hand: logit_patched(y) − logit_corrupt(y), whatever the clean run. */
    @Test
    void theLogitMetricIsTheChangeOfTheTrackedComponent() {
        float[] clean = {9, 9};
        float[] corrupt = {1, 2};
        float[] patched = {1.5f, 4};
        assertEquals(2, Metric.LOGIT.effect(clean, corrupt, patched, 1), 0);
        assertEquals(Metric.LOGIT, Metric.parse("logit"));
    }
}
