package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Architecture.Activation;
import io.github.vit4j.model.Architecture.Head;
import io.github.vit4j.model.Architecture.Pooling;
import io.github.vit4j.model.Architecture.Tokens;
import io.github.vit4j.model.VitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Hugging Face's {@code config.json} of the image towers of other ViT families, read as their configuration classes
 * read it (unstated keys take that class's defaults): {@code clip} ({@code CLIPModel}: its {@code vision_config} and
 * top-level {@code projection_dim}) and {@code clip_vision_model}; {@code siglip} and {@code siglip_vision_model};
 * {@code dinov2} and {@code dinov2_with_registers}; {@code deit}. Each gives the sizes, the {@link Architecture}, the
 * tensor names ({@link HuggingFaceLayouts}) and, for a classifier, the labels; a key that changes the model in a way
 * vit4j does not run is refused naming it.
 */
final class HuggingFaceFamilies {

    /** The model types read here; {@code vit} is {@link HuggingFaceConfig}'s. */
    static final Set<String> MODEL_TYPES = Set.of("clip", "clip_vision_model", "siglip", "siglip_vision_model",
            "dinov2", "dinov2_with_registers", "deit");

    private HuggingFaceFamilies() {
    }

    /** One family's config.json: {@code modelType} is one of {@link #MODEL_TYPES}. */
    static PartialConfig read(Path file, JsonNode root, String modelType) throws ModelFormatException {
        JsonFields top = new JsonFields(file, root, "");
        List<String> architectures = new ArrayList<>();
        JsonNode named = root.get("architectures");
        if (named != null && named.isArray()) {
            named.forEach(a -> architectures.add(a.asText()));
        }
        PartialConfig c = switch (modelType) {
            case "clip", "clip_vision_model" -> clip(top, root, modelType, architectures);
            case "siglip", "siglip_vision_model" -> siglip(top, root, modelType, architectures);
            case "dinov2", "dinov2_with_registers" -> dinov2(top, modelType, architectures);
            default -> deit(top, architectures);
        };
        c.sources.add(file.getFileName().toString());
        return c;
    }

    private static PartialConfig clip(JsonFields top, JsonNode root, String modelType, List<String> architectures)
            throws ModelFormatException {
        boolean whole = modelType.equals("clip");
        JsonFields v = whole ? TimmConfig.section(top.file(), root, "vision_config") : top;
        boolean projection;
        if (whole) {
            only(top, architectures, List.of("CLIPModel"), "the whole CLIPModel (its image tower and projection)");
            projection = true;
        } else {
            only(top, architectures, List.of("CLIPVisionModelWithProjection", "CLIPVisionModel"),
                    "CLIP's image tower, with or without its projection");
            projection = architectures.isEmpty() || architectures.contains("CLIPVisionModelWithProjection");
        }
        int projectionDim = orElse((whole ? top : v).integer("projection_dim", 1, VitConfig.MAX_HIDDEN_SIZE,
                "the projection's width"), 512);
        PartialConfig c = sizes(v, 768, 3072, 12, 12, 224, 32, 1e-5);
        Activation act = activation(v, "quick_gelu");
        c.architecture = new Architecture(Tokens.CLS, 0, true, act, true, Pooling.CLS, projection ? projectionDim : 0,
                Head.NONE, false, 0, false);
        c.layout = HuggingFaceLayouts.clipVision(projection, whole);
        return c;
    }

    private static PartialConfig siglip(JsonFields top, JsonNode root, String modelType, List<String> architectures)
            throws ModelFormatException {
        boolean whole = modelType.equals("siglip");
        JsonFields v = whole ? TimmConfig.section(top.file(), root, "vision_config") : top;
        only(top, architectures, whole ? List.of("SiglipModel") : List.of("SiglipVisionModel"),
                "SigLIP's image tower with its attention-pooling head");
        if (!v.bool("vision_use_head", true)) {
            throw v.unsupported("vision_use_head", "false", "vit4j pools SigLIP's tokens with its attention-pooling"
                    + " head (vision_use_head true)");
        }
        PartialConfig c = sizes(v, 768, 3072, 12, 12, 224, 16, 1e-6);
        c.architecture = new Architecture(Tokens.NONE, 0, false, activation(v, "gelu_pytorch_tanh"), false,
                Pooling.ATTENTION_PROBE, 0, Head.NONE, false, 0, false);
        c.layout = HuggingFaceLayouts.siglipVision(whole);
        return c;
    }

