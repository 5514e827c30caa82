package io.github.vit4j.convert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.VitConfig;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Readers for the config files that come with safetensors weights: Hugging Face {@code config.json} and
 * {@code preprocessor_config.json}, and timm's {@code config.json}. They return what the files state
 * ({@link PartialConfig}, {@link PartialPreprocessing}); what they leave out is read off the tensors later.
 * Architectures vit4j cannot run exactly (tanh GELU, no q/k/v bias, average pooling, layer scale, distillation
 * tokens, …) are refused here with a {@link ModelFormatException} naming the file, the key and what is supported.
 */
final class ConfigFiles {

    /** Which program wrote a config.json. */
    enum Kind {
        HUGGING_FACE("Hugging Face"), TIMM("timm");

        final String displayName;

        Kind(String displayName) {
            this.displayName = displayName;
        }
    }

    /**
     * A parsed config.json.
     *
     * @param kind          who wrote it
     * @param config        the architecture as stated
     * @param preprocessing the pixel pipeline as stated (timm configs carry mean and std; Hugging Face ones nothing)
     */
    record Read(Kind kind, PartialConfig config, PartialPreprocessing preprocessing) {
    }

    /**
     * The largest config file read (16 MiB): the real ones are a few kB (ImageNet-21k's id2label about 1 MB), and a
     * file is read whole, so a larger one is refused before it is read.
     */
    static final long MAX_JSON_BYTES = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** timm's ViT LayerNorm epsilon: {@code partial(nn.LayerNorm, eps=1e-6)}. */
    static final double TIMM_EPS = 1e-6;
    /** Hugging Face ViTConfig's default layer_norm_eps. */
    static final double HF_DEFAULT_EPS = 1e-12;

    private static final Pattern TIMM_NAME = Pattern.compile(
            "(vit|deit)_(tiny|small|base|large|huge)_patch(\\d+)_(\\d+)");
    private static final Map<String, int[]> TIMM_SIZES = Map.of(
            "tiny", new int[] {192, 12, 3}, "small", new int[] {384, 12, 6}, "base", new int[] {768, 12, 12},
            "large", new int[] {1024, 24, 16}, "huge", new int[] {1280, 32, 16});
    /** model_args keys that do not change inference. */
    private static final Set<String> TIMM_HARMLESS = Set.of("drop_rate", "pos_drop_rate", "patch_drop_rate",
            "proj_drop_rate", "attn_drop_rate", "drop_path_rate", "weight_init", "dynamic_img_size",
            "dynamic_img_pad", "num_classes", "pretrained_cfg", "pretrained_strict");

    /** model_args keys this reader interprets or checks. */
    private static final Set<String> TIMM_CHECKED = Set.of("embed_dim", "depth", "num_heads", "mlp_ratio",
            "patch_size", "img_size", "in_chans", "qkv_bias", "class_token", "no_embed_class", "pre_norm", "fc_norm",
            "init_values", "reg_tokens", "act_layer", "global_pool", "qk_norm");

    private ConfigFiles() {
    }

    /**
     * Reads a config.json written by Hugging Face or timm (timm's has an {@code architecture} key).
     *
     * @throws ModelFormatException naming the file and key when it is neither, malformed, or describes an
     *                              architecture vit4j does not run
     */
    static Read read(Path file) throws IOException {
        JsonNode root = readObject(file);
        if (root.has("architecture")) {
            return timm(file, root);
        }
        if (root.has("model_type") || root.has("architectures") || root.has("hidden_size")) {
            return new Read(Kind.HUGGING_FACE, huggingFace(file, root), new PartialPreprocessing());
        }
        throw new ModelFormatException(file + " is neither a Hugging Face config (model_type, hidden_size, …) nor a"
                + " timm config (architecture, model_args, …); pass the model's own config.json, or give the config in"
                + " a mapping file");
    }

