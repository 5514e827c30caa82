package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.VitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * timm's {@code config.json} (it has an {@code architecture} key): the sizes from {@code model_args} or the
 * architecture's name ({@code deit_tiny_patch16_224}), mean and std from {@code pretrained_cfg}, the labels from
 * {@code label_names}. Every {@code model_args} key is either known not to change inference or checked; pooling,
 * layer scale, register tokens, distillation and the like are refused naming the key.
 */
final class TimmConfig {

    /** timm's ViT LayerNorm epsilon: {@code partial(nn.LayerNorm, eps=1e-6)}. */
    static final double EPS = 1e-6;

    private static final Pattern ARCHITECTURE_NAME = Pattern.compile(
            "(vit|deit)_(tiny|small|base|large|huge)_patch(\\d+)_(\\d+)");
    private static final Map<String, int[]> MODEL_SIZES = Map.of(
            "tiny", new int[] {192, 12, 3}, "small", new int[] {384, 12, 6}, "base", new int[] {768, 12, 12},
            "large", new int[] {1024, 24, 16}, "huge", new int[] {1280, 32, 16});
    /** model_args keys that do not change inference. */
    private static final Set<String> HARMLESS_ARGS = Set.of("drop_rate", "pos_drop_rate", "patch_drop_rate",
            "proj_drop_rate", "attn_drop_rate", "drop_path_rate", "weight_init", "dynamic_img_size",
            "dynamic_img_pad", "num_classes", "pretrained_cfg", "pretrained_strict");

    /** model_args keys this reader interprets or checks. */
    private static final Set<String> CHECKED_ARGS = Set.of("embed_dim", "depth", "num_heads", "mlp_ratio",
            "patch_size", "img_size", "in_chans", "qkv_bias", "class_token", "no_embed_class", "pre_norm", "fc_norm",
            "init_values", "reg_tokens", "act_layer", "global_pool", "qk_norm");

    private TimmConfig() {
    }

    /** A timm config: model_args (or the architecture's name) for the sizes, pretrained_cfg for mean and std. */
    static ConfigFiles.Read read(Path file, JsonNode root) throws ModelFormatException {
        JsonFields top = new JsonFields(file, root, "");
        String architecture = top.string("architecture", "");
        String base = architecture.contains(".") ? architecture.substring(0, architecture.indexOf('.')) : architecture;
        if (!(base.startsWith("vit_") || base.startsWith("deit_"))) {
            throw top.unsupported("architecture", "\"" + architecture + "\"", "vit4j runs timm's plain"
                    + " VisionTransformer (vit_* and deit_* models)");
        }
        if (base.contains("distilled")) {
            throw top.unsupported("architecture", "\"" + architecture + "\"", "distilled DeiT models add a"
                    + " distillation token and a second head; use the non-distilled deit_* weights");
        }
        JsonFields m = section(file, root, "model_args");
        for (Iterator<String> it = m.node().fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!HARMLESS_ARGS.contains(key) && !CHECKED_ARGS.contains(key)) {
                throw m.unsupported(key, m.node().get(key).toString(), "vit4j does not know whether it changes the"
                        + " architecture; remove it from model_args if it does not");
            }
        }
        String pool = m.string("global_pool", top.string("global_pool", "token"));
        if (!pool.equals("token")) {
            throw top.unsupported("global_pool", "\"" + pool + "\"", "vit4j classifies from the CLS token"
                    + " (global_pool \"token\")");
        }
        if (!m.bool("class_token", true)) {
            throw m.unsupported("class_token", "false", "vit4j's ViT has a CLS token");
        }
        if (m.bool("no_embed_class", false)) {
            throw m.unsupported("no_embed_class", "true", "vit4j adds position embeddings to the CLS token too");
        }
        if (m.bool("pre_norm", false)) {
            throw m.unsupported("pre_norm", "true", "vit4j has no LayerNorm before the first block (CLIP-style)");
        }
        if (m.bool("fc_norm", false)) {
            throw m.unsupported("fc_norm", "true", "vit4j applies the final LayerNorm before the head, not fc_norm");
        }
        if (m.node().has("init_values") && !m.node().get("init_values").isNull()) {
            throw m.unsupported("init_values", m.node().get("init_values").toString(), "vit4j's blocks have no layer"
                    + " scale");
        }
        Integer reg = m.integer("reg_tokens");
        if (reg != null && reg != 0) {
            throw m.unsupported("reg_tokens", reg.toString(), "vit4j's ViT has no register tokens");
        }
        if (!m.bool("qkv_bias", true)) {
            throw m.unsupported("qkv_bias", "false", "vit4j's attention has q, k and v biases");
        }
        if (m.bool("qk_norm", false)) {
            throw m.unsupported("qk_norm", "true", "vit4j's attention has no q/k LayerNorm");
        }
        String act = m.string("act_layer", "gelu");
        if (!act.equals("gelu")) {
            throw m.unsupported("act_layer", "\"" + act + "\"", "vit4j's MLP uses exact GELU");
        }

