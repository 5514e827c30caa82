package io.github.vit4j.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The invariants of activation patching, on a small random-weight ViT (the invariants hold for any weights). Each
 * test also checks that clean and corrupted logits differ by far more than its tolerance, so it can fail.
 */
class PatcherTest {

    /** 32×32 images, patch 8 (16 patches, 17 tokens), width 32, 4 layers, 2 heads, MLP 64, 10 classes. */
    static final VitConfig CONFIG = new VitConfig(32, 8, 3, 32, 4, 2, 64, 1e-6, VitConfig.numberedLabels(10));
    static final Vit VIT = new Vit(VitWeights.random(CONFIG, 42));
    static final Patcher PATCHER = new Patcher(VIT);
    static final INDArray CLEAN_PIXELS = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32).muli(4).subi(2);
    static final INDArray CORRUPT_PIXELS = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32).muli(4).subi(2);
    static final Activations CLEAN = VIT.run(Input.normalized(CLEAN_PIXELS), Keep.all());
    static final Activations CORRUPT = VIT.run(Input.normalized(CORRUPT_PIXELS), Keep.all());
    /** Largest elementwise difference between clean and corrupted logits. */
    static final double GAP = maxDiff(CLEAN.logits(), CORRUPT.logits());

    static double maxDiff(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    static void assertLogits(INDArray expected, INDArray actual, double tolerance) {
        assertTrue(GAP > 100 * tolerance, "clean and corrupted logits must differ (gap " + GAP + ")");
        double d = maxDiff(expected, actual);
        assertTrue(d <= tolerance, "logits differ by " + d + " > " + tolerance);
    }

    @Test
    void restoringNothingGivesTheCorruptedRun() {
        Activations patched = PATCHER.run(CORRUPT, List.of(), Keep.logitsOnly());
        assertLogits(CORRUPT.logits(), patched.logits(), 1e-6);
    }

    @Test
    void restoringResidPreOfLayerZeroGivesTheCleanRun() {
        Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(Site.residPre(0), CLEAN)), Keep.logitsOnly());
        assertLogits(CLEAN.logits(), patched.logits(), 1e-6);
    }

    @Test
    void restoringAttnOutAndMlpOutAtEveryLayerGivesTheCleanRun() {
        List<Patch> patches = new ArrayList<>();
        for (int l = 0; l < CONFIG.layers(); l++) {
            patches.add(Patch.restore(Site.attnOut(l), CLEAN));
            patches.add(Patch.restore(Site.mlpOut(l), CLEAN));
        }
        // resid_post(L-1) = resid_pre(0) + Σ attn_out + Σ mlp_out, and resid_pre(0) differs between the runs: so
        // restore it too. (Without it the stream keeps the corrupted embeddings.)
        patches.add(Patch.restore(Site.residPre(0), CLEAN));
        Activations patched = PATCHER.run(CORRUPT, patches, Keep.logitsOnly());
        assertLogits(CLEAN.logits(), patched.logits(), 1e-5);
    }

    @Test
    void restoringResidAtAnyLayerForAllTokensGivesTheCleanRun() {
        for (int l = 0; l < CONFIG.layers(); l++) {
            Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(Site.residPost(l), CLEAN)),
                    Keep.logitsOnly());
            assertLogits(CLEAN.logits(), patched.logits(), 1e-6);
        }
    }

    @Test
    void patchingNonClsTokensOfTheLastMlpOutLeavesTheLogitsUnchanged() {
        Site lastMlp = Site.mlpOut(CONFIG.layers() - 1);
        Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(lastMlp, Tokens.patches(), CLEAN)),
                Keep.logitsOnly().and(Keep.sites(lastMlp)));
        assertLogits(CORRUPT.logits(), patched.logits(), 1e-6);
        // ...while the site itself did change at the patch tokens: the head reads only CLS after the last block.
        assertTrue(maxDiff(CORRUPT.get(lastMlp), patched.get(lastMlp)) > 1e-3);
    }

    @Test
    void restoringTheClsTokenOfTheLastMlpOutChangesTheLogits() {
        Site lastMlp = Site.mlpOut(CONFIG.layers() - 1);
        Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(lastMlp, Tokens.cls(), CLEAN)),
                Keep.logitsOnly());
        assertTrue(maxDiff(CORRUPT.logits(), patched.logits()) > 1e-3);
    }

    @Test
    void resumedRunsEqualFullRecomputation() {
        for (int l = 0; l < CONFIG.layers(); l++) {
            List<Patch> patches = List.of(
                    Patch.restore(Site.attnOut(l), Tokens.rectangle(1, 1, 2, 2), CLEAN),
                    Patch.restore(Site.of(l, Site.Kind.Z), CLEAN).withHeads(Heads.of(1)));
            Activations resumed = PATCHER.run(CORRUPT, patches, Keep.logitsOnly());
            // The same patches as substitutions of a run from the corrupted pixels, recomputing every layer.
            Map<Site, Substitution> subs = Map.of(
                    Site.attnOut(l), Substitution.masked(CLEAN.get(Site.attnOut(l)), patches.get(0).mask(CONFIG)),
                    Site.of(l, Site.Kind.Z), Substitution.masked(CLEAN.get(Site.of(l, Site.Kind.Z)),
                            patches.get(1).mask(CONFIG)));
            Activations full = VIT.run(Input.normalized(CORRUPT_PIXELS), Keep.logitsOnly(), subs);
            assertLogits(full.logits(), resumed.logits(), 1e-6);
        }
    }

    @Test
    void batchedPatchRunsEqualOneAtATime() {
        List<List<Patch>> configurations = new ArrayList<>();
        configurations.add(List.of());
        for (int l = 0; l < CONFIG.layers(); l++) {
            configurations.add(List.of(Patch.restore(Site.attnOut(l), CLEAN)));
            configurations.add(List.of(Patch.restore(Site.residPost(l), Tokens.cls(), CLEAN),
                    Patch.restore(Site.mlpOut(l), Tokens.positions(3, 4), CLEAN)));
            configurations.add(List.of(Patch.restore(Site.of(l, Site.Kind.Z), CLEAN).withHeads(Heads.of(0))));
            configurations.add(List.of(Patch.restore(Site.residPost(l), CLEAN),
                    Patch.restore(Site.attnOut(Math.min(l + 1, CONFIG.layers() - 1)), Tokens.patches(), CLEAN)));
            configurations.add(List.of(Patch.restore(Site.residPre(l), Tokens.all(), CORRUPT.image(0))));
        }
        INDArray batched = PATCHER.logits(CORRUPT, configurations);
        for (int r = 0; r < configurations.size(); r++) {
            INDArray single = PATCHER.run(CORRUPT, configurations.get(r), Keep.logitsOnly()).logits();
            assertLogits(single, batched.getRow(r).reshape(1, CONFIG.classes()), 1e-5);
        }
    }

    @Test
    void aWindowTraceGivesTheLogitsOfHookStyleFullForwards() {
        // ROME's trace with window 3: every layer's window of resid_post, attn_out or mlp_out restored whole. The
        // batched engine resumes, starts after a restored stream and skips replaced modules; a hook computes every
        // module from the pixels and then overwrites its output.
        INDArray everywhere = Nd4j.ones(DataType.FLOAT, 1, 1, 1);
        List<List<Patch>> configurations = new ArrayList<>();
        List<Map<Site, Substitution>> hooks = new ArrayList<>();
        for (Site.Kind kind : List.of(Site.Kind.RESID_POST, Site.Kind.ATTN_OUT, Site.Kind.MLP_OUT)) {
            for (int l = 0; l < CONFIG.layers(); l++) {
                List<Patch> patches = new ArrayList<>();
                Map<Site, Substitution> subs = new java.util.HashMap<>();
                for (int i = Math.max(0, l - 1); i <= Math.min(CONFIG.layers() - 1, l + 1); i++) {
                    patches.add(Patch.restore(Site.of(i, kind), CLEAN));
                    subs.put(Site.of(i, kind), Substitution.masked(CLEAN.get(Site.of(i, kind)), everywhere));
                }
                configurations.add(patches);
                hooks.add(subs);
            }
        }
        INDArray engine = PATCHER.logits(CORRUPT, configurations);
        for (int r = 0; r < configurations.size(); r++) {
            INDArray hook = VIT.run(Input.normalized(CORRUPT_PIXELS), Keep.logitsOnly(), hooks.get(r)).logits();
            assertLogits(hook, engine.getRow(r).reshape(1, CONFIG.classes()), 1e-5);
        }
    }

    @Test
    void aWholeStreamPatchSupersedesEverythingBeforeItAndTheRunStartsThere() {
        List<Patch> patches = List.of(
                Patch.restore(Site.attnOut(0), CLEAN),
                Patch.zero(Site.mlpOut(1), Tokens.all(), CONFIG),
                Patch.restore(Site.residPost(1), CLEAN),                 // = resid_pre of block 2, every token
                Patch.restore(Site.mlpOut(2), Tokens.cls(), CLEAN));
        Activations patched = PATCHER.run(CORRUPT, patches, Keep.kinds(Site.Kind.RESID_PRE));
        assertEquals(2, patched.startLayer());
        assertSame(CLEAN.get(Site.residPost(1)), patched.get(Site.residPre(2)));
        // the same patches applied from the pixels on, every block recomputed
        Map<Site, Substitution> subs = new java.util.HashMap<>();
        for (Patch p : patches) {
            subs.put(p.site(), Substitution.masked(p.source(), p.mask(CONFIG)));
        }
        INDArray full = VIT.run(Input.normalized(CORRUPT_PIXELS), Keep.logitsOnly(), subs).logits();
        assertLogits(full, patched.logits(), 1e-6);
    }

    @Test
    void restoringTheWholeLastResidPostRunsOnlyTheHead() {
        Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(Site.residPost(CONFIG.layers() - 1), CLEAN),
                Patch.restore(Site.attnOut(1), CLEAN)), Keep.all());
        assertEquals(CONFIG.layers(), patched.startLayer());
        assertEquals(java.util.Set.of(Site.lnFinal(), Site.logits()), patched.sites());
        assertLogits(CLEAN.logits(), patched.logits(), 1e-6);
    }

    @Test
    void twoPatchesOfOneStreamStateAreRefusedEvenUnderTheirTwoNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PATCHER.run(CORRUPT,
                List.of(Patch.restore(Site.residPost(0), CLEAN), Patch.restore(Site.residPre(1), Tokens.cls(), CLEAN)),
                Keep.logitsOnly()));
        assertTrue(e.getMessage().contains("blocks.1.resid_pre"), e.getMessage());
    }

    @Test
    void rowsThatAllReplaceASiteWhollyEqualTheirSingleRuns() {
        Site s = Site.attnOut(1);
        List<List<Patch>> configurations = List.of(
                List.of(Patch.restore(s, CLEAN)),
                List.of(Patch.zero(s, Tokens.all(), CONFIG)),
                List.of(Patch.mean(s, Tokens.all(), List.of(CLEAN, CORRUPT))));
        INDArray batched = PATCHER.logits(CORRUPT, configurations);
        for (int r = 0; r < configurations.size(); r++) {
            INDArray single = PATCHER.run(CORRUPT, configurations.get(r), Keep.logitsOnly()).logits();
            assertLogits(single, batched.getRow(r).reshape(1, CONFIG.classes()), 1e-5);
        }
    }

    @Test
    void chunkedBatchesGiveTheSameLogitsAsOneBatch() {
        List<List<Patch>> configurations = new ArrayList<>();
        for (int p = 1; p < CONFIG.tokens(); p++) {
            configurations.add(List.of(Patch.restore(Site.residPre(1), Tokens.positions(p), CLEAN)));
        }
        INDArray oneBatch = PATCHER.logits(CORRUPT, configurations);
        INDArray chunked = new Patcher(VIT, 3).logits(CORRUPT, configurations);
        assertTrue(maxDiff(oneBatch, chunked) <= 1e-5);
    }

    @Test
    void aWholeSitePatchUsesTheSourceArrayItselfWithoutACopy() {
        Site s = Site.attnOut(2);
        Activations patched = PATCHER.run(CORRUPT, List.of(Patch.restore(s, CLEAN)), Keep.sites(s));
        assertSame(CLEAN.get(s), patched.get(s));
    }

    @Test
    void patchingNeverWritesTheSourceOrTheCachedRun() {
        INDArray before = CORRUPT.get(Site.residPre(1)).dup();
        INDArray source = CLEAN.get(Site.attnOut(1)).dup();
        PATCHER.run(CORRUPT, List.of(Patch.restore(Site.attnOut(1), Tokens.cls(), CLEAN)), Keep.all());
        assertEquals(0.0, maxDiff(before, CORRUPT.get(Site.residPre(1))));
        assertEquals(0.0, maxDiff(source, CLEAN.get(Site.attnOut(1))));
    }

    @Test
    void zeroAblationOfEveryAttnOutEqualsASubstitutionOfZeros() {
        List<Patch> patches = new ArrayList<>();
        for (int l = 0; l < CONFIG.layers(); l++) {
            patches.add(Patch.zero(Site.attnOut(l), Tokens.all(), CONFIG));
        }
        INDArray viaPatcher = PATCHER.run(CLEAN, patches, Keep.logitsOnly()).logits();
        assertTrue(maxDiff(viaPatcher, CLEAN.logits()) > 1e-3, "ablating attention must matter");
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), CONFIG.hiddenSize());
        java.util.Map<Site, Substitution> subs = new java.util.HashMap<>();
        for (int l = 0; l < CONFIG.layers(); l++) {
            subs.put(Site.attnOut(l), Substitution.whole(zeros));
        }
        INDArray direct = VIT.run(Input.normalized(CLEAN_PIXELS), Keep.logitsOnly(), subs).logits();
        assertTrue(maxDiff(direct, viaPatcher) <= 1e-6);
    }

    @Test
    void meanAblationAveragesOverEveryImageOfTheRuns() {
        Patch p = Patch.mean(Site.attnOut(0), Tokens.all(), List.of(CLEAN, CORRUPT));
        INDArray expected = CLEAN.get(Site.attnOut(0)).add(CORRUPT.get(Site.attnOut(0))).div(2);
        assertTrue(maxDiff(expected, p.source()) <= 1e-7);
    }

    @Test
    void aCorruptedRunWithoutTheResumePointIsRefusedWithAHint() {
        Activations thin = VIT.run(Input.normalized(CORRUPT_PIXELS), Keep.logitsOnly());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PATCHER.run(thin, List.of(Patch.restore(Site.attnOut(2), CLEAN)), Keep.logitsOnly()));
        assertTrue(e.getMessage().contains("blocks.2.resid_pre") && e.getMessage().contains("keepForResume"),
                e.getMessage());
    }

    @Test
    void headsCanOnlyBeChosenForSitesWithAHeadAxis() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Patch.restore(Site.attnOut(0), CLEAN).withHeads(Heads.of(0)));
        assertTrue(e.getMessage().contains("no head axis"), e.getMessage());
    }
}
