package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal tracing worked by hand on the smallest ViT there is, so the numbers can be followed with a pencil.
 *
 * <p>The model: a 1×1 grey image (one channel, one patch), width D = 2, one block, one head, MLP width 1, two
 * classes. Tokens: CLS (position 0) and the single patch (position 1). LayerNorm of a 2-vector {@code [a, b]} is
 * {@code [+1, −1]} if a > b and {@code [−1, +1]} if a < b (mean (a+b)/2, both entries one standard deviation
 * away); of {@code [0, 0]} it is {@code [0, 0]}. (eps = 1e-6 shifts these by about 1e-6.)
 *
 * <pre>
 * embed        = x · [1, −1]                 patch embedding of pixel x (weight [[1], [−1]], bias 0)
 * resid_pre    = CLS [0, 0],  patch [x, −x]  (cls_token 0, pos_embed 0)
 * ln1          = CLS [0, 0],  patch [s, −s]  with s = sign(x)
 * q = k = 0 (weights 0) → every score 0 → pattern = [½, ½] for both tokens
 * v = ln1 (identity weight)  →  z = ½ (v_CLS + v_patch) = [s/2, −s/2] for both tokens
 * attn_out     = 2 · z = [s, −s] for both tokens (proj weight 2·I)
 * resid_mid    = CLS [s, −s]                 ← attention has copied the patch's sign into CLS
 * mlp_out      = 0 (fc1 and fc2 zero), so resid_post = resid_mid
 * ln_final     = CLS [s, −s];  logits = head · CLS = [s, −s] (head weight I)
 * p(class 0)   = e^s / (e^s + e^−s) = 1 / (1 + e^(−2s))
 * </pre>
 *
 * Clean image x = +0.5: s = +1, p_clean = 1/(1 + e^−2) = 0.880797. Corrupted x = −0.5: s = −1, p_corrupt =
 * 1/(1 + e^2) = 0.119203. Tracking class 0, the most any restoration can bring back is p_clean − p_corrupt =
 * 0.761594 (= tanh 1).
 */
class HandWorkedTraceTest {

    static final double P_CLEAN = 1 / (1 + Math.exp(-2));
    static final double P_CORRUPT = 1 / (1 + Math.exp(2));
    static final double TOLERANCE = 1e-5;

    static final VitConfig CONFIG = new VitConfig(1, 1, 1, 2, 1, 1, 1, 1e-6, List.of("bright", "dark"));
    static final Vit VIT = new Vit(VitWeights.fromTensors(CONFIG, weights()));
    static final CausalTrace TRACE = new CausalTrace(new Patcher(VIT));
    static final Activations CLEAN = VIT.run(Input.normalized(pixel(0.5f)), Keep.all());
    static final Activations CORRUPT = VIT.run(Input.normalized(pixel(-0.5f)), Keep.all());

    static INDArray pixel(float x) {
        return Nd4j.create(new float[] {x}, new long[] {1, 1, 1, 1}, 'c');
    }

    static INDArray m(long[] shape, float... values) {
        return Nd4j.create(values, shape, 'c');
    }

