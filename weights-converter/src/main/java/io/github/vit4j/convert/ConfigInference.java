package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.util.Arrays;
import java.util.List;
import java.util.SortedSet;
import java.util.function.Consumer;

/**
 * Completes a {@link PartialConfig} from the tensors: the layer count from the block indices in the names, the
 * width from the final LayerNorm, channels and patch size from the patch convolution, the MLP width from
 * {@code fc1}, the image size from the number of position embeddings, the classes from the head. The number of heads
 * and the LayerNorm epsilon leave no trace in the shapes and must be stated.
 */
final class ConfigInference {

    private ConfigInference() {
    }

    /**
     * The config: stated fields as stated, the rest read off {@code weights}; each inferred field is reported to
     * {@code notes}.
     *
     * @throws ModelFormatException when a field can be neither found nor inferred, when the stated layer count
     *                              disagrees with the blocks in the file, or when the result is not a valid config
     */
    static VitConfig complete(PartialConfig stated, WeightsFile weights, NameLayout layout, Consumer<String> notes)
            throws ModelFormatException {
        String file = weights.file().toString();
        SortedSet<Integer> blocks = layout.blockIndices(weights.names());
        Integer layers = stated.layers;
        if (!blocks.isEmpty() && layers != null && blocks.last() + 1 != layers) {
            throw new ModelFormatException(file + " has blocks " + blocks.first() + ".." + blocks.last() + " but "
                    + stated.describeSources() + " says " + layers + " layers; is this the config of these weights?");
        }
        if (layers == null) {
            if (blocks.isEmpty()) {
                throw new ModelFormatException(file + ": cannot count the blocks: no tensor is named like "
                        + layout.sources("blocks.0.norm1.weight") + " (with any block number); "
                        + "check the mapping or state config.layers");
            }
            layers = blocks.last() + 1;
            notes.accept("layers = " + layers + ", counted from the tensor names of " + file);
        }

        Integer hidden = stated.hiddenSize;
        if (hidden == null) {
            long[] norm = shape(weights, layout, "norm.weight", "hiddenSize", 1, "[D]", "config.hiddenSize");
            hidden = (int) norm[0];
            notes.accept("hiddenSize = " + hidden + ", read off " + layout.sources("norm.weight").get(0));
        }
        Integer channels = stated.channels;
        Integer patch = stated.patchSize;
        if (channels == null || patch == null) {
            long[] conv = shape(weights, layout, "patch_embed.proj.weight", "patchSize and channels", 4,
                    "[D, C, p, p]", "config.patchSize and config.channels");
            if (conv[2] != conv[3]) {
                String source = layout.sources("patch_embed.proj.weight").get(0);
                throw new ModelFormatException(file + ": cannot read patch size and channels off " + source + " "
                        + Arrays.toString(weights.shape(source))
                        + " (expected a square convolution [D, C, p, p]); state config.patchSize and config.channels");
            }
            if (channels == null) {
                channels = (int) conv[1];
                notes.accept("channels = " + channels + ", read off the patch convolution");
            }
            if (patch == null) {
                patch = (int) conv[2];
                notes.accept("patchSize = " + patch + ", read off the patch convolution");
            }
        }
        Integer mlp = stated.mlpSize;
        if (mlp == null) {
            mlp = rows(weights, layout, "blocks.0.mlp.fc1.weight", "mlpSize", "[mlpSize, D]", "config.mlpSize");
            notes.accept("mlpSize = " + mlp + ", read off " + layout.sources("blocks.0.mlp.fc1.weight").get(0));
        }
        Architecture arch = stated.architecture != null ? stated.architecture : Architecture.VIT;
        Integer image = stated.imageSize;
        if (image == null) {
            long[] pos = shape(weights, layout, "pos_embed", "imageSize", 2, "[1, prefix + g·g, D]",
                    "config.imageSize");
            long tokens = pos[0];
            int prefix = arch.prefixTokens() - arch.registers();          // CLS and distillation token have rows
            long grid = Math.round(Math.sqrt(tokens - (double) prefix));
            if (tokens <= prefix || grid * grid != tokens - prefix || grid * patch > Integer.MAX_VALUE) {
                String source = layout.sources("pos_embed").get(0);
                throw new ModelFormatException(file + ": cannot read the image size off " + source + " "
                        + Arrays.toString(weights.shape(source)) + " (expected [1, " + prefix + " + g·g, D]); state"
                        + " config.imageSize");
            }
            image = (int) (grid * patch);
            notes.accept("imageSize = " + image + ", read off the " + tokens + " position embeddings (" + prefix
                    + " + " + grid + "×" + grid + " patches of " + patch + "px)");
        }
        List<String> labels = stated.labels;
        if (arch.head() == Architecture.Head.NONE) {
            int width = arch.projection() > 0 ? arch.projection()
                    : arch.pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN ? 2 * hidden : hidden;
            labels = VitConfig.numberedLabels(width);
            notes.accept("no classifier: the output is the " + width + "-wide embedding, its components numbered");
        } else if (labels == null) {
            int classes = rows(weights, layout, "head.weight", "the number of classes", "[classes, D]",
                    "the class names (config.label.N)");
            labels = VitConfig.numberedLabels(classes);
            notes.accept(classes + " classes, read off " + layout.sources("head.weight").get(0)
                    + "; no class names given, so they are numbered");
        }
        if (stated.heads == null) {
            throw new ModelFormatException("the number of attention heads of " + file + " is unknown (it cannot be"
                    + " read off the tensor shapes); state it: config.heads = … in a mapping file, num_attention_heads"
                    + " in a Hugging Face config.json, or model_args.num_heads in a timm config.json");
        }
        if (stated.layerNormEps == null) {
            throw new ModelFormatException("the LayerNorm epsilon of " + file + " is unknown (it cannot be read off"
                    + " the tensors); state it: config.layerNormEps = … in a mapping file (PyTorch's nn.LayerNorm"
                    + " default is 1e-5, timm's ViT 1e-6, Hugging Face's 1e-12)");
        }
        try {
            VitConfig config = new VitConfig(image, patch, channels, hidden, layers, stated.heads, mlp,
                    stated.layerNormEps, labels, arch);
            if (stated.inputSize != null && stated.inputSize != image) {
                config = config.withImageSize(stated.inputSize);
                notes.accept("input size " + stated.inputSize + " (the processor's crop); the position embeddings"
                        + " of the " + image + "px model are resized to its " + config.gridSize() + "×"
                        + config.gridSize() + " grid");
            }
            return config;
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("invalid config for " + file + " (from " + stated.describeSources()
                    + " and the tensor shapes): " + e.getMessage(), e);
        }
    }

