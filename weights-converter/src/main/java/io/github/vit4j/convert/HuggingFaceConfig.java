package io.github.vit4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.vit4j.format.ModelFormatException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's {@code config.json} of a {@code ViTForImageClassification}: the sizes as stated, {@code hidden_act},
 * {@code qkv_bias} and {@code layer_norm_eps} defaulting as {@code ViTConfig} does, the labels from {@code id2label};
 * the other families' model types are {@link HuggingFaceFamilies}'; other model types and heads are refused naming
 * the key.
 */
final class HuggingFaceConfig {

    /** Hugging Face ViTConfig's default layer_norm_eps. */
    static final double DEFAULT_EPS = 1e-12;

    private HuggingFaceConfig() {
    }

    /** A Hugging Face ViTConfig: sizes as stated, hidden_act / qkv_bias / eps defaulting as ViTConfig does. */
    static PartialConfig read(Path file, JsonNode root) throws ModelFormatException {
        JsonFields f = new JsonFields(file, root, "");
        String modelType = f.string("model_type", "vit");
        if (HuggingFaceFamilies.MODEL_TYPES.contains(modelType)) {
            return HuggingFaceFamilies.read(file, root, modelType);
        }
        if (!modelType.equals("vit")) {
            throw f.unsupported("model_type", "\"" + modelType + "\"", "vit4j runs the image models of model_type"
                    + " \"vit\", " + HuggingFaceFamilies.MODEL_TYPES.stream().sorted().map(t -> "\"" + t + "\"")
                    .toList());
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
        c.layerNormEps = eps == null ? DEFAULT_EPS : eps;
        c.labels = labels(file, root);
        return c;
    }

    /** The class names of {@code id2label} in index order, or null when the config has none. */
    static List<String> labels(Path file, JsonNode root) throws ModelFormatException {
        JsonNode id2label = root.get("id2label");
        return id2label != null && id2label.isObject() && id2label.size() > 0 ? id2label(file, id2label) : null;
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
}
