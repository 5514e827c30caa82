package io.github.vit4j.convert;

import static io.github.vit4j.convert.NameLayout.BLOCK;

import io.github.vit4j.convert.DerivedWeights.Recipe;
import io.github.vit4j.convert.DerivedWeights.RowScaled;
import io.github.vit4j.convert.DerivedWeights.Rows;
import io.github.vit4j.convert.DerivedWeights.Zeros;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor names of Hugging Face's image towers, each family's own: CLIP and SigLIP ({@code vision_model.*},
 * {@code encoder.layers.i.self_attn.{q,k,v,out}_proj}, {@code layer_norm1}), DINOv2 and DeiT
 * ({@code embeddings.*}, {@code encoder.layer.i.attention.attention.{query,key,value}}). What a name alone cannot say
 * is derived ({@link DerivedWeights}): CLIP's patch convolution has no bias (zero), DINOv2's layer scale is folded
 * into {@code attn.proj} and {@code mlp.fc2}, SigLIP's probe attention fuses q|k|v in {@code in_proj_weight}.
 */
final class HuggingFaceLayouts {

    private HuggingFaceLayouts() {
    }

    /**
     * CLIP's image tower ({@code CLIPVisionModel}, {@code CLIPVisionModelWithProjection}, or the vision half of a
     * {@code CLIPModel}, whose text tower, text projection and logit scale are left for the text model).
     *
     * @param projection whether {@code visual_projection.weight} is read
     * @param wholeModel whether the file is a whole {@code CLIPModel} (its text half is then not used here)
     */
    static NameLayout clipVision(boolean projection, boolean wholeModel) {
        String v = "vision_model.";
        Map<String, List<String>> r = new LinkedHashMap<>();
        Map<String, Recipe> derived = new LinkedHashMap<>();
        r.put("patch_embed.proj.weight", List.of(v + "embeddings.patch_embedding.weight"));
        derived.put("patch_embed.proj.bias", new Zeros(v + "embeddings.patch_embedding.weight"));
        r.put("cls_token", List.of(v + "embeddings.class_embedding"));
        r.put("pos_embed", List.of(v + "embeddings.position_embedding.weight"));
        both(r, "norm_pre", v + "pre_layrnorm");
        encoderLayers(r, v + "encoder.layers." + BLOCK + ".");
        both(r, "norm", v + "post_layernorm");
        if (projection) {
            r.put("proj.weight", List.of("visual_projection.weight"));
        }
        List<String> ignore = new ArrayList<>(List.of("*.position_ids"));
        if (wholeModel) {
            ignore.addAll(List.of("text_model.*", "text_projection.weight", "logit_scale"));
        }
        return new NameLayout("Hugging Face CLIP" + (wholeModel ? "Model" : projection
                ? "VisionModelWithProjection" : "VisionModel"), r, ignore, derived);
    }

    /**
     * SigLIP's image tower ({@code SiglipVisionModel}, or the vision half of a {@code SiglipModel}): no CLS token,
     * its attention-pooling head ({@code head.probe}, {@code head.attention.in_proj_*} split into q and k|v,
     * {@code out_proj}, {@code layernorm}, {@code mlp}).
     */
    static NameLayout siglipVision(boolean wholeModel) {
        String v = "vision_model.";
        Map<String, List<String>> r = new LinkedHashMap<>();
        Map<String, Recipe> derived = new LinkedHashMap<>();
        both(r, "patch_embed.proj", v + "embeddings.patch_embedding");
        r.put("pos_embed", List.of(v + "embeddings.position_embedding.weight"));
        encoderLayers(r, v + "encoder.layers." + BLOCK + ".");
        both(r, "norm", v + "post_layernorm");
        String h = v + "head.";
        r.put("attn_pool.latent", List.of(h + "probe"));
        for (String wb : List.of("weight", "bias")) {
            derived.put("attn_pool.q." + wb, new Rows(h + "attention.in_proj_" + wb, 0, 1, 3));
            derived.put("attn_pool.kv." + wb, new Rows(h + "attention.in_proj_" + wb, 1, 3, 3));
        }
        both(r, "attn_pool.proj", h + "attention.out_proj");
        both(r, "attn_pool.norm", h + "layernorm");
        both(r, "attn_pool.mlp.fc1", h + "mlp.fc1");
        both(r, "attn_pool.mlp.fc2", h + "mlp.fc2");
        List<String> ignore = new ArrayList<>(List.of("*.position_ids"));
        if (wholeModel) {
            ignore.addAll(List.of("text_model.*", "logit_scale", "logit_bias"));
        }
        return new NameLayout("Hugging Face Siglip" + (wholeModel ? "Model" : "VisionModel"), r, ignore, derived);
    }

