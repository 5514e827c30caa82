package io.github.vit4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.hub.Hub;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Clip;
import io.github.vit4j.model.TextConfig;
import io.github.vit4j.model.TextWeights;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loads CLIP's text tower and {@code logit_scale} from Hugging Face's layout: a whole {@code CLIPModel}
 * ({@code config.json} with {@code text_config}; tensors {@code text_model.*}, {@code text_projection.weight},
 * {@code logit_scale}) or a {@code CLIPTextModelWithProjection} / {@code CLIPTextModel} ({@code model_type}
 * {@code clip_text_model}), or from OpenCLIP's ({@code open_clip_config.json}, {@link OpenClipText}). The image tower
 * is {@link ModelLoader}'s; {@link #clip} puts the two together for {@link io.github.vit4j.model.ZeroShot}.
 *
 * <p>Sizes come from {@code text_config} with {@code CLIPTextConfig}'s defaults for keys it leaves out (vocabulary
 * 49408, 77 positions, width 512, 12 layers, 8 heads, MLP 2048, quick GELU, eps 1e-5, end-of-text 49407); the
 * projection's width is {@code text_projection.weight}'s. Hugging Face's separate q, k and v projections are fused
 * in rows q, k, v. Every problem is a {@link ModelFormatException} naming the file, the key or tensor, what was
 * expected and what was found.
 */
public final class ClipTextLoader {

    private static final String TEXT = "text_model.";
    private static final String LAYER = TEXT + "encoder.layers.";

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    private ClipTextLoader() {
    }

    /**
     * The text tower at {@code location}: a path as {@link #load(Path)} takes, or {@code hf:org/name[@revision]}
     * (downloaded as {@link ModelLoader#load(String)} does).
     *
     * @throws IOException naming the file or repository and what is wrong
     */
    public static TextWeights load(String location) throws IOException {
        return load(Hub.resolve(location));
    }

    /**
     * The text tower of a CLIP model folder (or of a weights file with its config beside it): Hugging Face's names
     * ({@code text_model.*}) with {@code config.json}, or OpenCLIP's ({@code token_embedding.weight},
     * {@code transformer.resblocks.*}, or the same under {@code text.}) with {@code open_clip_config.json}; the
     * tensor names decide.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static TextWeights load(Path source) throws IOException {
        Path weights = weightsFile(source);
        Path folder = weights.toAbsolutePath().getParent();
        try (WeightsFile file = WeightsFile.open(weights)) {
            if (!file.contains(TEXT + "embeddings.token_embedding.weight")) {
                for (String prefix : List.of("", "text.")) {
                    if (file.contains(prefix + "token_embedding.weight")) {
                        return OpenClipText.read(file, folder.resolve(OpenClipText.CONFIG), prefix);
                    }
                }
            }
            return read(file, config(folder.resolve("config.json"), file));
        }
    }

    /**
     * The whole CLIP: the text tower and {@code logit_scale} at {@code location} ({@link #load(String)}), with the
     * image tower {@code image} (loaded from the same model by {@link ModelLoader}).
     *
     * @throws IOException naming the file and what is wrong, also when the model has no {@code logit_scale} (a text
     *                     model alone) or the towers do not fit together
     */
    public static Clip clip(String location, VitWeights image) throws IOException {
        return clip(Hub.resolve(location), image);
    }

    /**
     * {@link #clip(String, VitWeights)} for a folder or weights file.
     *
     * @throws IOException naming the file and what is wrong
     */
    public static Clip clip(Path source, VitWeights image) throws IOException {
        TextWeights text = load(source);
        Path weights = weightsFile(source);
        double scale;
        try (WeightsFile file = WeightsFile.open(weights)) {
            if (file.contains("logit_bias")) {
                throw new ModelFormatException(weights + " holds logit_bias: a SigLIP-style model, whose zero-shot"
                        + " probabilities are sigmoids with a bias, not CLIP's softmax over cosines; vit4j's ZeroShot"
                        + " is CLIP's");
            }
            if (!file.contains("logit_scale")) {
                throw new ModelFormatException(weights + " has no tensor logit_scale, the temperature of a whole"
                        + " CLIPModel; is it a text model alone? Zero-shot classification needs the whole model");
            }
            INDArray t = file.load("logit_scale");
            if (t.length() != 1) {
                throw new ModelFormatException(weights + ": logit_scale has shape " + Arrays.toString(t.shape())
                        + "; expected a scalar");
            }
            scale = t.getDouble(0);
        }
        try {
            return new Clip(image, text, scale);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(weights + ": " + e.getMessage(), e);
        }
    }