    static Map<String, INDArray> weights() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        w.put("patch_embed.proj.weight", m(new long[] {2, 1}, 1, -1));
        w.put("patch_embed.proj.bias", m(new long[] {2}, 0, 0));
        w.put("cls_token", m(new long[] {2}, 0, 0));
        w.put("pos_embed", m(new long[] {2, 2}, 0, 0, 0, 0));
        w.put("blocks.0.norm1.weight", m(new long[] {2}, 1, 1));
        w.put("blocks.0.norm1.bias", m(new long[] {2}, 0, 0));
        // rows of qkv: q (2 rows, zero), k (2 rows, zero), v (2 rows, identity)
        w.put("blocks.0.attn.qkv.weight", m(new long[] {6, 2}, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1));
        w.put("blocks.0.attn.qkv.bias", m(new long[] {6}, 0, 0, 0, 0, 0, 0));
        w.put("blocks.0.attn.proj.weight", m(new long[] {2, 2}, 2, 0, 0, 2));
        w.put("blocks.0.attn.proj.bias", m(new long[] {2}, 0, 0));
        w.put("blocks.0.norm2.weight", m(new long[] {2}, 1, 1));
        w.put("blocks.0.norm2.bias", m(new long[] {2}, 0, 0));
        w.put("blocks.0.mlp.fc1.weight", m(new long[] {1, 2}, 0, 0));
        w.put("blocks.0.mlp.fc1.bias", m(new long[] {1}, 0));
        w.put("blocks.0.mlp.fc2.weight", m(new long[] {2, 1}, 0, 0));
        w.put("blocks.0.mlp.fc2.bias", m(new long[] {2}, 0, 0));
        w.put("norm.weight", m(new long[] {2}, 1, 1));
        w.put("norm.bias", m(new long[] {2}, 0, 0));
        w.put("head.weight", m(new long[] {2, 2}, 1, 0, 0, 1));
        w.put("head.bias", m(new long[] {2}, 0, 0));
        return w;
    }

    @Test
    void theCleanAndCorruptedProbabilitiesAreTheOnesWorkedOutByHand() {
        assertEquals(P_CLEAN, Metric.probability(CausalTrace.row(CLEAN.logits(), 0), 0), TOLERANCE);
        assertEquals(P_CORRUPT, Metric.probability(CausalTrace.row(CORRUPT.logits(), 0), 0), TOLERANCE);
        // attention copied the patch's sign into CLS: resid_mid of CLS is [+1, −1] in the clean run
        assertEquals(1.0, CLEAN.get(Site.residMid(0)).getDouble(0, 0, 0), TOLERANCE);
        assertEquals(-1.0, CLEAN.get(Site.residMid(0)).getDouble(0, 0, 1), TOLERANCE);
    }

    @Test
    void restoringTheHiddenStateOrAttentionRecoversEverythingAndTheMlpNothing() {
        CausalTrace.ImageTrace t = TRACE.trace(CLEAN, CORRUPT, 0, new CausalTrace.Spec(
                List.of(SweepKind.RESID, SweepKind.ATTN, SweepKind.MLP), 1, Tokens.all(), Metric.PROB));
        double full = P_CLEAN - P_CORRUPT; // 0.761594
        // resid: the block's output is restored, so the head sees the clean CLS: IE = 0.880797 − 0.119203
        assertEquals(full, t.effect()[0][0], TOLERANCE);
        // attn: attn_out [+1, −1] is put back on both tokens; resid_mid(CLS) = [0, 0] + [1, −1] = clean
        assertEquals(full, t.effect()[1][0], TOLERANCE);
        // mlp: mlp_out is 0 in both runs, so restoring it changes nothing: IE = 0
        assertEquals(0.0, t.effect()[2][0], TOLERANCE);
        assertEquals(P_CLEAN, t.pPatched()[1][0], TOLERANCE);
    }

    @Test
    void theInformationSitsInThePatchTokenUntilAttentionMovesItToCls() {
        // Restoring resid_pre at the patch token (position 1) restores the image: IE = 0.761594.
        double patchToken = ie(List.of(Patch.restore(Site.residPre(0), Tokens.positions(1), CLEAN)));
        assertEquals(P_CLEAN - P_CORRUPT, patchToken, TOLERANCE);
        // resid_pre at CLS is [0, 0] in both runs: restoring it does nothing.
        assertEquals(0.0, ie(List.of(Patch.restore(Site.residPre(0), Tokens.cls(), CLEAN))), TOLERANCE);
        // After attention, it is the other way round: attn_out at the patch token is never read by the head…
        assertEquals(0.0, ie(List.of(Patch.restore(Site.attnOut(0), Tokens.positions(1), CLEAN))), TOLERANCE);
        // …and attn_out at CLS carries everything.
        assertEquals(P_CLEAN - P_CORRUPT, ie(List.of(Patch.restore(Site.attnOut(0), Tokens.cls(), CLEAN))),
                TOLERANCE);
    }

    @Test
    void theOtherMetricsFollowFromTheSameNumbers() {
        float[] clean = CausalTrace.row(CLEAN.logits(), 0);     // [ 1, −1]
        float[] corrupt = CausalTrace.row(CORRUPT.logits(), 0); // [−1,  1]
        // normalised IE of a full restoration: (p_clean − p_corrupt) / (p_clean − p_corrupt) = 1
        assertEquals(1.0, Metric.NORMALIZED.effect(clean, corrupt, clean, 0), TOLERANCE);
        // logit difference ld = logit(0) − logit(1): clean 2, corrupt −2, so restoring it all changes ld by 4
        assertEquals(4.0, Metric.LOGIT_DIFF.effect(clean, corrupt, clean, 0), 1e-4);
    }

    @Test
    void theLogProbabilityOfAFullRestorationIsTwo() {
        float[] clean = CausalTrace.row(CLEAN.logits(), 0);     // [ 1, −1]
        float[] corrupt = CausalTrace.row(CORRUPT.logits(), 0); // [−1,  1]
        // log p_clean − log p_corrupt = log((1 + e²) / (1 + e⁻²)) = log(e² (e⁻² + 1) / (1 + e⁻²)) = 2
        assertEquals(2.0, Metric.LOG_PROB.effect(clean, corrupt, clean, 0), 1e-4);
        assertEquals(Math.log(P_CORRUPT), Metric.logProbability(corrupt, 0), 1e-5);
    }

    private static double ie(List<Patch> patches) {
        INDArray logits = new Patcher(VIT).run(CORRUPT, patches, Keep.logitsOnly()).logits();
        return Metric.probability(CausalTrace.row(logits, 0), 0) - P_CORRUPT;
    }
}