    private static PartialConfig dinov2(JsonFields f, String modelType, List<String> architectures)
            throws ModelFormatException {
        boolean registers = modelType.equals("dinov2_with_registers");
        String name = registers ? "Dinov2WithRegisters" : "Dinov2";
        only(f, architectures, List.of(name + "Model", name + "ForImageClassification"),
                "DINOv2's backbone (" + name + "Model) or its classifier (" + name + "ForImageClassification)");
        if (f.bool("use_swiglu_ffn", false)) {
            throw f.unsupported("use_swiglu_ffn", "true", "vit4j's MLP is fc1, activation, fc2; DINOv2's SwiGLU"
                    + " MLP (the giant model) is not supported");
        }
        if (!f.bool("qkv_bias", true)) {
            throw f.unsupported("qkv_bias", "false", "vit4j's attention has q, k and v biases");
        }
        PartialConfig c = sizes(f, 768, null, 12, 12, 224, 14, 1e-6);
        Double ratio = f.decimal("mlp_ratio");
        c.mlpSize = (int) (c.hiddenSize * (ratio == null ? 4.0 : ratio));  // Dinov2MLP: int(hidden * mlp_ratio)
        int count = registers ? orElse(f.integer("num_register_tokens", 0, Architecture.MAX_REGISTERS,
                "the number of register tokens"), 4) : 0;
        boolean classifier = architectures.contains(name + "ForImageClassification");
        Activation act = activation(f, "gelu");
        c.architecture = new Architecture(Tokens.CLS, count, false, act, false,
                classifier ? Pooling.CLS_AND_PATCH_MEAN : Pooling.CLS, 0, classifier ? Head.LINEAR : Head.NONE,
                false, 0, f.bool("interpolate_antialias", registers));
        c.layout = HuggingFaceLayouts.dinov2(classifier ? (registers ? "dinov2_with_registers." : "dinov2.") : "",
                registers, classifier);
        if (classifier) {
            c.labels = HuggingFaceConfig.labels(f.file(), f.node());
        }
        return c;
    }

    private static PartialConfig deit(JsonFields f, List<String> architectures) throws ModelFormatException {
        only(f, architectures, List.of("DeiTForImageClassificationWithTeacher", "DeiTForImageClassification"),
                "DeiT's classifiers (distilled: DeiTForImageClassificationWithTeacher)");
        if (!f.bool("qkv_bias", true)) {
            throw f.unsupported("qkv_bias", "false", "vit4j's attention has q, k and v biases");
        }
        boolean distilled = !architectures.contains("DeiTForImageClassification");
        PartialConfig c = sizes(f, 768, 3072, 12, 12, 224, 16, 1e-12);
        Activation act = activation(f, "gelu");
        c.architecture = distilled
                ? new Architecture(Tokens.CLS_AND_DISTILLATION, 0, false, act, false, Pooling.CLS_AND_DISTILLATION,
                        0, Head.DISTILLED, false, 0, false)
                : new Architecture(Tokens.CLS, 0, false, act, false, Pooling.CLS, 0, Head.LINEAR, false, 0, false);
        c.layout = HuggingFaceLayouts.deit(distilled);
        c.labels = HuggingFaceConfig.labels(f.file(), f.node());
        return c;
    }

    /**
     * The activation Hugging Face's {@code ACT2FN} names: {@code gelu} exact, {@code gelu_pytorch_tanh} and
     * {@code gelu_new} the tanh approximation, {@code quick_gelu}; others refused naming the value.
     */
    static Activation activation(JsonFields f, String fallback) throws ModelFormatException {
        String act = f.string("hidden_act", fallback);
        return switch (act) {
            case "gelu" -> Activation.GELU;
            case "gelu_pytorch_tanh", "gelu_new" -> Activation.GELU_TANH;
            case "quick_gelu" -> Activation.QUICK_GELU;
            default -> throw f.unsupported("hidden_act", "\"" + act + "\"", "vit4j's MLP runs \"gelu\" (exact),"
                    + " \"gelu_pytorch_tanh\" or \"gelu_new\" (tanh approximation) and \"quick_gelu\"");
        };
    }

    /** The sizes a family's config states, each defaulting as its configuration class does. */
    private static PartialConfig sizes(JsonFields f, int hidden, Integer mlp, int layers, int heads, int image,
                                       int patch, double eps) throws ModelFormatException {
        PartialConfig c = new PartialConfig();
        c.hiddenSize = orElse(f.integer("hidden_size"), hidden);
        c.mlpSize = mlp == null ? null : orElse(f.integer("intermediate_size"), mlp);
        c.layers = orElse(f.integer("num_hidden_layers"), layers);
        c.heads = orElse(f.integer("num_attention_heads"), heads);
        c.imageSize = orElse(f.squareSize("image_size"), image);
        c.patchSize = orElse(f.squareSize("patch_size"), patch);
        c.channels = orElse(f.integer("num_channels"), 3);
        c.layerNormEps = orElse(f.decimal("layer_norm_eps"), eps);
        return c;
    }

    /** Refuses {@code architectures} naming none of {@code supported} (an empty list is accepted). */
    private static void only(JsonFields f, List<String> architectures, List<String> supported, String what)
            throws ModelFormatException {
        if (!architectures.isEmpty() && architectures.stream().noneMatch(supported::contains)) {
            throw f.unsupported("architectures", architectures.toString(), "vit4j runs " + what + ": "
                    + supported);
        }
    }

}