    /** A Hugging Face ViTConfig: sizes as stated, hidden_act / qkv_bias / eps defaulting as ViTConfig does. */
    static PartialConfig huggingFace(Path file, JsonNode root) throws ModelFormatException {
        Fields f = new Fields(file, root, "");
        String modelType = f.string("model_type", "vit");
        if (modelType.equals("deit")) {
            throw f.unsupported("model_type", "\"deit\"", "Hugging Face's DeiT layout adds a distillation token and"
                    + " a second head; vit4j runs plain ViTs (model_type \"vit\"), e.g. timm's non-distilled deit_*"
                    + " weights");
        }
        if (!modelType.equals("vit")) {
            throw f.unsupported("model_type", "\"" + modelType + "\"", "vit4j runs model_type \"vit\""
                    + " (ViTForImageClassification)");
        }
        JsonNode architectures = root.get("architectures");
        if (architectures != null && architectures.isArray() && architectures.size() > 0) {
            boolean classifier = false;
            for (JsonNode a : architectures) {
                classifier |= a.asText().equals("ViTForImageClassification");
            }
            if (!classifier) {
                throw f.unsupported("architectures", architectures.toString(), "vit4j runs"
                        + " ViTForImageClassification (a linear classifier on the CLS token); ViTModel has no"
                        + " classifier and masked-image models have a different head");
            }
        }
        String act = f.string("hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw f.unsupported("hidden_act", "\"" + act + "\"", "vit4j's MLP uses exact (erf) GELU, which Hugging"
                    + " Face calls \"gelu\"");
        }
        if (!f.bool("qkv_bias", true)) {
            throw f.unsupported("qkv_bias", "false", "vit4j's attention has q, k and v biases");
        }
        PartialConfig c = new PartialConfig();
        c.sources.add(file.getFileName().toString());
        c.hiddenSize = f.integer("hidden_size");
        c.layers = f.integer("num_hidden_layers");
        c.heads = f.integer("num_attention_heads");
        if (c.heads == null) {
            c.heads = 12; // ViTConfig's default
        }
        c.mlpSize = f.integer("intermediate_size");
        c.imageSize = f.squareSize("image_size");
        c.patchSize = f.squareSize("patch_size");
        c.channels = f.integer("num_channels");
        Double eps = f.decimal("layer_norm_eps");
        c.layerNormEps = eps == null ? HF_DEFAULT_EPS : eps;
        JsonNode id2label = root.get("id2label");
        if (id2label != null && id2label.isObject() && id2label.size() > 0) {
            c.labels = id2label(file, id2label);
        }
        return c;
    }

    private static List<String> id2label(Path file, JsonNode id2label) throws ModelFormatException {
        String[] labels = new String[id2label.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int index;
            try {
                index = Integer.parseInt(e.getKey().strip());
            } catch (NumberFormatException ex) {
                index = -1;
            }
            if (index < 0 || index >= labels.length || labels[index] != null) {
                throw new ModelFormatException(file + ": id2label key \"" + e.getKey() + "\" is not one of the class"
                        + " indices 0.." + (labels.length - 1) + " (each once)");
            }
            labels[index] = e.getValue().asText();
        }
        return List.of(labels);
    }

    /** A timm config: model_args (or the architecture's name) for the sizes, pretrained_cfg for mean and std. */
    static Read timm(Path file, JsonNode root) throws ModelFormatException {
        Fields top = new Fields(file, root, "");
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
        JsonNode args = root.get("model_args");
        Fields m = new Fields(file, args != null && args.isObject() ? args : JSON.createObjectNode(), "model_args.");
        for (Iterator<String> it = m.node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TIMM_HARMLESS.contains(key) && !TIMM_CHECKED.contains(key)) {
                throw m.unsupported(key, m.node.get(key).toString(), "vit4j does not know whether it changes the"
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
        if (m.node.has("init_values") && !m.node.get("init_values").isNull()) {
            throw m.unsupported("init_values", m.node.get("init_values").toString(), "vit4j's blocks have no layer"
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
        Matcher named = TIMM_NAME.matcher(base);
        if (named.matches()) { // e.g. deit_tiny_patch16_224: the sizes timm's model function would use
            int[] size = TIMM_SIZES.get(named.group(2));
            c.hiddenSize = size[0];
            c.layers = size[1];
            c.heads = size[2];
            c.mlpSize = 4 * size[0];
            c.patchSize = nameSize(top, architecture, named.group(3));
            c.imageSize = nameSize(top, architecture, named.group(4));
        }
        JsonNode pretrained = root.get("pretrained_cfg");
        Fields p = new Fields(file, pretrained != null && pretrained.isObject() ? pretrained : JSON.createObjectNode(),
                "pretrained_cfg.");
        double[] inputSize = p.decimals("input_size");
        if (inputSize != null && inputSize.length == 3) {
            if (inputSize[1] != inputSize[2]) {
                throw p.unsupported("input_size", p.node.get("input_size").toString(), "vit4j runs square images");
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
        c.layerNormEps = TIMM_EPS;
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
        return new Read(Kind.TIMM, c, prep);
    }

    /** Processor types whose resize goes through PIL on uint8 and so rounds to whole levels. */
    private static final Set<String> PIL_ROUNDING_PROCESSORS = Set.of("ViTImageProcessor", "ViTFeatureExtractor");

    /**
     * A Hugging Face ViTImageProcessor config: size, rescale and normalisation as stated, with ViTImageProcessor's
     * defaults (rescale 1/255, mean and std 0.5) and {@code do_rescale false} → factor 1, {@code do_normalize
     * false} → mean 0, std 1, {@code do_resize false} → the model's image size. A {@code ViTImageProcessor} or
     * {@code ViTFeatureExtractor} (named by {@code image_processor_type} or {@code feature_extractor_type}, or
     * neither key present) with {@code do_resize} true resizes with PIL into bytes, so resized values are rounded to
     * whole levels ({@code roundResized}); other processor types are read with the same keys but left unrounded.
     */
    static PartialPreprocessing huggingFacePreprocessor(Path file) throws IOException {
        JsonNode root = readObject(file);
        Fields f = new Fields(file, root, "");
        PartialPreprocessing p = new PartialPreprocessing();
        p.sources.add(file.getFileName().toString());
        if (f.bool("do_resize", true)) {
            String type = f.string("image_processor_type", f.string("feature_extractor_type", "ViTImageProcessor"));
            p.roundResized = PIL_ROUNDING_PROCESSORS.contains(type);
            JsonNode size = root.get("size");
            if (size != null && size.isObject()) {
                Fields s = new Fields(file, size, "size.");
                Integer h = s.integer("height");
                Integer w = s.integer("width");
                Integer edge = s.integer("shortest_edge");
                if (h != null && w != null && !h.equals(w)) {
                    throw s.unsupported("height", h + " (width " + w + ")", "vit4j resizes to square images");
                }
                p.size = h != null ? h : w != null ? w : edge;
            } else {
                p.size = f.integer("size");
            }
        }
        p.rescaleFactor = f.bool("do_rescale", true) ? orElse(f.decimal("rescale_factor"), 1 / 255.0) : 1.0;
        double[] mean = f.decimals("image_mean");
        double[] std = f.decimals("image_std");
        if (!f.bool("do_normalize", true)) {
            int channels = mean != null ? mean.length : 3;
            p.mean = new double[channels];
            p.std = new double[channels];
            Arrays.fill(p.std, 1.0);
        } else {
            p.mean = mean != null ? mean : new double[] {0.5, 0.5, 0.5};
            p.std = std != null ? std : new double[] {0.5, 0.5, 0.5};
        }
        return p;
    }

    /** Reads a JSON object, or fails naming the file and where the JSON breaks. */
    static JsonNode readObject(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(readBounded(file, "a config file"));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (CharConversionException e) { // Jackson guessed UTF-16 or UTF-32 from the first bytes (fuzzing found it)
            throw new ModelFormatException(file + " is not UTF-8 JSON: " + e.getMessage() + "; save it as UTF-8", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + " is not a JSON object");
        }
        return root;
    }

    /**
     * A small text file's bytes, or a {@link ModelFormatException} naming the file, its size and the limit when it
     * is larger than {@link #MAX_JSON_BYTES} (checked before anything is read).
     *
     * @param what what the file is, for the message: "a config file", "a mapping file"
     */
    static byte[] readBounded(Path file, String what) throws IOException {
        long size = Files.size(file);
        byte[] bytes = new byte[0];
        if (size <= MAX_JSON_BYTES) {
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_JSON_BYTES + 1); // the file may have grown since
            }
            size = Math.max(size, bytes.length);
        }
        if (size > MAX_JSON_BYTES) {
            throw new ModelFormatException(file + " is " + size + " bytes, more than the " + MAX_JSON_BYTES
                    + " bytes (" + (MAX_JSON_BYTES >> 20) + " MiB) " + what + " may have; is it the right file?");
        }
        return bytes;
    }

    /** A patch or image size spelled in a timm model name; digits past an int are refused (fuzzing found them). */
    private static int nameSize(Fields top, String architecture, String digits) throws ModelFormatException {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw top.unsupported("architecture", "\"" + architecture + "\"", "its size " + digits + " is not a"
                    + " number of pixels (timm names read like vit_base_patch16_224)");
        }
    }

    private static <T> T orElse(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** Typed optional access to one JSON object's fields; failures name the file and the key path. */
    private record Fields(Path file, JsonNode node, String prefix) {

        Integer integer(String key) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw malformed(key, v, "an integer");
            }
            return v.asInt();
        }

        /** An int, or a [h, w] pair that must be square. */
        Integer squareSize(String key) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v != null && v.isArray()) {
                if (v.size() != 2 || !v.get(0).isIntegralNumber() || v.get(0).asInt() != v.get(1).asInt()) {
                    throw unsupported(key, v.toString(), "vit4j runs square images and patches");
                }
                return v.get(0).asInt();
            }
            return integer(key);
        }

        Double decimal(String key) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber()) {
                throw malformed(key, v, "a number");
            }
            return v.asDouble();
        }

        /** A list of numbers (a single number is read as a one-element list); null when absent. */
        double[] decimals(String key) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (v.isNumber()) {
                return new double[] {v.asDouble()};
            }
            if (!v.isArray()) {
                throw malformed(key, v, "a list of numbers");
            }
            double[] out = new double[v.size()];
            for (int i = 0; i < out.length; i++) {
                if (!v.get(i).isNumber()) {
                    throw malformed(key, v, "a list of numbers");
                }
                out[i] = v.get(i).asDouble();
            }
            return out;
        }

        String string(String key, String fallback) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw malformed(key, v, "a string");
            }
            return v.asText();
        }

        boolean bool(String key, boolean fallback) throws ModelFormatException {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw malformed(key, v, "true or false");
            }
            return v.asBoolean();
        }

        ModelFormatException malformed(String key, JsonNode value, String expected) {
            return new ModelFormatException(file + ": " + prefix + key + " is " + value + "; expected " + expected);
        }

        ModelFormatException unsupported(String key, String value, String why) {
            return new ModelFormatException(file + ": " + prefix + key + " " + value + " is not supported: " + why);
        }
    }
}
