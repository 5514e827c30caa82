package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;
import static io.github.vit4j.convert.NameLayout.BLOCK;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.vit4j.convert.DerivedWeights.Recipe;
import io.github.vit4j.convert.DerivedWeights.RowScaled;
import io.github.vit4j.convert.DerivedWeights.Transposed;
import io.github.vit4j.convert.DerivedWeights.Zeros;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Architecture.Activation;
import io.github.vit4j.model.Architecture.Head;
import io.github.vit4j.model.Architecture.Pooling;
import io.github.vit4j.model.Architecture.Tokens;
import io.github.vit4j.model.VitConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenCLIP's {@code open_clip_config.json} and the names of its {@code open_clip_model.safetensors} (or
 * {@code open_clip_pytorch_model.bin}): the image tower of {@code model_cfg.vision_cfg} ({@code width},
 * {@code layers}, {@code patch_size}, {@code image_size}, {@code head_width} 64, {@code mlp_ratio} 4, LayerNorm eps
 * 1e-5), projected to {@code model_cfg.embed_dim}; quick GELU where {@code model_cfg.quick_gelu} says so (OpenAI's
 * weights), else exact GELU; mean and std from {@code preprocess_cfg} (OpenAI's when absent), and its resize:
 * the shortest edge to the image size, bicubic, then the centre crop (see {@link #resizing}). The tensors are
 * {@code visual.*}: {@code conv1} (no bias), {@code class_embedding}, {@code positional_embedding}, {@code ln_pre},
 * {@code transformer.resblocks.i.{ln_1, attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}} (and
 * {@code ls_1/ls_2.gamma}, folded), {@code ln_post} and {@code proj [D, P]}, transposed; the text tower is not read.
 */
final class OpenClipConfig {

    /** The config file beside OpenCLIP's weights. */
    static final String FILE = "open_clip_config.json";

    /** OpenAI's CLIP normalisation, OpenCLIP's default. */
    static final double[] OPENAI_MEAN = {0.48145466, 0.4578275, 0.40821073};
    static final double[] OPENAI_STD = {0.26862954, 0.26130258, 0.27577711};

    /** vision_cfg keys that do not change inference. */
    private static final Set<String> HARMLESS = Set.of("patch_dropout", "output_tokens", "pool_type",
            "final_ln_after_pool", "no_ln_pre", "attentional_pool", "attn_pooler_queries", "attn_pooler_heads",
            "timm_model_name", "image_size", "layers", "width", "head_width", "mlp_ratio", "patch_size",
            "ls_init_value", "input_patchnorm", "global_average_pool", "embed_cls");

    private OpenClipConfig() {
    }

    /** Reads {@code open_clip_config.json}: the image tower's sizes, architecture, names and normalisation. */
    static ConfigFiles.Read read(Path file) throws IOException {
        JsonNode root = ConfigFiles.readObject(file);
        JsonFields model = TimmConfig.section(file, root, "model_cfg");
        JsonFields v = TimmConfig.section(file, model.node(), "vision_cfg");
        v = new JsonFields(file, v.node(), "model_cfg.vision_cfg.");
        for (Iterator<String> it = v.node().fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!HARMLESS.contains(key)) {
                throw v.unsupported(key, v.node().get(key).toString(), "vit4j does not know whether it changes the"
                        + " image tower");
            }
        }
        if (v.node().hasNonNull("timm_model_name")) {
            throw v.unsupported("timm_model_name", v.node().get("timm_model_name").toString(), "vit4j reads"
                    + " OpenCLIP's own VisionTransformer; load a timm trunk from timm's files");
        }
        for (String key : List.of("attentional_pool", "input_patchnorm", "global_average_pool",
                "final_ln_after_pool")) {
            if (v.bool(key, false)) {
                throw v.unsupported(key, "true", "vit4j runs OpenCLIP's CLS-token tower with ln_post before the"
                        + " projection");
            }
        }
        String pool = v.string("pool_type", "tok");
        if (!pool.equals("tok")) {
            throw v.unsupported("pool_type", "\"" + pool + "\"", "vit4j pools OpenCLIP's tower with its CLS token"
                    + " (\"tok\")");
        }
        PartialConfig c = new PartialConfig();
        c.sources.add(file.getFileName().toString());
        c.hiddenSize = orElse(v.integer("width"), 768);
        c.layers = orElse(v.integer("layers"), 12);
        c.patchSize = orElse(v.squareSize("patch_size"), 16);
        c.imageSize = orElse(v.squareSize("image_size"), 224);
        c.channels = 3;
        int headWidth = orElse(v.integer("head_width"), 64);
        if (headWidth <= 0 || c.hiddenSize % headWidth != 0) {
            throw v.unsupported("head_width", Integer.toString(headWidth), "it must divide the width "
                    + c.hiddenSize);
        }
        c.heads = c.hiddenSize / headWidth;
        Double ratio = v.decimal("mlp_ratio");
        c.mlpSize = (int) (c.hiddenSize * (ratio == null ? 4.0 : ratio));
        c.layerNormEps = 1e-5;
        int projection = orElse(model.integer("embed_dim", 1, VitConfig.MAX_HIDDEN_SIZE, "the projection's width"),
                512);
        Activation act = model.bool("quick_gelu", false) ? Activation.QUICK_GELU : Activation.GELU;
        boolean lnPre = !v.bool("no_ln_pre", false);
        c.architecture = new Architecture(Tokens.CLS, 0, lnPre, act, true, Pooling.CLS, projection, Head.NONE, false,
                0, false);
        c.layout = layout(lnPre);
        JsonFields p = TimmConfig.section(file, root, "preprocess_cfg");
        PartialPreprocessing prep = new PartialPreprocessing();
        prep.mean = orElse(p.decimals("mean"), OPENAI_MEAN);
        prep.std = orElse(p.decimals("std"), OPENAI_STD);
        try {
            prep.resizing = resizing(p, c.imageSize);
        } catch (IllegalArgumentException e) {
            throw v.unsupported("image_size", c.imageSize.toString(), e.getMessage());
        }
        prep.sources.add(file.getFileName() + " (preprocess_cfg)");
        return new ConfigFiles.Read(ConfigFiles.Kind.OPEN_CLIP, c, prep);
    }

    /**
     * OpenCLIP's eval transform: {@code resize_mode} "shortest" (its default: the shortest edge to the image size,
     * then the centre crop) or "squash" (the whole image to the square), with the {@code interpolation} filter
     * ("bicubic", its default, or "bilinear"); "longest" (resize and pad) is refused naming the key.
     */
    private static Resizing resizing(JsonFields p, int imageSize) throws ModelFormatException {
        String interpolation = p.string("interpolation", "bicubic");
        Resample filter = switch (interpolation) {
            case "bicubic" -> Resample.BICUBIC;
            case "bilinear" -> Resample.BILINEAR;
            default -> throw p.unsupported("interpolation", "\"" + interpolation + "\"", "vit4j resizes OpenCLIP's"
                    + " images with \"bicubic\" or \"bilinear\"");
        };
        String mode = p.string("resize_mode", "shortest");
        return switch (mode) {
            case "shortest" -> Resizing.shortestEdge(imageSize, filter);
            case "squash" -> Resizing.square(imageSize, filter);
            default -> throw p.unsupported("resize_mode", "\"" + mode + "\"", "vit4j resizes OpenCLIP's images with"
                    + " \"shortest\" (then a centre crop) or \"squash\"");
        };
    }

    /** OpenCLIP's {@code visual.*} names. */
    static NameLayout layout(boolean lnPre) {
        String v = "visual.";
        Map<String, List<String>> r = new LinkedHashMap<>();
        Map<String, Recipe> derived = new LinkedHashMap<>();
        r.put("patch_embed.proj.weight", List.of(v + "conv1.weight"));
        derived.put("patch_embed.proj.bias", new Zeros(v + "conv1.weight"));
        r.put("cls_token", List.of(v + "class_embedding"));
        r.put("pos_embed", List.of(v + "positional_embedding"));
        if (lnPre) {
            HuggingFaceLayouts.both(r, "norm_pre", v + "ln_pre");
        }
        String l = v + "transformer.resblocks." + BLOCK + ".";
        String b = "blocks." + BLOCK + ".";
        HuggingFaceLayouts.both(r, b + "norm1", l + "ln_1");
        r.put(b + "attn.qkv.weight", List.of(l + "attn.in_proj_weight"));
        r.put(b + "attn.qkv.bias", List.of(l + "attn.in_proj_bias"));
        HuggingFaceLayouts.both(r, b + "norm2", l + "ln_2");
        HuggingFaceLayouts.both(r, b + "mlp.fc1", l + "mlp.c_fc");
        for (String wb : List.of("weight", "bias")) {            // layer scale, where there is one, in place
            derived.put(l + "attn.out_proj." + wb, new RowScaled(l + "attn.out_proj." + wb, l + "ls_1.gamma"));
            derived.put(l + "mlp.c_proj." + wb, new RowScaled(l + "mlp.c_proj." + wb, l + "ls_2.gamma"));
        }
        HuggingFaceLayouts.both(r, b + "attn.proj", l + "attn.out_proj");
        HuggingFaceLayouts.both(r, b + "mlp.fc2", l + "mlp.c_proj");
        HuggingFaceLayouts.both(r, "norm", v + "ln_post");
        derived.put("proj.weight", new Transposed(v + "proj"));
        List<String> ignore = List.of("token_embedding.*", "positional_embedding", "transformer.*", "ln_final.*",
                "text_projection", "logit_scale", "logit_bias", "attn_mask", "text.*");
        return new NameLayout("OpenCLIP", r, ignore, derived);
    }
}
