package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All parameters of CLIP's text tower, float32, in the layout the forward pass ({@link TextTower}) uses. The blocks
 * are the image tower's ({@link VitWeights.Block}: q|k|v fused, PyTorch's {@code [out, in]} layout). Names, for
 * {@link #tensors()} and {@link #fromTensors}, are those of {@link VitWeights} where a part plays the same role:
 * <pre>
 * token_embedding      [V, D]   one row per token id
 * pos_embed            [N, D]   one row per position (N = contextLength, 77)
 * blocks.{i}.…                  as VitWeights (norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2)
 * norm.weight, .bias   [D]      the final LayerNorm (Hugging Face's final_layer_norm), on every token
 * proj.weight          [P, D]   text_projection, no bias; absent when the config has no projection
 * </pre>
 * Weights are never written to.
 *
 * @param config         the shape these weights fit (validated once, here)
 * @param tokenEmbedding {@code [V, D]}
 * @param posEmbed       {@code [N, D]}
 * @param blocks         the transformer blocks
 * @param norm           the final LayerNorm
 * @param projection     {@code [P, D]}; null when the config has no projection
 */
public record TextWeights(TextConfig config, INDArray tokenEmbedding, INDArray posEmbed, List<VitWeights.Block> blocks,
                          VitWeights.LayerNorm norm, INDArray projection) {

    /**
     * @throws IllegalArgumentException naming the tensor, when one is missing, not float32, not in the shape the
     *                                  config implies, or holds a NaN or an infinity
     */
    public TextWeights {
        if (config == null || blocks == null) {
            throw new IllegalArgumentException("a text tower's weights need its TextConfig and its blocks");
        }
        blocks = List.copyOf(blocks);
        if (blocks.size() != config.layers()) {
            throw new IllegalArgumentException("the text config has " + config.layers() + " layers but "
                    + blocks.size() + " blocks of weights were given");
        }
        Map<String, INDArray> actual = flatten(tokenEmbedding, posEmbed, blocks, norm, projection);
        Map<String, long[]> expected = expectedShapes(config);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            check(config, e.getKey(), e.getValue(), actual.get(e.getKey()));
            WeightTensors.checkFinite(e.getKey(), actual.get(e.getKey()));
        }
        if (projection != null && config.projection() == 0) {
            throw new IllegalArgumentException("a text projection was given, but the config has none (projection"
                    + " 0); state its width in the TextConfig");
        }
    }

    /** The projection as a linear map without bias: weight {@code [P, D]}, bias zeros. */
    VitWeights.Linear projectionMap() {
        if (projection == null) {
            throw new IllegalStateException("this text tower has no projection; see TextConfig.projection()");
        }
        return new VitWeights.Linear(projection, Nd4j.zeros(DataType.FLOAT, projection.size(0)));
    }

    /** Every tensor name with the shape the forward pass expects for {@code config}, in canonical order. */
    public static Map<String, long[]> expectedShapes(TextConfig c) {
        long d = c.hiddenSize();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("token_embedding", new long[] {c.vocabSize(), d});
        s.put("pos_embed", new long[] {c.contextLength(), d});
        for (int i = 0; i < c.layers(); i++) {
            WeightTensors.blockShapes(s, "blocks." + i + ".", d, c.mlpSize());
        }
        s.put("norm.weight", new long[] {d});
        s.put("norm.bias", new long[] {d});
        if (c.projection() > 0) {
            s.put("proj.weight", new long[] {c.projection(), d});
        }
        return s;
    }

    /** The tensors under the names of {@link #expectedShapes}, in its order. */
    public Map<String, INDArray> tensors() {
        Map<String, INDArray> t = flatten(tokenEmbedding, posEmbed, blocks, norm, projection);
        t.values().removeIf(v -> v == null);
        return t;
    }

    /**
     * Weights from a flat map under the names of {@link #expectedShapes}.
     *
     * @throws IllegalArgumentException naming the first unexpected or missing tensor, a wrong shape, or a tensor
     *                                  holding a NaN or an infinity
     */
    public static TextWeights fromTensors(TextConfig config, Map<String, INDArray> tensors) {
        Map<String, long[]> expected = expectedShapes(config);
        List<String> unexpected = new ArrayList<>(tensors.keySet());
        unexpected.removeAll(expected.keySet());
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("unexpected tensors " + unexpected + " for a " + config.layers()
                    + "-layer text tower" + (config.projection() == 0 ? " without projection" : "")
                    + "; expected names like " + expected.keySet().stream().limit(6).toList()
                    + "; is the layer count right?");
        }
        List<VitWeights.Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            blocks.add(WeightTensors.block(tensors, "blocks." + i + "."));
        }
        return new TextWeights(config, tensors.get("token_embedding"), tensors.get("pos_embed"), blocks,
                new VitWeights.LayerNorm(tensors.get("norm.weight"), tensors.get("norm.bias")),
                tensors.get("proj.weight"));
    }

    /**
     * Seeded random weights for shape and speed work, drawn as {@link VitWeights#random} draws them (embeddings and
     * linear weights N(0, 0.02²), LayerNorms near 1 and 0).
     */
    public static TextWeights random(TextConfig config, long seed) {
        return fromTensors(config, WeightTensors.randomTensors(expectedShapes(config), seed));
    }

    private static Map<String, INDArray> flatten(INDArray tokenEmbedding, INDArray posEmbed,
                                                 List<VitWeights.Block> blocks, VitWeights.LayerNorm norm,
                                                 INDArray projection) {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("token_embedding", tokenEmbedding);
        t.put("pos_embed", posEmbed);
        for (int i = 0; i < blocks.size(); i++) {
            WeightTensors.putBlock(t, "blocks." + i + ".", blocks.get(i));
        }
        t.put("norm.weight", norm == null ? null : norm.weight());
        t.put("norm.bias", norm == null ? null : norm.bias());
        t.put("proj.weight", projection);
        return t;
    }

    private static void check(TextConfig c, String name, long[] expected, INDArray actual) {
        WeightTensors.checkTensor(name, expected, actual, "a " + c.layers() + "-layer text tower of width "
                + c.hiddenSize(), () -> "; does the TextConfig (vocabulary " + c.vocabSize() + ", context "
                + c.contextLength() + ", width " + c.hiddenSize() + ", MLP " + c.mlpSize() + ", projection "
                + c.projection() + ") match these weights?");
    }
}
