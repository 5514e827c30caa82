package io.github.vit4j.convert;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Weights in vit4j's names written out under the names and shapes Hugging Face's modeling code saves for each family
 * (spelled out here, independently of the loader's layouts): what a user's {@code model.safetensors} holds.
 */
final class HuggingFaceStateDicts {

    private HuggingFaceStateDicts() {
    }

    /** {@code CLIPModel}'s vision half ({@code vision_model.*}, {@code visual_projection.weight}); no patch bias. */
    static Map<String, INDArray> clipVision(VitWeights w) {
        Map<String, INDArray> t = w.tensors();
        Map<String, INDArray> out = new LinkedHashMap<>();
        String v = "vision_model.";
        out.put(v + "embeddings.class_embedding", t.get("cls_token"));
        out.put(v + "embeddings.patch_embedding.weight", conv(w.config(), t.get("patch_embed.proj.weight")));
        out.put(v + "embeddings.position_embedding.weight", t.get("pos_embed"));
        pair(out, v + "pre_layrnorm", t, "norm_pre");
        blocks(out, w, t, v + "encoder.layers.", List.of("layer_norm1", "self_attn.q_proj", "self_attn.k_proj",
                "self_attn.v_proj", "self_attn.out_proj", "layer_norm2", "mlp.fc1", "mlp.fc2"));
        pair(out, v + "post_layernorm", t, "norm");
        out.put("visual_projection.weight", t.get("proj.weight"));
        return out;
    }

    /** {@code SiglipModel}'s vision half: no CLS, the head's probe and fused {@code in_proj_*}. */
    static Map<String, INDArray> siglipVision(VitWeights w) {
        Map<String, INDArray> t = w.tensors();
        Map<String, INDArray> out = new LinkedHashMap<>();
        String v = "vision_model.";
        out.put(v + "embeddings.patch_embedding.weight", conv(w.config(), t.get("patch_embed.proj.weight")));
        out.put(v + "embeddings.patch_embedding.bias", t.get("patch_embed.proj.bias"));
        out.put(v + "embeddings.position_embedding.weight", t.get("pos_embed"));
        blocks(out, w, t, v + "encoder.layers.", List.of("layer_norm1", "self_attn.q_proj", "self_attn.k_proj",
                "self_attn.v_proj", "self_attn.out_proj", "layer_norm2", "mlp.fc1", "mlp.fc2"));
        pair(out, v + "post_layernorm", t, "norm");
        String h = v + "head.";
        out.put(h + "probe", t.get("attn_pool.latent").reshape(1, 1, -1));
        out.put(h + "attention.in_proj_weight", Nd4j.concat(0,
                t.get("attn_pool.q.weight"), t.get("attn_pool.kv.weight")));
        out.put(h + "attention.in_proj_bias", Nd4j.concat(0,
                t.get("attn_pool.q.bias"), t.get("attn_pool.kv.bias")));
        pair(out, h + "attention.out_proj", t, "attn_pool.proj");
        pair(out, h + "layernorm", t, "attn_pool.norm");
        pair(out, h + "mlp.fc1", t, "attn_pool.mlp.fc1");
        pair(out, h + "mlp.fc2", t, "attn_pool.mlp.fc2");
        return out;
    }

    /**
     * {@code Dinov2Model} (no prefix; with registers {@code embeddings.register_tokens}): {@code attention.output.dense}
     * and {@code mlp.fc2} are written as given and {@code layer_scale1/2.lambda1} = {@code gamma}, so the loader's
     * weights are diag(γ)·W.
     */
    static Map<String, INDArray> dinov2(VitWeights w, INDArray gamma) {
        Map<String, INDArray> t = w.tensors();
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put("embeddings.cls_token", t.get("cls_token").reshape(1, 1, -1));
        out.put("embeddings.mask_token", t.get("cls_token").reshape(1, -1).mul(0.5));
        if (t.containsKey("reg_token")) {
            out.put("embeddings.register_tokens", t.get("reg_token").reshape(1, t.get("reg_token").size(0), -1));
        }
        out.put("embeddings.position_embeddings", t.get("pos_embed").reshape(1, t.get("pos_embed").size(0), -1));
        out.put("embeddings.patch_embeddings.projection.weight", conv(w.config(), t.get("patch_embed.proj.weight")));
        out.put("embeddings.patch_embeddings.projection.bias", t.get("patch_embed.proj.bias"));
        blocks(out, w, t, "encoder.layer.", List.of("norm1", "attention.attention.query", "attention.attention.key",
                "attention.attention.value", "attention.output.dense", "norm2", "mlp.fc1", "mlp.fc2"));
        for (int i = 0; i < w.config().layers(); i++) {
            out.put("encoder.layer." + i + ".layer_scale1.lambda1", gamma);
            out.put("encoder.layer." + i + ".layer_scale2.lambda1", gamma);
        }
        pair(out, "layernorm", t, "norm");
        return out;
    }

    /** {@code DeiTForImageClassificationWithTeacher}: {@code deit.} prefix, ViT's block names, two classifiers. */
    static Map<String, INDArray> deitDistilled(VitWeights w) {
        Map<String, INDArray> t = w.tensors();
        Map<String, INDArray> out = new LinkedHashMap<>();
        String e = "deit.embeddings.";
        out.put(e + "cls_token", t.get("cls_token").reshape(1, 1, -1));
        out.put(e + "distillation_token", t.get("dist_token").reshape(1, 1, -1));
        out.put(e + "position_embeddings", t.get("pos_embed").reshape(1, t.get("pos_embed").size(0), -1));
        out.put(e + "patch_embeddings.projection.weight", conv(w.config(), t.get("patch_embed.proj.weight")));
        out.put(e + "patch_embeddings.projection.bias", t.get("patch_embed.proj.bias"));
        blocks(out, w, t, "deit.encoder.layer.", List.of("layernorm_before", "attention.attention.query",
                "attention.attention.key", "attention.attention.value", "attention.output.dense", "layernorm_after",
                "intermediate.dense", "output.dense"));
        pair(out, "deit.layernorm", t, "norm");
        pair(out, "cls_classifier", t, "head");
        pair(out, "distillation_classifier", t, "head_dist");
        return out;
    }

    /**
     * Each block under {@code prefix + i + "."}: names for norm1, q, k, v, proj, norm2, fc1, fc2 in that order;
     * q, k and v are the rows of the fused qkv.
     */
    private static void blocks(Map<String, INDArray> out, VitWeights w, Map<String, INDArray> t, String prefix,
                               List<String> names) {
        long d = w.config().hiddenSize();
        for (int i = 0; i < w.config().layers(); i++) {
            String b = "blocks." + i + ".";
            String l = prefix + i + ".";
            pair(out, l + names.get(0), t, b + "norm1");
            for (int part = 0; part < 3; part++) {
                out.put(l + names.get(1 + part) + ".weight", t.get(b + "attn.qkv.weight")
                        .get(NDArrayIndex.interval(part * d, (part + 1) * d), NDArrayIndex.all()).dup('c'));
                out.put(l + names.get(1 + part) + ".bias", t.get(b + "attn.qkv.bias")
                        .get(NDArrayIndex.interval(part * d, (part + 1) * d)).dup('c'));
            }
            pair(out, l + names.get(4), t, b + "attn.proj");
            pair(out, l + names.get(5), t, b + "norm2");
            pair(out, l + names.get(6), t, b + "mlp.fc1");
            pair(out, l + names.get(7), t, b + "mlp.fc2");
        }
    }

    private static void pair(Map<String, INDArray> out, String name, Map<String, INDArray> t, String canonical) {
        out.put(name + ".weight", t.get(canonical + ".weight"));
        out.put(name + ".bias", t.get(canonical + ".bias"));
    }

    /** The patch embedding as PyTorch's conv weight {@code [D, C, p, p]}. */
    static INDArray conv(VitConfig c, INDArray weight) {
        return weight.reshape('c', c.hiddenSize(), c.channels(), c.patchSize(), c.patchSize());
    }
}
