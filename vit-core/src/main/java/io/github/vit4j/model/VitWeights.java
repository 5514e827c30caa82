package io.github.vit4j.model;

import io.github.vit4j.model.kernels.NativeEnvironment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * All parameters of a ViT, float32, in the layout the forward pass uses. Linear weights keep PyTorch's
 * {@code [out, in]} layout (the GEMM reads them transposed at no cost). Names are timm's; {@link #tensors()} and
 * {@link #fromTensors} convert to and from a flat name → array map, the form the native file and the converter
 * speak.
 *
 * <p>Weights are never written to: they may be memory-mapped read-only, and writing to such a mapping crashes the
 * JVM.
 *
 * @param config     the architecture these weights fit (validated once, here)
 * @param patchEmbed the patchify convolution as a linear map: weight {@code [D, C·p·p]} (flattened in channel, row,
 *                   column order, as PyTorch's conv weight {@code [D, C, p, p]} flattens), bias {@code [D]}
 * @param clsToken   {@code [D]}; absent (null) in a model without CLS token
 * @param posEmbed   {@code [VitConfig.positionRows(), D]}: CLS (and distillation token) rows first, then the
 *                   trained patch grid row by row; no rows for registers
 * @param blocks     the L transformer blocks
 * @param norm       the final LayerNorm (on every token, or on the pooled token: CLIP's post_layernorm)
 * @param head       the classifier: weight {@code [C, embeddingSize]}, bias {@code [C]}; absent (null) in a model
 *                   without one
 * @param extras     the parts only some architectures have
 */
public record VitWeights(VitConfig config, Linear patchEmbed, INDArray clsToken, INDArray posEmbed,
                         List<Block> blocks, LayerNorm norm, Linear head, Extras extras) {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    /** A linear map y = x·Wᵀ + b with W {@code [out, in]}, b {@code [out]}. */
    public record Linear(INDArray weight, INDArray bias) {
    }

    /** LayerNorm's affine parameters, both {@code [D]}; the epsilon lives in {@link VitConfig}. */
    public record LayerNorm(INDArray weight, INDArray bias) {
    }

    /**
     * One pre-LN block: {@code x = x + proj(attn(qkv(norm1(x)))); x = x + fc2(gelu(fc1(norm2(x))))}.
     *
     * @param qkv the fused q|k|v projection, weight {@code [3D, D]} with rows q, then k, then v (as timm and
     *            PyTorch's {@code in_proj_weight}); bias {@code [3D]}
     */
    public record Block(LayerNorm norm1, Linear qkv, Linear proj, LayerNorm norm2, Linear fc1, Linear fc2) {
    }

    /**
     * SigLIP's attention-pooling head ({@link Architecture.Pooling#ATTENTION_PROBE}): the probe {@code [D]} attends
     * over every token (q from the probe, k|v from the tokens, the model's head count), then {@code x + mlp(norm(x))}.
     *
     * @param latent the probe, {@code [D]}
     * @param q      {@code [D, D]}
     * @param kv     k then v, {@code [2D, D]}
     * @param proj   the attention's output projection {@code [D, D]}
     * @param norm   the LayerNorm before the MLP
     * @param fc1    {@code [M, D]}
     * @param fc2    {@code [D, M]}
     */
    public record AttentionPool(INDArray latent, Linear q, Linear kv, Linear proj, LayerNorm norm, Linear fc1,
                                Linear fc2) {
    }

    /**
     * The parts only some architectures have; each is absent (null) where the {@link Architecture} has none, and
     * its accessor then refuses to answer.
     *
     * @param distToken  distilled DeiT's distillation token {@code [D]}
     * @param registers  DINOv2's register tokens {@code [R, D]}
     * @param embedNorm  CLIP's LayerNorm before the blocks
     * @param headDist   distilled DeiT's second head {@code [C, D]}
     * @param pool       SigLIP's attention pooling
     * @param projection CLIP's bias-free projection {@code [P, D']}
     */
    public record Extras(INDArray distToken, INDArray registers, LayerNorm embedNorm, Linear headDist,
                         AttentionPool pool, INDArray projection) {

        /** None of the parts: the original ViT. */
        public static final Extras NONE = new Extras(null, null, null, null, null, null);

        @Override
        public INDArray distToken() {
            return present(distToken, "a distillation token");
        }

        @Override
        public INDArray registers() {
            return present(registers, "register tokens");
        }

        @Override
        public LayerNorm embedNorm() {
            return present(embedNorm, "a LayerNorm before the blocks");
        }

        @Override
        public Linear headDist() {
            return present(headDist, "a distillation head");
        }

        @Override
        public AttentionPool pool() {
            return present(pool, "attention pooling");
        }

        @Override
        public INDArray projection() {
            return present(projection, "a projection");
        }

        private static <T> T present(T part, String what) {
            if (part == null) {
                throw new IllegalStateException("this model's architecture has no " + what
                        + "; see VitConfig.architecture()");
            }
            return part;
        }
    }

    /** Weights of the original ViT ({@link Extras#NONE}). */
    public VitWeights(VitConfig config, Linear patchEmbed, INDArray clsToken, INDArray posEmbed, List<Block> blocks,
                      LayerNorm norm, Linear head) {
        this(config, patchEmbed, clsToken, posEmbed, blocks, norm, head, Extras.NONE);
    }

    @Override
    public INDArray clsToken() {
        return Extras.present(clsToken, "CLS token");
    }

    @Override
    public Linear head() {
        return Extras.present(head, "classifier");
    }

    /**
     * @throws IllegalArgumentException naming the tensor, when one is missing, not float32, not in the shape the
     *                                  config implies, or holds a NaN or an infinity
     */
    public VitWeights {
        blocks = List.copyOf(blocks);
        extras = extras == null ? Extras.NONE : extras;
        Map<String, INDArray> actual = flatten(patchEmbed, clsToken, posEmbed, blocks, norm, head, extras);
        Map<String, long[]> expected = expectedShapes(config);
        if (blocks.size() != config.layers()) {
            throw new IllegalArgumentException("config has " + config.layers() + " layers but " + blocks.size()
                    + " blocks of weights were given");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            checkTensor(config, e.getKey(), e.getValue(), actual.get(e.getKey()));
            WeightTensors.checkFinite(e.getKey(), actual.get(e.getKey()));
        }
        for (Map.Entry<String, INDArray> e : actual.entrySet()) {
            if (e.getValue() != null && !expected.containsKey(e.getKey())) {
                throw noSuchPart(config, e.getKey());
            }
        }
    }

    private static IllegalArgumentException noSuchPart(VitConfig config, String name) {
        return new IllegalArgumentException("tensor " + name + " was given, but the architecture "
                + config.architecture() + " has no such part; does the config match these weights?");
    }

    /**
     * The same weights for {@code height × width} inputs ({@link VitConfig#withImageSize(int, int)}): the position
     * embeddings of the trained grid are resized to the new one, as Hugging Face's {@code interpolate_pos_encoding}
     * does, when a {@link Vit} or {@link ReferenceForward} is made of them.
     */
    public VitWeights withImageSize(int height, int width) {
        return fromTensors(config.withImageSize(height, width), tensors());
    }

    /**
     * What the embedding adds to the patch embeddings, as one table {@code [T, D]} (a new array): row t is token t's
     * position embedding (the trained grid's, resized to the input's grid where they differ; zero for registers,
     * which Hugging Face inserts after the positions were added), plus, for the tokens before the patches (CLS, the
     * distillation token, the registers), the token itself. Block 0's {@code resid_pre} is
     * {@code concat(zeros [P, D], embed) + tokenTable()}, then CLIP's LayerNorm before the blocks where the
     * architecture has it ({@link Architecture#embedNorm()}). For exporters (vit-onnx) and readers of the embedding.
     */
    public INDArray tokenTable() {
        TokenTable t = TokenTable.of(this);
        INDArray table = t.positions().dup('c');                                                // [T, D]
        if (t.prefix() != null) {
            table.get(NDArrayIndex.interval(0, config.prefixTokens()), NDArrayIndex.all()).addi(t.prefix());
        }
        return table;
    }

    /** The tensors in timm's names and the forward's layout, in a fixed order (embeddings, blocks, norm, head). */
    public Map<String, INDArray> tensors() {
        Map<String, INDArray> t = flatten(patchEmbed, clsToken, posEmbed, blocks, norm, head, extras);
        t.keySet().retainAll(expectedShapes(config).keySet());
        return t;
    }

    /**
     * Weights from a flat map in timm's names and the forward's shapes (see {@link #expectedShapes}).
     *
     * @throws IllegalArgumentException naming the first missing tensor, unexpected tensor, wrong shape, or tensor
     *                                  holding a NaN or an infinity
     */
    public static VitWeights fromTensors(VitConfig config, Map<String, INDArray> tensors) {
        Map<String, long[]> expected = expectedShapes(config);
        List<String> unexpected = new ArrayList<>();
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                unexpected.add(name);
            }
        }
        for (String name : unexpected) {
            if (!name.startsWith("blocks.")) {
                throw noSuchPart(config, name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("unexpected tensors " + unexpected + " for a " + config.layers()
                    + "-layer ViT; expected names like " + expected.keySet().stream().limit(6).toList()
                    + "; is the layer count right?");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            checkTensor(config, e.getKey(), e.getValue(), tensors.get(e.getKey()));
        }
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            blocks.add(WeightTensors.block(tensors, "blocks." + i + "."));
        }
        AttentionPool pool = tensors.containsKey("attn_pool.latent") ? new AttentionPool(
                tensors.get("attn_pool.latent"), WeightTensors.linear(tensors, "attn_pool.q"),
                WeightTensors.linear(tensors, "attn_pool.kv"), WeightTensors.linear(tensors, "attn_pool.proj"),
                WeightTensors.layerNorm(tensors, "attn_pool.norm"), WeightTensors.linear(tensors, "attn_pool.mlp.fc1"),
                WeightTensors.linear(tensors, "attn_pool.mlp.fc2")) : null;
        Extras extras = new Extras(tensors.get("dist_token"), tensors.get("reg_token"),
                tensors.containsKey("norm_pre.weight") ? WeightTensors.layerNorm(tensors, "norm_pre") : null,
                tensors.containsKey("head_dist.weight") ? WeightTensors.linear(tensors, "head_dist") : null, pool,
                tensors.get("proj.weight"));
        return new VitWeights(config, WeightTensors.linear(tensors, "patch_embed.proj"), tensors.get("cls_token"),
                tensors.get("pos_embed"), blocks, WeightTensors.layerNorm(tensors, "norm"),
                tensors.containsKey("head.weight") ? WeightTensors.linear(tensors, "head") : null, extras);
    }

    /** Every tensor name with the shape the forward pass expects for {@code config}, in canonical order. */
    public static Map<String, long[]> expectedShapes(VitConfig c) {
        long d = c.hiddenSize();
        Architecture a = c.architecture();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("patch_embed.proj.weight", new long[] {d, c.patchDim()});
        s.put("patch_embed.proj.bias", new long[] {d});
        if (a.hasCls()) {
            s.put("cls_token", new long[] {d});
        }
        if (a.tokens() == Architecture.Tokens.CLS_AND_DISTILLATION) {
            s.put("dist_token", new long[] {d});
        }
        if (a.registers() > 0) {
            s.put("reg_token", new long[] {a.registers(), d});
        }
        s.put("pos_embed", new long[] {c.positionRows(), d});
        if (a.embedNorm()) {
            s.put("norm_pre.weight", new long[] {d});
            s.put("norm_pre.bias", new long[] {d});
        }
        for (int i = 0; i < c.layers(); i++) {
            WeightTensors.blockShapes(s, "blocks." + i + ".", d, c.mlpSize());
        }
        s.put("norm.weight", new long[] {d});
        s.put("norm.bias", new long[] {d});
        if (a.pooling() == Architecture.Pooling.ATTENTION_PROBE) {
            s.put("attn_pool.latent", new long[] {d});
            s.put("attn_pool.q.weight", new long[] {d, d});
            s.put("attn_pool.q.bias", new long[] {d});
            s.put("attn_pool.kv.weight", new long[] {2 * d, d});
            s.put("attn_pool.kv.bias", new long[] {2 * d});
            s.put("attn_pool.proj.weight", new long[] {d, d});
            s.put("attn_pool.proj.bias", new long[] {d});
            s.put("attn_pool.norm.weight", new long[] {d});
            s.put("attn_pool.norm.bias", new long[] {d});
            s.put("attn_pool.mlp.fc1.weight", new long[] {c.mlpSize(), d});
            s.put("attn_pool.mlp.fc1.bias", new long[] {c.mlpSize()});
            s.put("attn_pool.mlp.fc2.weight", new long[] {d, c.mlpSize()});
            s.put("attn_pool.mlp.fc2.bias", new long[] {d});
        }
        if (a.projection() > 0) {
            s.put("proj.weight", new long[] {a.projection(), c.pooledSize()});
        }
        if (a.head() != Architecture.Head.NONE) {
            s.put("head.weight", new long[] {c.classes(), c.embeddingSize()});
            s.put("head.bias", new long[] {c.classes()});
        }
        if (a.head() == Architecture.Head.DISTILLED) {
            s.put("head_dist.weight", new long[] {c.classes(), d});
            s.put("head_dist.bias", new long[] {c.classes()});
        }
        return s;
    }

    /**
     * Seeded random weights for shape and speed work (no trained ViT-B/16 is available offline): linear weights and
     * embeddings ~ N(0, 0.02²) as timm initialises them, biases 0.01·N(0,1), LayerNorm weight 1 + 0.1·N(0,1) and
     * bias 0.1·N(0,1) so that every parameter matters. The same seed gives the same weights on every machine.
     */
    public static VitWeights random(VitConfig config, long seed) {
        return fromTensors(config, WeightTensors.randomTensors(expectedShapes(config), seed));
    }

    private static Map<String, INDArray> flatten(Linear patchEmbed, INDArray clsToken, INDArray posEmbed,
                                                 List<Block> blocks, LayerNorm norm, Linear head, Extras extras) {
        Map<String, INDArray> t = new LinkedHashMap<>();
        WeightTensors.put(t, "patch_embed.proj", patchEmbed);
        t.put("cls_token", clsToken);
        t.put("dist_token", extras.distToken);
        t.put("reg_token", extras.registers);
        t.put("pos_embed", posEmbed);
        WeightTensors.put(t, "norm_pre", extras.embedNorm);
        for (int i = 0; i < blocks.size(); i++) {
            WeightTensors.putBlock(t, "blocks." + i + ".", blocks.get(i));
        }
        WeightTensors.put(t, "norm", norm);
        AttentionPool pool = extras.pool;
        t.put("attn_pool.latent", pool == null ? null : pool.latent());
        WeightTensors.put(t, "attn_pool.q", pool == null ? null : pool.q());
        WeightTensors.put(t, "attn_pool.kv", pool == null ? null : pool.kv());
        WeightTensors.put(t, "attn_pool.proj", pool == null ? null : pool.proj());
        WeightTensors.put(t, "attn_pool.norm", pool == null ? null : pool.norm());
        WeightTensors.put(t, "attn_pool.mlp.fc1", pool == null ? null : pool.fc1());
        WeightTensors.put(t, "attn_pool.mlp.fc2", pool == null ? null : pool.fc2());
        t.put("proj.weight", extras.projection);
        WeightTensors.put(t, "head", head);
        WeightTensors.put(t, "head_dist", extras.headDist);
        return t;
    }

    private static void checkTensor(VitConfig c, String name, long[] expected, INDArray actual) {
        WeightTensors.checkTensor(name, expected, actual, "a " + c.layers() + "-layer ViT of width "
                + c.hiddenSize(), () -> hint(c, name, actual.shape()));
    }

    private static String hint(VitConfig c, String name, long[] actual) {
        if (name.equals("pos_embed") && actual.length >= 2) {
            long tokens = actual[actual.length - 2];
            long grid = Math.round(Math.sqrt(tokens - 1));
            if (grid * grid == tokens - 1) {
                return "; " + tokens + " tokens is a " + grid + "×" + grid + " patch grid: is this a "
                        + grid * c.patchSize() + "px model (config says " + (c.square() ? c.imageSize() + "px"
                        : c.imageHeight() + "×" + c.imageWidth()) + ")?";
            }
        }
        if (name.equals("head.weight") && actual.length == 2) {
            return "; the weights have " + actual[0] + " classes but the config names " + c.classes();
        }
        return "; does the config match these weights?";
    }
}