    /**
     * The shape of the tensor that {@code field} is read off, leading 1s dropped down to {@code rank} as the weight
     * mapper drops them ({@code [1, T, D]} is {@code [T, D]}); refused unless that has {@code rank} dimensions, each
     * from 1 to {@link Integer#MAX_VALUE} (a config's sizes are ints).
     *
     * @param expected the shape expected, in words, e.g. {@code [D]}
     * @param state    what to state in the config instead
     */
    private static long[] shape(WeightsFile weights, NameLayout layout, String canonical, String field, int rank,
                                String expected, String state) throws ModelFormatException {
        return checked(weights, layout.sources(canonical).get(0), canonical, field, rank, expected, state);
    }

    /** Rows of a (possibly concatenated) 2-D weight: the sum of its sources' first dimensions. */
    private static int rows(WeightsFile weights, NameLayout layout, String canonical, String field, String expected,
                            String state) throws ModelFormatException {
        long rows = 0;
        for (String source : layout.sources(canonical)) {
            rows += checked(weights, source, canonical, field, 2, expected, state)[0];
        }
        if (rows > Integer.MAX_VALUE) {
            throw new ModelFormatException(weights.file() + ": cannot read " + field + " off " + canonical + ": its"
                    + " sources " + layout.sources(canonical) + " have " + rows + " rows together, more than a config"
                    + " holds; state " + state);
        }
        return (int) rows;
    }

    private static long[] checked(WeightsFile weights, String source, String canonical, String field, int rank,
                                  String expected, String state) throws ModelFormatException {
        if (!weights.contains(source)) {
            throw new ModelFormatException(weights.file() + ": cannot infer " + field + ": it has no tensor " + source
                    + " (for " + canonical + "); state it in the config or mapping file, or check the mapping");
        }
        long[] has = weights.shape(source);
        long[] shape = WeightMapper.squeezeLeadingOnes(has, rank);
        if (shape.length != rank || Arrays.stream(shape).anyMatch(d -> d < 1 || d > Integer.MAX_VALUE)) {
            throw new ModelFormatException(weights.file() + ": cannot read " + field + " off " + source + " "
                    + Arrays.toString(has) + " (expected " + expected + (shape.length == rank
                            ? ", each dimension from 1 to " + Integer.MAX_VALUE : "") + "); state " + state);
        }
        return shape;
    }
}
