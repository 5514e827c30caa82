package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * timm's {@code config.json} (it has an {@code architecture} key): the sizes from {@code model_args} or the
 * architecture's name ({@code deit_tiny_patch16_224}), mean and std from {@code pretrained_cfg}, the labels from
 * {@code label_names}; the family (CLIP, SigLIP, DINOv2 with registers, distilled DeiT) from the name and
 * {@code model_args} ({@link TimmFamilies}). Every {@code model_args} key is either known not to change inference or
 * checked; average pooling, {@code fc_norm}, q/k norms and the like are refused naming the key.
 */
final class TimmConfig {

    /** timm's ViT LayerNorm epsilon: {@code partial(nn.LayerNorm, eps=1e-6)}. */
    static final double EPS = 1e-6;

    /** timm's CLIP towers: {@code norm_layer=nn.LayerNorm}, PyTorch's default epsilon. */
    static final double CLIP_EPS = 1e-5;
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
            throw top.unsupported("architecture", "\"" + architecture + "\"", "vit4j runs timm's"
                    + " VisionTransformer (vit_* and deit_* models)");
        }
        TimmFamilies.Named named = TimmFamilies.named(top, base);
        JsonFields m = section(file, root, "model_args");
        for (Iterator<String> it = m.node().fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!HARMLESS_ARGS.contains(key) && !CHECKED_ARGS.contains(key)) {
                throw m.unsupported(key, m.node().get(key).toString(), "vit4j does not know whether it changes the"
                        + " architecture; remove it from model_args if it does not");
            }
        }
        String pool = m.string("global_pool", top.string("global_pool", named.siglip() ? "map" : "token"));
        if (!pool.equals("token") && !pool.equals("map")) {
            throw top.unsupported("global_pool", "\"" + pool + "\"", "vit4j pools with the CLS token (\"token\") or"
                    + " attention with a learned probe (\"map\")");
        }
        boolean classToken = m.bool("class_token", !named.siglip());
        if (!classToken && !pool.equals("map")) {
            throw m.unsupported("class_token", "false", "a model without CLS token pools with global_pool \"map\"");
        }
        boolean noEmbedClass = m.bool("no_embed_class", named.dinov2() && named.registers() > 0);
        boolean preNorm = m.bool("pre_norm", named.clip());
        if (m.bool("fc_norm", false)) {
            throw m.unsupported("fc_norm", "true", "vit4j applies the final LayerNorm before the head, not fc_norm");
        }
        int registers = orElse(m.integer("reg_tokens", 0, Architecture.MAX_REGISTERS, "the number of register"
                + " tokens"), named.registers());
        if (!m.bool("qkv_bias", true)) {
            throw m.unsupported("qkv_bias", "false", "vit4j's attention has q, k and v biases");
        }
        if (m.bool("qk_norm", false)) {
            throw m.unsupported("qk_norm", "true", "vit4j's attention has no q/k LayerNorm");
        }

        PartialConfig c = new PartialConfig();
        c.sources.add(file.getFileName().toString());
        String[] words = base.split("_");
        int[] size = TimmFamilies.MODEL_SIZES.get(words.length > 1 ? words[1] : "");
        if (size != null) { // e.g. deit_tiny_patch16_224: the sizes timm's model function would use
            c.hiddenSize = size[0];
            c.layers = size[1];
            c.heads = size[2];
            c.mlpSize = size[3] > 0 ? size[3] : 4 * size[0];
        }
        for (String word : words) {
            if (word.matches("patch\\d+")) {
                c.patchSize = nameSize(top, architecture, word.substring("patch".length()));
            } else if (word.matches("\\d+")) {
                c.imageSize = nameSize(top, architecture, word);
            }
        }
        if (named.dinov2() && c.imageSize == null) {
            c.imageSize = 518;                                 // timm's DINOv2 models: img_size=518
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
        c.layerNormEps = named.clip() ? CLIP_EPS : EPS;
        Integer classes = orElse(top.integer("num_classes"), orElse(m.integer("num_classes"),
                p.integer("num_classes")));
        JsonNode names = root.get("label_names");
        boolean namedLabels = names != null && names.isArray() && names.size() > 0;
        String tag = architecture.contains(".") ? architecture.substring(architecture.indexOf('.') + 1)
                : p.string("tag", "");
        boolean projection = named.clip() && classes != null && classes > 0 && !tag.contains("ft")
                && !namedLabels;
        try {
            c.architecture = TimmFamilies.architecture(m, named, classToken, pool, preNorm, registers,
                    classes == null ? -1 : classes, projection);
            if (projection) {                  // a guess: a non-zero head.bias makes it a classifier (ModelLoader)
                c.headBiasedClassifier = new PartialConfig();
                c.headBiasedClassifier.architecture = TimmFamilies.architecture(m, named, classToken, pool, preNorm,
                        registers, classes, false);
                c.headBiasedClassifier.layout = TimmFamilies.layout(c.headBiasedClassifier.architecture,
                        noEmbedClass);
                c.headBiasedClassifier.labels = VitConfig.numberedLabels(classes);
            }
        } catch (IllegalArgumentException e) {
            throw top.unsupported("architecture", "\"" + architecture + "\"", e.getMessage());
        }
        boolean layerScale = m.node().hasNonNull("init_values") || named.dinov2();
        if (!c.architecture.equals(Architecture.VIT) || layerScale || noEmbedClass) {
            c.layout = TimmFamilies.layout(c.architecture, noEmbedClass); // else the names tell timm's or HF's
        }
        if (namedLabels && c.architecture.head() != Architecture.Head.NONE) {
            List<String> labels = new ArrayList<>();
            names.forEach(n -> labels.add(n.asText()));
            if (classes != null && classes != labels.size()) {
                throw new ModelFormatException(file + ": num_classes is " + classes + " but label_names has "
                        + labels.size() + " names");
            }
            c.labels = labels;
        } else if (classes != null && c.architecture.head() != Architecture.Head.NONE) {
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
