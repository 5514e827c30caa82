package io.github.vit4j.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Direct logit attribution worked by hand on a model a student can follow with a pencil: width 4, one block with one
 * head, two tokens (CLS and one patch), two classes. Every weight is zero except:
 *
 * <pre>
 * cls_token          [1, 0, 0, 0]        patch_embed bias [0, 0, 0, 1]   (so the patch token's input is that)
 * qkv bias, v part   [0, 0, −1, 0]       (q = k = 0: pattern ½, ½; v = the bias at both tokens: z = [0, 0, −1, 0])
 * attn proj          W_O = identity,     b_O = [0, 1, 0, 0]
 * mlp fc2 bias       [0, 0, 0, −1]       (fc1 = 0, GELU(0) = 0: mlp_out = the bias at every token)
 * final LayerNorm    γ = 1, β = 0;       head row of class 0: w = [1, 2, 3, 4], its bias 0.5
 * </pre>
 *
 * At CLS the stream is input + head + b_O + mlp = [1, 0, 0, 0] + [0, 0, −1, 0] + [0, 1, 0, 0] + [0, 0, 0, −1]
 * = [1, 1, −1, −1]: mean 0, variance 1, σ = √(1 + 10⁻⁶). The logit is w · [1, 1, −1, −1] / σ + 0.5 = −4/σ + 0.5.
 * LayerNorm centres every part, and centring x before the dot product with w is the dot product with the centred
 * w' = w − 2.5 = [−1.5, −0.5, 0.5, 1.5]: the input gives −1.5/σ, the head −0.5/σ, b_O −0.5/σ, the MLP −1.5/σ, the
 * bias 0.5; together the logit. The head attends ½ to each token, where v is the same: −0.25/σ from each.
 *
 * <p>At the patch token the stream is [0, 0, 0, 1] + [0, 0, −1, 0] + [0, 1, 0, 0] + [0, 0, 0, −1] = [0, 1, −1, 0]:
 * mean 0, variance ½, σ₁ = √(½ + 10⁻⁶). Read as if it were every row (the lens): input [0, 0, 0, 1] · w' = 1.5/σ₁,
 * head −0.5/σ₁, b_O −0.5/σ₁, MLP −1.5/σ₁ (sum −1/σ₁ = w · [0, 1, −1, 0] / σ₁, as it must).
 */
class HandWorkedAttributionTest {

    private static final double EPS = 1e-6;
    private static final double SIGMA = Math.sqrt(1 + EPS);
    private static final double SIGMA_PATCH = Math.sqrt(0.5 + EPS);

    static Vit model() {
        VitConfig c = new VitConfig(4, 4, 1, 4, 1, 1, 4, EPS, List.of("zero", "one"));
        Map<String, INDArray> t = new LinkedHashMap<>(VitWeights.random(c, 1).tensors());
        t.replaceAll((name, a) -> name.endsWith("norm1.weight") || name.endsWith("norm2.weight")
                || name.equals("norm.weight") ? Nd4j.onesLike(a) : Nd4j.zerosLike(a));
        t.put("cls_token", Nd4j.createFromArray(1f, 0f, 0f, 0f));
        t.put("patch_embed.proj.bias", Nd4j.createFromArray(0f, 0f, 0f, 1f));
        t.put("blocks.0.attn.qkv.bias", Nd4j.createFromArray(0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, -1f, 0f));
        t.put("blocks.0.attn.proj.weight", Nd4j.eye(4).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
        t.put("blocks.0.attn.proj.bias", Nd4j.createFromArray(0f, 1f, 0f, 0f));
        t.put("blocks.0.mlp.fc2.bias", Nd4j.createFromArray(0f, 0f, 0f, -1f));
        t.put("head.weight", Nd4j.createFromArray(new float[][] {{1, 2, 3, 4}, {4, 3, 2, 1}}));
        t.put("head.bias", Nd4j.createFromArray(0.5f, 0f));
        return new Vit(VitWeights.fromTensors(c, t));
    }

    private static LogitAttribution attribution() {
        Vit vit = model();
        INDArray pixels = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, 1, 4, 4);  // any: W_patch = 0
        return DirectLogitAttribution.of(vit.weights()).attribute(vit, Input.normalized(pixels), 0);
    }

    @Test
    void everyPartsShareOfTheClsLogitIsItsCentredStreamDottedWithTheHeadRowOverSigma() {
        LogitAttribution a = attribution();
        assertEquals(List.of("input", "blocks.0.head.0", "blocks.0.attn_bias", "blocks.0.mlp"),
                a.components().stream().map(Component::toString).toList());
        double[] direct = a.direct().reshape(4).toDoubleVector();
        assertEquals(-1.5 / SIGMA, direct[0], 1e-6);
        assertEquals(-0.5 / SIGMA, direct[1], 1e-6);
        assertEquals(-0.5 / SIGMA, direct[2], 1e-6);
        assertEquals(-1.5 / SIGMA, direct[3], 1e-6);
        assertEquals(0.5, a.bias().getDouble(0, 0), 1e-7);
        assertEquals(-4 / SIGMA + 0.5, a.logits().getDouble(0, 0), 1e-6);
    }

    @Test
    void theHeadsShareComesHalfFromEachTokenItAttendsTo() {
        INDArray sources = attribution().sources();                                 // [1, 1, 1, 1, 2]
        assertEquals(-0.25 / SIGMA, sources.getDouble(0, 0, 0, 0, 0), 1e-6);
        assertEquals(-0.25 / SIGMA, sources.getDouble(0, 0, 0, 0, 1), 1e-6);
    }

    @Test
    void thePatchTokensLensReadsItsOwnStreamWithItsOwnSigma() {
        INDArray lens = attribution().lens();                                       // [1, 1, 4, 2]
        assertEquals(1.5 / SIGMA_PATCH, lens.getDouble(0, 0, 0, 1), 1e-6);
        assertEquals(-0.5 / SIGMA_PATCH, lens.getDouble(0, 0, 1, 1), 1e-6);
        assertEquals(-0.5 / SIGMA_PATCH, lens.getDouble(0, 0, 2, 1), 1e-6);
        assertEquals(-1.5 / SIGMA_PATCH, lens.getDouble(0, 0, 3, 1), 1e-6);
        assertEquals(-1 / SIGMA_PATCH + 0.5, attribution().lensMap().getDouble(0, 0, 0, 0), 1e-6);
        assertEquals(0, attribution().tokens().getDouble(0, 0, 0, 1), 0, "a CLS head reads nothing at the patch");
    }
}