    /** The weights file of a folder ({@link ModelLoader#WEIGHTS_FILES}, in order), or the file itself. */
    private static Path weightsFile(Path source) throws IOException {
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "no such file or folder");
        }
        if (!Files.isDirectory(source)) {
            return source;
        }
        for (List<String> names : List.of(ModelLoader.WEIGHTS_FILES, OpenClipText.WEIGHTS_FILES)) {
            for (String name : names) {
                if (Files.isRegularFile(source.resolve(name))) {
                    return source.resolve(name);
                }
            }
        }
        throw new ModelFormatException(source + " holds none of " + ModelLoader.WEIGHTS_FILES + " or "
                + OpenClipText.WEIGHTS_FILES + "; pass the weights file of the CLIP model");
    }

    /** The text tower's config from a CLIPModel's {@code text_config} or a text model's own config. */
    static TextConfig config(Path configJson, WeightsFile weights) throws IOException {
        if (!Files.isRegularFile(configJson)) {
            throw new ModelFormatException("no config.json beside " + weights.file() + "; the text tower's sizes"
                    + " (heads, epsilon, end-of-text id) are not all in the tensors, so put the model's config.json"
                    + " there");
        }
        JsonNode root = ConfigFiles.readObject(configJson);
        JsonFields top = new JsonFields(configJson, root, "");
        String modelType = top.string("model_type", "");
        JsonFields f;
        if (modelType.startsWith("siglip")) {          // before text_config: SigLIP's whole model has one too
            throw top.unsupported("model_type", "\"" + modelType + "\"", "SigLIP's text tower reads SentencePiece"
                    + " tokens, and vit4j has no SentencePiece tokenizer yet; its image tower loads with"
                    + " ModelLoader");
        } else if (root.has("text_config") && root.get("text_config").isObject()) {
            f = new JsonFields(configJson, root.get("text_config"), "text_config.");
        } else if (modelType.equals("clip_text_model")) {
            f = top;
        } else {
            throw top.unsupported("model_type", "\"" + modelType + "\"", "no text tower here: vit4j reads CLIP's,"
                    + " a CLIPModel's text_config or a clip_text_model");
        }
        try {
            return new TextConfig(
                    orElse(f.integer("vocab_size"), 49408), orElse(f.integer("max_position_embeddings"), 77),
                    orElse(f.integer("hidden_size"), 512), orElse(f.integer("num_hidden_layers"), 12),
                    orElse(f.integer("num_attention_heads"), 8), orElse(f.integer("intermediate_size"), 2048),
                    orElse(f.decimal("layer_norm_eps"), 1e-5), activation(f),
                    projection(weights), orElse(f.integer("eos_token_id"), 49407));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configJson + ": " + f.prefix() + " does not describe a text tower vit4j"
                    + " can run: " + e.getMessage(), e);
        }
    }

    static int orElse(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    static double orElse(Double value, double fallback) {
        return value == null ? fallback : value;
    }

    static Architecture.Activation activation(JsonFields f) throws ModelFormatException {
        String act = f.string("hidden_act", "quick_gelu");
        return switch (act) {
            case "quick_gelu" -> Architecture.Activation.QUICK_GELU;
            case "gelu" -> Architecture.Activation.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> Architecture.Activation.GELU_TANH;
            default -> throw f.unsupported("hidden_act", "\"" + act + "\"", "vit4j's MLP runs quick_gelu, gelu,"
                    + " gelu_new and gelu_pytorch_tanh");
        };
    }

    /** The projection's width: text_projection.weight's rows, 0 without one. */
    private static int projection(WeightsFile file) throws IOException {
        return file.contains("text_projection.weight") ? matrixSide(file, "text_projection.weight", 0) : 0;
    }

    /** Side {@code axis} of the matrix {@code name}, or an error naming its shape. */
    static int matrixSide(WeightsFile file, String name, int axis) throws IOException {
        long[] shape = file.shape(name);
        if (shape.length != 2 || shape[axis] > Integer.MAX_VALUE) {
            throw new ModelFormatException(file.file() + ": " + name + " has shape " + Arrays.toString(shape)
                    + "; expected a matrix");
        }
        return (int) shape[axis];
    }

    /** Hugging Face's source tensor(s) of each canonical name of {@link TextWeights#expectedShapes}. */
    static Map<String, List<String>> sources(TextConfig config) {
        Map<String, List<String>> r = new LinkedHashMap<>();
        r.put("token_embedding", List.of(TEXT + "embeddings.token_embedding.weight"));
        r.put("pos_embed", List.of(TEXT + "embeddings.position_embedding.weight"));
        HuggingFaceLayouts.encoderLayers(r, LAYER + NameLayout.BLOCK + ".");
        HuggingFaceLayouts.both(r, "norm", TEXT + "final_layer_norm");
        r.put("proj.weight", List.of("text_projection.weight"));
        NameLayout layout = new NameLayout("Hugging Face CLIPTextModelWithProjection", r, List.of());
        Map<String, List<String>> s = new LinkedHashMap<>();
        for (String canonical : TextWeights.expectedShapes(config).keySet()) {
            s.put(canonical, layout.sources(canonical));
        }
        return s;
    }

    /** Reads the text tower in Hugging Face's names. */
    private static TextWeights read(WeightsFile file, TextConfig config) throws IOException {
        Map<String, List<String>> sources = sources(config);
        refuseUnused(file, sources, n -> n.startsWith(TEXT) && !n.equals(TEXT + "embeddings.position_ids"),
                "text_config.num_hidden_layers");
        return weights(file, config, tensors(file, sources, TextWeights.expectedShapes(config), describe(config)));
    }

    /** Refuses the tensors {@code text} accepts (the text tower's) that {@code sources} does not read. */
    static void refuseUnused(WeightsFile file, Map<String, List<String>> sources, Predicate<String> text,
                             String layersKey) throws ModelFormatException {
        Set<String> used = new HashSet<>();
        sources.values().forEach(used::addAll);
        List<String> unused = file.names().stream().filter(n -> text.test(n) && !used.contains(n)).toList();
        if (!unused.isEmpty()) {
            throw new ModelFormatException(file.file() + " has text tensors the tower does not use: "
                    + unused.subList(0, Math.min(unused.size(), 6)) + "; is " + layersKey + " right?");
        }
    }

    /** The text tower {@code config} describes, for messages. */
    static String describe(TextConfig config) {
        return "a CLIP text tower of " + config.layers() + " layers, vocabulary " + config.vocabSize() + ", "
                + config.contextLength() + " positions, width " + config.hiddenSize() + ", MLP " + config.mlpSize();
    }

    /** {@link TextWeights#fromTensors}, its refusals naming the file. */
    static TextWeights weights(WeightsFile file, TextConfig config, Map<String, INDArray> tensors)
            throws ModelFormatException {
        try {
            return TextWeights.fromTensors(config, tensors);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file.file() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The canonical tensors {@code sources} names, each checked against {@code expected} before anything is read,
     * then read, several sources concatenated by rows (q, k, v → qkv).
     *
     * @param what the model the shapes are expected of, for messages
     */
    static Map<String, INDArray> tensors(WeightsFile file, Map<String, List<String>> sources,
                                         Map<String, long[]> expected, String what) throws IOException {
        for (Map.Entry<String, List<String>> e : sources.entrySet()) {
            long[] part = expected.get(e.getKey()).clone();
            part[0] /= e.getValue().size();
            for (String source : e.getValue()) {
                if (!file.contains(source)) {
                    throw new ModelFormatException(file.file() + " has no tensor " + source + " (for "
                            + e.getKey() + " of " + what + "); it holds names like " + file.sampleNames(6)
                            + ". Is it a CLIP model in Hugging Face's layout of that size?");
                }
                long[] has = file.shape(source);
                if (!Arrays.equals(part, has)) {
                    throw new ModelFormatException(file.file() + ": expected " + source + " " + Arrays.toString(part)
                            + " but the file has " + Arrays.toString(has) + "; " + what + " needs that. Does"
                            + " config.json match the weights?");
                }
            }
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : sources.entrySet()) {
            INDArray[] parts = new INDArray[e.getValue().size()];
            for (int k = 0; k < parts.length; k++) {
                parts[k] = file.load(e.getValue().get(k));
            }
            tensors.put(e.getKey(), parts.length == 1 ? parts[0] : Nd4j.concat(0, parts).dup('c'));
        }
        return tensors;
    }
}
