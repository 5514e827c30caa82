package io.github.vit4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.TextConfig;
import io.github.vit4j.model.TextWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * OpenCLIP's text tower ({@link ClipTextLoader} for {@code open_clip_config.json} + {@code open_clip_model.safetensors}
 * or {@code open_clip_pytorch_model.bin}): sizes from {@code model_cfg.text_cfg} ({@code vocab_size} 49408,
 * {@code context_length} 77, {@code width} 512, {@code heads} 8, {@code layers} 12, {@code mlp_ratio} 4, LayerNorm
 * eps 1e-5), quick GELU where {@code model_cfg.quick_gelu} says so (OpenAI's weights) else exact GELU, projected to
 * {@code model_cfg.embed_dim}; pooling at the end-of-text token, the vocabulary's last (49407 in CLIP's: OpenCLIP's
 * {@code argmax} pool finds it as the row's largest id, its {@code eos} pool as the first). The tensors are {@code token_embedding.weight},
 * {@code positional_embedding}, {@code transformer.resblocks.i.{ln_1, attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc,
 * mlp.c_proj}}, {@code ln_final} and {@code text_projection [D, P]} (transposed here), at the top ({@code CLIP}) or
 * under {@code text.} ({@code CustomTextCLIP}). Text towers of Hugging Face models ({@code hf_model_name}), without
 * causal mask, with layer scale or a projection bias are refused naming the key.
 */
final class OpenClipText {

    /** The config file beside OpenCLIP's weights. */
    static final String CONFIG = "open_clip_config.json";

    /** OpenCLIP's weights files on the Hub, in order of preference. */
    static final List<String> WEIGHTS_FILES = List.of("open_clip_model.safetensors", "open_clip_pytorch_model.bin");

    /** text_cfg keys that do not change the tower vit4j runs (or whose default is all it runs, checked below). */
    private static final Set<String> KNOWN = Set.of("context_length", "vocab_size", "width", "heads", "layers",
            "mlp_ratio", "pool_type", "hf_model_name", "hf_tokenizer_name", "hf_model_pretrained", "hf_proj_type",
            "hf_pooler_type", "ls_init_value", "proj_bias", "proj_type", "no_causal_mask", "embed_cls", "pad_id",
            "output_tokens", "final_ln_after_pool", "tokenizer_kwargs", "norm_kwargs", "act_kwargs",
            "attn_pooler_heads", "attentional_pool");

    private OpenClipText() {
    }

    /** The text tower of an OpenCLIP checkpoint whose text tensors are under {@code prefix} ("" or "text."). */
    static TextWeights read(WeightsFile file, Path configJson, String prefix) throws IOException {
        TextConfig config = config(configJson, file);
        Map<String, List<String>> sources = sources(config, prefix);
        String projection = prefix + "text_projection";
        Map<String, List<String>> all = new LinkedHashMap<>(sources);
        all.put("proj.weight", List.of(projection));
        Set<String> text = Set.of("token_embedding", "positional_embedding", "transformer", "ln_final");
        ClipTextLoader.refuseUnused(file, all, n -> !n.equals(prefix + "attn_mask") && (prefix.isEmpty()
                ? text.contains(n.split("\\.")[0]) : n.startsWith(prefix)), "model_cfg.text_cfg.layers");
        Map<String, long[]> expected = new LinkedHashMap<>(TextWeights.expectedShapes(config));
        long[] proj = expected.remove("proj.weight");
        Map<String, INDArray> tensors = new LinkedHashMap<>(ClipTextLoader.tensors(file, sources, expected,
                ClipTextLoader.describe(config)));
        INDArray p = file.load(projection);                                                     // [D, P]
        if (p.rank() != 2 || p.size(0) != proj[1] || p.size(1) != proj[0]) {
            throw new ModelFormatException(file.file() + ": expected " + projection + " [" + proj[1] + ", "
                    + proj[0] + "] (width × model_cfg.embed_dim) but the file has "
                    + Arrays.toString(p.shape()));
        }
        tensors.put("proj.weight", p.transpose().dup('c'));                                     // [P, D]
        return ClipTextLoader.weights(file, config, tensors);
    }

    /** The text config of {@code open_clip_config.json}'s {@code model_cfg}. */
    static TextConfig config(Path configJson, WeightsFile file) throws IOException {
        if (!Files.isRegularFile(configJson)) {
            throw new ModelFormatException("no " + CONFIG + " beside " + file.file() + ", which holds OpenCLIP's"
                    + " names; the text tower's head count is not in the tensors, so put the model's " + CONFIG
                    + " there");
        }
        JsonNode root = ConfigFiles.readObject(configJson);
        JsonNode modelNode = root.get("model_cfg");
        if (modelNode == null || !modelNode.isObject()) {
            throw new ModelFormatException(configJson + " has no model_cfg object; is it OpenCLIP's config?");
        }
        JsonFields model = new JsonFields(configJson, modelNode, "model_cfg.");
        JsonNode textNode = modelNode.get("text_cfg");
        JsonFields t = new JsonFields(configJson, textNode != null && textNode.isObject() ? textNode
                : JsonNodeFactory.instance.objectNode(), "model_cfg.text_cfg.");
        for (Iterator<String> it = t.node().fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KNOWN.contains(key)) {
                throw t.unsupported(key, t.node().get(key).toString(), "vit4j does not know whether it changes the"
                        + " text tower");
            }
        }
        refuseSet(t, "hf_model_name", "a Hugging Face text model as the tower; vit4j runs OpenCLIP's own");
        refuseSet(t, "ls_init_value", "layer scale in the text tower");
        refuseSet(t, "act_kwargs", "activation arguments");
        for (String key : List.of("no_causal_mask", "embed_cls", "proj_bias", "attentional_pool")) {
            if (t.bool(key, false)) {
                throw t.unsupported(key, "true", "vit4j runs OpenCLIP's causal text tower pooled at end-of-text"
                        + " with a bias-free projection");
            }
        }
        String pool = t.string("pool_type", "argmax");
        if (!pool.equals("argmax") && !pool.equals("eos")) {
            throw t.unsupported("pool_type", "\"" + pool + "\"", "vit4j pools at the end-of-text token"
                    + " (\"argmax\" or \"eos\")");
        }
        String proj = t.string("proj_type", "linear");
        if (!proj.equals("linear")) {
            throw t.unsupported("proj_type", "\"" + proj + "\"", "vit4j reads OpenCLIP's text_projection matrix");
        }
        int width = ClipTextLoader.orElse(t.integer("width"), 512);
        Double ratio = t.decimal("mlp_ratio");
        double eps = 1e-5;
        JsonNode norm = t.node().get("norm_kwargs");
        if (norm != null && norm.isObject()) {
            eps = ClipTextLoader.orElse(new JsonFields(configJson, norm, "model_cfg.text_cfg.norm_kwargs.")
                    .decimal("eps"), eps);
        }
        int vocab = ClipTextLoader.orElse(t.integer("vocab_size"), 49408);
        try {
            return new TextConfig(vocab,
                    ClipTextLoader.orElse(t.integer("context_length"), 77), width,
                    ClipTextLoader.orElse(t.integer("layers"), 12), ClipTextLoader.orElse(t.integer("heads"), 8),
                    (int) (width * (ratio == null ? 4.0 : ratio)), eps, model.bool("quick_gelu", false)
                    ? Architecture.Activation.QUICK_GELU : Architecture.Activation.GELU,
                    ClipTextLoader.orElse(model.integer("embed_dim"), 512), vocab - 1);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson + ": model_cfg.text_cfg does not describe a text tower vit4j"
                    + " can run: " + e.getMessage(), e);
        }
    }

    private static void refuseSet(JsonFields f, String key, String what) throws ModelFormatException {
        JsonNode v = f.node().get(key);
        if (v != null && !v.isNull()) {
            throw f.unsupported(key, v.toString(), "vit4j does not run " + what);
        }
    }

    /** OpenCLIP's source tensor(s) of each canonical name but the projection (transposed, read apart). */
    static Map<String, List<String>> sources(TextConfig config, String prefix) {
        Map<String, List<String>> s = new LinkedHashMap<>();
        s.put("token_embedding", List.of(prefix + "token_embedding.weight"));
        s.put("pos_embed", List.of(prefix + "positional_embedding"));
        for (int i = 0; i < config.layers(); i++) {
            String b = "blocks." + i + ".";
            String l = prefix + "transformer.resblocks." + i + ".";
            s.put(b + "attn.qkv.weight", List.of(l + "attn.in_proj_weight"));
            s.put(b + "attn.qkv.bias", List.of(l + "attn.in_proj_bias"));
            for (String wb : List.of("weight", "bias")) {
                s.put(b + "norm1." + wb, List.of(l + "ln_1." + wb));
                s.put(b + "attn.proj." + wb, List.of(l + "attn.out_proj." + wb));
                s.put(b + "norm2." + wb, List.of(l + "ln_2." + wb));
                s.put(b + "mlp.fc1." + wb, List.of(l + "mlp.c_fc." + wb));
                s.put(b + "mlp.fc2." + wb, List.of(l + "mlp.c_proj." + wb));
            }
        }
        s.put("norm.weight", List.of(prefix + "ln_final.weight"));
        s.put("norm.bias", List.of(prefix + "ln_final.bias"));
        return s;
    }
}