        PartialConfig c = new PartialConfig();
        c.sources.add(file.getFileName().toString());
        Matcher named = ARCHITECTURE_NAME.matcher(base);
        if (named.matches()) { // e.g. deit_tiny_patch16_224: the sizes timm's model function would use
            int[] size = MODEL_SIZES.get(named.group(2));
            c.hiddenSize = size[0];
            c.layers = size[1];
            c.heads = size[2];
            c.mlpSize = 4 * size[0];
            c.patchSize = nameSize(top, architecture, named.group(3));
            c.imageSize = nameSize(top, architecture, named.group(4));
        }
        JsonFields p = section(file, root, "pretrained_cfg");
        double[] inputSize = p.decimals("input_size");
        if (inputSize != null && inputSize.length == 3) {
            if (inputSize[1] != inputSize[2]) {
                throw p.unsupported("input_size", p.node().get("input_size").toString(), "vit4j runs square images");
            }
            c.channels = (int) inputSize[0];
            c.imageSize = (int) inputSize[1];
        }
        Integer embed = m.integer("embed_dim");
        if (embed != null) {
            c.hiddenSize = embed;
            c.mlpSize = null;
        }
        c.layers = orElse(m.integer("depth"), c.layers);
        c.heads = orElse(m.integer("num_heads"), c.heads);
        c.patchSize = orElse(m.squareSize("patch_size"), c.patchSize);
        c.imageSize = orElse(m.squareSize("img_size"), c.imageSize);
        c.channels = orElse(m.integer("in_chans"), c.channels);
        Double ratio = m.decimal("mlp_ratio");
        if (c.hiddenSize != null && (ratio != null || c.mlpSize == null)) {
            c.mlpSize = (int) (c.hiddenSize * (ratio == null ? 4.0 : ratio)); // timm: int(dim * mlp_ratio)
        }
        c.layerNormEps = EPS;
        Integer classes = orElse(top.integer("num_classes"), orElse(m.integer("num_classes"),
                p.integer("num_classes")));
        if (classes != null && classes == 0) {
            throw top.unsupported("num_classes", "0", "vit4j needs a classifier head");
        }
        JsonNode names = root.get("label_names");
        if (names != null && names.isArray() && names.size() > 0) {
            List<String> labels = new ArrayList<>();
            names.forEach(n -> labels.add(n.asText()));
            if (classes != null && classes != labels.size()) {
                throw new ModelFormatException(file + ": num_classes is " + classes + " but label_names has "
                        + labels.size() + " names");
            }
            c.labels = labels;
        } else if (classes != null) {
            c.labels = VitConfig.numberedLabels(classes);
        }

        PartialPreprocessing prep = new PartialPreprocessing();
        prep.mean = p.decimals("mean");
        prep.std = p.decimals("std");
        if (prep.mean != null || prep.std != null) {
            prep.sources.add(file.getFileName() + " (pretrained_cfg)");
        }
        return new ConfigFiles.Read(ConfigFiles.Kind.TIMM, c, prep);
    }

    /** The object under {@code key} (empty when absent or not an object), its keys named {@code key.…}. */
    static JsonFields section(Path file, JsonNode root, String key) {
        JsonNode node = root.get(key);
        return new JsonFields(file, node != null && node.isObject() ? node : JsonNodeFactory.instance.objectNode(),
                key + ".");
    }

    /** A patch or image size spelled in a timm model name; digits past an int are refused (fuzzing found them). */
    private static int nameSize(JsonFields top, String architecture, String digits) throws ModelFormatException {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw top.unsupported("architecture", "\"" + architecture + "\"", "its size " + digits + " is not a"
                    + " number of pixels (timm names read like vit_base_patch16_224)");
        }
    }
}