    /**
     * DINOv2 ({@code Dinov2Model} with no prefix, the classifier with {@code dinov2.}; with registers
     * {@code dinov2_with_registers.} and {@code embeddings.register_tokens}): layer scale folded, the mask token
     * (used only in pre-training) not read.
     *
     * @param prefix     {@code ""}, {@code "dinov2."} or {@code "dinov2_with_registers."}
     * @param registers  whether {@code embeddings.register_tokens} is read
     * @param classifier whether {@code classifier.*} is read
     */
    static NameLayout dinov2(String prefix, boolean registers, boolean classifier) {
        String e = prefix + "embeddings.";
        String l = prefix + "encoder.layer." + BLOCK + ".";
        Map<String, List<String>> r = new LinkedHashMap<>();
        Map<String, Recipe> derived = new LinkedHashMap<>();
        embeddings(r, e);
        if (registers) {
            r.put("reg_token", List.of(e + "register_tokens"));
        }
        String b = "blocks." + BLOCK + ".";
        both(r, b + "norm1", l + "norm1");
        qkv(r, b, l + "attention.attention.");
        both(r, b + "norm2", l + "norm2");
        both(r, b + "mlp.fc1", l + "mlp.fc1");
        for (String wb : List.of("weight", "bias")) {
            derived.put(b + "attn.proj." + wb, new RowScaled(l + "attention.output.dense." + wb,
                    l + "layer_scale1.lambda1"));
            derived.put(b + "mlp.fc2." + wb, new RowScaled(l + "mlp.fc2." + wb, l + "layer_scale2.lambda1"));
        }
        both(r, "norm", prefix + "layernorm");
        if (classifier) {
            both(r, "head", "classifier");
        }
        return new NameLayout("Hugging Face " + (registers ? "Dinov2WithRegisters" : "Dinov2")
                + (classifier ? "ForImageClassification" : "Model"), r, List.of(e + "mask_token"), derived);
    }

    /**
     * DeiT ({@code deit.} prefix): {@code DeiTForImageClassificationWithTeacher} with its distillation token and two
     * heads ({@code cls_classifier}, {@code distillation_classifier}), or {@code DeiTForImageClassification}
     * ({@code classifier}), whose blocks are named as ViT's.
     */
    static NameLayout deit(boolean distilled) {
        String e = "deit.embeddings.";
        Map<String, List<String>> r = new LinkedHashMap<>();
        embeddings(r, e);
        if (distilled) {
            r.put("dist_token", List.of(e + "distillation_token"));
        }
        String l = "deit.encoder.layer." + BLOCK + ".";
        String b = "blocks." + BLOCK + ".";
        both(r, b + "norm1", l + "layernorm_before");
        qkv(r, b, l + "attention.attention.");
        both(r, b + "attn.proj", l + "attention.output.dense");
        both(r, b + "norm2", l + "layernorm_after");
        both(r, b + "mlp.fc1", l + "intermediate.dense");
        both(r, b + "mlp.fc2", l + "output.dense");
        both(r, "norm", "deit.layernorm");
        both(r, "head", distilled ? "cls_classifier" : "classifier");
        if (distilled) {
            both(r, "head_dist", "distillation_classifier");
        }
        return new NameLayout("Hugging Face DeiTForImageClassification" + (distilled ? "WithTeacher" : ""), r,
                List.of());
    }

    /**
     * CLIP's and SigLIP's encoder layer: layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1/fc2 (the
     * image towers' and CLIP's text tower's, {@link ClipTextLoader}).
     */
    static void encoderLayers(Map<String, List<String>> r, String l) {
        String b = "blocks." + BLOCK + ".";
        both(r, b + "norm1", l + "layer_norm1");
        for (String wb : List.of("weight", "bias")) {
            r.put(b + "attn.qkv." + wb, List.of(l + "self_attn.q_proj." + wb, l + "self_attn.k_proj." + wb,
                    l + "self_attn.v_proj." + wb));
        }
        both(r, b + "attn.proj", l + "self_attn.out_proj");
        both(r, b + "norm2", l + "layer_norm2");
        both(r, b + "mlp.fc1", l + "mlp.fc1");
        both(r, b + "mlp.fc2", l + "mlp.fc2");
    }

    /** ViT's {@code attention.attention.{query,key,value}} under {@code attention}, fused into q|k|v rows. */
    private static void qkv(Map<String, List<String>> r, String block, String attention) {
        for (String wb : List.of("weight", "bias")) {
            r.put(block + "attn.qkv." + wb, List.of(attention + "query." + wb, attention + "key." + wb,
                    attention + "value." + wb));
        }
    }

    /** ViT's {@code embeddings.}: the patch projection, {@code cls_token} and {@code position_embeddings}. */
    private static void embeddings(Map<String, List<String>> r, String e) {
        both(r, "patch_embed.proj", e + "patch_embeddings.projection");
        r.put("cls_token", List.of(e + "cls_token"));
        r.put("pos_embed", List.of(e + "position_embeddings"));
    }

    /** {@code canonical.weight ← source.weight} and {@code canonical.bias ← source.bias}. */
    static void both(Map<String, List<String>> r, String canonical, String source) {
        for (String wb : List.of("weight", "bias")) {
            r.put(canonical + "." + wb, List.of(source + "." + wb));
        }
    }
}
