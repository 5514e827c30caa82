package io.github.vit4j.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.trace.Metric;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One edge score worked by hand on a 1-layer, 1-head ViT small enough for a pencil (vit-patching's
 * HandWorkedTraceTest's model with LayerNorm's eps = 0.75, so that no LayerNorm saturates and the numbers are
 * round): a 1×1 grey image x, width D = 2, tokens CLS and the one patch, MLP width 1 and zero, two classes.
 *
 * <p>LayerNorm of a 2-vector {@code [a, b]} is {@code [δ, −δ] / √(δ² + eps)} with {@code δ = (a − b)/2} (its
 * weight 1, bias 0), so {@code ∂LN₀/∂(a, b) = ½ eps / (δ² + eps)^{3/2} · [1, −1]} and {@code ∂LN₁} is its negative.
 * <pre>
 * embed     = x · [1, −1];  resid_pre = CLS [0, 0], patch [x, −x]     (cls_token 0, pos_embed 0)
 * ln1       = CLS [0, 0], patch [x, −x] / √(x² + 0.75) = [x, −x] at x = ±½   (√(¼ + ¾) = 1)
 * q = k = 0 → pattern ½, ½;  v = ln1;  z = ½ (v_CLS + v_patch) = [x/2, −x/2]
 * attn_out  = z (W_O = I);  resid_post = resid_mid = CLS [x/2, −x/2]      (MLP zero)
 * logits    = LN(CLS) = [x/2, −x/2] / √(x²/4 + ¾);  metric: logit of class 0
 * clean x = +½: logit₀ = ¼ / √0.8125 = +0.27735;  corrupted x = −½: −0.27735
 * </pre>
 * The edge {@code input → blocks.0.head.0} through its v input. a_input is resid_pre, so Δa_input = clean − corrupt
 * = CLS [0, 0], patch [1, −1].
 * <pre>
 * EAP, gradients at the corrupted run (x = −½):
 *   ∂m/∂resid_post[CLS] = ½ · 0.75 / 0.8125^{3/2} [1, −1] = 0.51203 [1, −1] =: g   (δ = −¼)
 *   ∂m/∂z[CLS] = g (W_O = I);  ∂m/∂v[patch] = pattern[CLS, patch] · g = ½ g;  ∂m/∂ln1[patch] = ½ g (W_V = I)
 *   ∂m/∂in_v[patch] = LN backward at δ = −½: (½g₀ − ½g₁) · ½ · 0.75 / 1 · [1, −1] = 0.19201 [1, −1]
 *   score = Δa · ∂m/∂in_v = [1, −1] · 0.19201 [1, −1] = 0.38403     (the CLS row's Δ is 0)
 * Exact: in_v[patch] := [−½, ½] + [1, −1] = [½, −½]: the head's value is the clean one, and so is everything
 *   after it (q and k are 0: nothing else reads the input), so the score is m(clean) − m(corrupt) = 0.55470:
 *   EAP, first order, underestimates it by a third (LayerNorm flattens).
 * </pre>
 * Tolerance 1e-5 (float32 on numbers of order 1).
 */
class HandWorkedEdgeTest {

    static final double TOLERANCE = 1e-5;
    static final VitConfig CONFIG = new VitConfig(1, 1, 1, 2, 1, 1, 1, 0.75, List.of("bright", "dark"));
    static final Vit VIT = new Vit(VitWeights.fromTensors(CONFIG, weights()));
    static final Edge EDGE = new Edge(Node.input(), Node.head(0, 0), EdgeInput.V);
    static final int[] CLASS_0 = {0};

    static INDArray m(long[] shape, float... values) {
        return Nd4j.create(values, shape, 'c');
    }

    static Activations run(float x, boolean corrupted) {
        return VIT.run(Input.normalized(m(new long[] {1, 1, 1, 1}, x)), corrupted
                ? EdgeAttribution.keepForCorrupted() : EdgeAttribution.keepForClean());
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
        w.put("blocks.0.attn.proj.weight", m(new long[] {2, 2}, 1, 0, 0, 1));
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
    void theLogitsAreTheOnesWorkedOutByHand() {
        double logit = 0.25 / Math.sqrt(0.8125);                                              // 0.27735
        assertEquals(logit, run(0.5f, false).logits().getDouble(0, 0), TOLERANCE);
        assertEquals(-logit, run(-0.5f, true).logits().getDouble(0, 0), TOLERANCE);
    }

    @Test
    void theEapScoreOfTheInputIntoTheHeadsValueIsTheOneDerivedByHand() {
        double g = 0.5 * 0.75 / Math.pow(0.8125, 1.5);                                         // 0.51203
        double gradient = 0.5 * 2 * g * 0.5 * 0.75;                                            // 0.19201
        EdgeScores s = new EdgeAttribution(VIT).score(run(0.5f, false), run(-0.5f, true), CLASS_0, Metric.LOGIT,
                EdgeMethod.eap());
        assertEquals(2 * gradient, s.score(EDGE), TOLERANCE);                                  // 0.38403
        assertEquals(0.38403, s.score(EDGE), 1e-4);
    }

    @Test
    void theExactScoreRestoresTheWholeEffect() {
        double effect = 2 * 0.25 / Math.sqrt(0.8125);                                          // 0.55470
        double[] exact = new ExactEdges(VIT).scores(run(0.5f, false), run(-0.5f, true), CLASS_0, Metric.LOGIT,
                List.of(EDGE));
        assertEquals(effect, exact[0], TOLERANCE);
        CircuitGraph graph = CircuitGraph.of(CONFIG);
        BitSet path = new BitSet();
        path.set(graph.indexOf(EDGE));
        path.set(graph.indexOf(new Edge(Node.head(0, 0), Node.logits(), EdgeInput.OUT)));
        assertEquals(1, new Circuits(VIT).faithfulness(run(0.5f, false), run(-0.5f, true), CLASS_0, Metric.LOGIT,
                List.of(path))[0], TOLERANCE, "the edge and the head's edge into the output carry the whole effect");
    }
}
