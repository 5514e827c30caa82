package io.github.vit4j.onnx;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The steps of {@link OnnxExport}'s graph that differ between families, each written as ONNX operators the way
 * {@code ReferenceForward} computes it: the token table, the activations, attention, and the head.
 */
final class OnnxSteps {

    private OnnxSteps() {
    }

    /**
     * The tokens {@code [B, T, D]} of the patch embeddings {@code embed} {@code [B, N, D]}: the tokens before the
     * patches (with their positions, one constant row each, expanded over the batch) in front of the patches plus
     * their positions.
     */
    static String tokens(Graph g, VitWeights w, String embed) {
        VitConfig c = w.config();
        int d = c.hiddenSize();
        int first = c.prefixTokens();
        INDArray table = w.tokenTable();                                                         // [T, D]
        INDArray patchRows = table.get(NDArrayIndex.interval(first, c.tokens()), NDArrayIndex.all());
        String patches = g.node("Add", "patch_tokens", List.of(embed,
                g.weight("pos_embed.patches", patchRows.reshape(1, c.patches(), d))));          // [B, N, D]
        if (first == 0) {
            return g.node("Identity", "blocks.0.resid_pre", List.of(patches));
        }
        String batch = g.node("Slice", "batch", List.of(g.node("Shape", "input_shape", List.of(OnnxExport.INPUT)),
                g.int64s("zero", 0), g.int64s("one", 1)));                                       // [1] = B
        String prefixShape = g.node("Concat", "prefix_shape", List.of(batch, g.int64s("shape._PD", first, d)),
                Graph.integer("axis", 0));
        INDArray prefixRows = table.get(NDArrayIndex.interval(0, first), NDArrayIndex.all());
        String prefix = g.node("Expand", "prefix_tokens", List.of(g.weight("prefix_tokens.with_pos",
                prefixRows.reshape(1, first, d)), prefixShape));                                 // [B, P, D]
        return g.node("Concat", "blocks.0.resid_pre", List.of(prefix, patches), Graph.integer("axis", 1));
    }

    /** The MLP's activation of {@code x}, as the model's: exact GELU, its tanh form, or quick GELU. */
    static String activation(Graph g, String name, String x, Architecture.Activation activation) {
        return switch (activation) {
            case GELU -> {                                                           // ½x(1 + erf(x/√2))
                String erf = g.node("Erf", name + ".erf", List.of(g.node("Mul", name + ".x_over_sqrt2",
                        List.of(x, constant(g, "inv_sqrt2", (float) (1.0 / Math.sqrt(2.0)))))));
                yield g.node("Mul", name, List.of(g.node("Mul", name + ".x_half", List.of(x, half(g))),
                        g.node("Add", name + ".one_plus_erf", List.of(erf, one(g)))));
            }
            case GELU_TANH -> {                                       // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
                String cube = g.node("Pow", name + ".cube", List.of(x, constant(g, "three_f", 3f)));
                String inner = g.node("Mul", name + ".u", List.of(g.node("Add", name + ".x_plus", List.of(x,
                        g.node("Mul", name + ".cubic", List.of(cube, constant(g, "gelu_tanh_cubic", 0.044715f))))),
                        constant(g, "sqrt_2_over_pi", (float) Math.sqrt(2 / Math.PI))));
                String tanh = g.node("Tanh", name + ".tanh", List.of(inner));
                yield g.node("Mul", name, List.of(g.node("Mul", name + ".x_half", List.of(x, half(g))),
                        g.node("Add", name + ".one_plus_tanh", List.of(tanh, one(g)))));
            }
            case QUICK_GELU -> g.node("Mul", name, List.of(x, g.node("Sigmoid", name + ".sigmoid",
                    List.of(g.node("Mul", name + ".scaled", List.of(x, constant(g, "quick_gelu_scale", 1.702f)))))));
        };
    }

    /** {@code softmax(q kᵀ · scale) v} per head: q {@code [·, H, Q, d]}, k and v {@code [B, H, T, d]}. */
    static String attend(Graph g, String pre, String q, String k, String v, String scale) {
        String kT = g.node("Transpose", pre + "kT", List.of(k), Graph.ints("perm", 0, 1, 3, 2)); // [B, H, d, T]
        String scores = g.node("Mul", pre + "scores", List.of(
                g.node("MatMul", pre + "qk", List.of(q, kT)), scale));                           // [B, H, Q, T]
        String pattern = g.node("Softmax", pre + "pattern", List.of(scores), Graph.integer("axis", -1));
        return g.node("MatMul", pre + "z", List.of(pattern, v));                                 // [B, H, Q, d]
    }

    /**
     * The final LayerNorm, pooling, projection and head: the last block's resid_post {@code resid} {@code [B, T, D]}
     * → {@code output} {@code [B, C]}, each family's step as {@code ReferenceForward.head} switches it on.
     */
    static void head(Graph g, VitWeights w, String resid, String output) {
        VitConfig c = w.config();
        Architecture a = c.architecture();
        if (a.head() == Architecture.Head.DISTILLED) {                           // distilled DeiT: two heads
            String lnFinal = OnnxExport.layerNorm(g, "ln_final", resid, w.norm(), c);             // [B, T, D]
            String cls = gemm(g, "cls_logits", row(g, "ln_final.cls", lnFinal, 0), "head", w.head());
            String dist = gemm(g, "distillation_logits", row(g, "ln_final.dist", lnFinal, 1), "head_dist",
                    w.extras().headDist());                                                       // [B, C]
            g.node("Div", output, List.of(g.node("Add", "logits.sum", List.of(cls, dist)),
                    constant(g, "two_f", 2f)));                                                   // [B, C]
            return;
        }
        String pooled;                                                                            // [B, D']
        if (a.finalNormOnPooled()) {                                             // CLIP: LayerNorm on CLS alone
            pooled = OnnxExport.layerNorm(g, "pooled", row(g, "resid_final.cls", resid, 0), w.norm(), c);
        } else {
            String lnFinal = OnnxExport.layerNorm(g, "ln_final", resid, w.norm(), c);             // [B, T, D]
            pooled = switch (a.pooling()) {
                case CLS -> row(g, "pooled", lnFinal, 0);                                         // [B, D]
                case CLS_AND_PATCH_MEAN -> {                                                      // [B, 2D]
                    String patches = g.node("Slice", "ln_final.patches", List.of(lnFinal,
                            g.int64s("patches.from", c.prefixTokens()), g.int64s("patches.to", c.tokens()),
                            g.int64s("patches.axis", 1)));                                        // [B, N, D]
                    String mean = g.node("ReduceMean", "patch_mean", List.of(patches), Graph.ints("axes", 1),
                            Graph.integer("keepdims", 0));                                        // [B, D]
                    yield g.node("Concat", "pooled", List.of(row(g, "ln_final.cls", lnFinal, 0), mean),
                            Graph.integer("axis", 1));
                }
                case ATTENTION_PROBE -> attentionProbe(g, w, lnFinal);                            // [B, D]
                case CLS_AND_DISTILLATION -> throw new IllegalStateException("the distilled head reads two rows");
            };
        }
        String embedding = a.projection() == 0 ? pooled : g.node("MatMul", "image_embeds", List.of(pooled,
                g.weight("proj.weight_t", w.extras().projection().transpose())));                 // [B, P]
        switch (a.head()) {
            case LINEAR -> {
                String x = !a.cosineHead() ? embedding : g.node("Div", "embedding.normalized", List.of(embedding,
                        g.node("ReduceL2", "embedding.norm", List.of(embedding), Graph.ints("axes", 1),
                                Graph.integer("keepdims", 1))));                                  // x / ‖x‖
                gemm(g, output, x, "head", w.head());                                             // [B, C]
            }
            case NONE -> g.node("Identity", output, List.of(embedding));                          // [B, P]
            case DISTILLED -> throw new IllegalStateException("handled above");
        }
    }

    /**
     * SigLIP's attention pooling of {@code x} {@code [B, T, D]}: the probe (a constant) is the one query, over every
     * token with the model's head count; then {@code a + fc2(act(fc1(LayerNorm(a))))}.
     */
    private static String attentionProbe(Graph g, VitWeights w, String x) {
        VitConfig c = w.config();
        VitWeights.AttentionPool p = w.extras().pool();
        int d = c.hiddenSize();
        int h = c.heads();
        int dh = c.headDim();
        String probe = g.weight("attn_pool.latent", p.latent().reshape(1, d));                    // [1, D]
        String q = g.node("Transpose", "attn_pool.q", List.of(g.node("Reshape", "attn_pool.q.split",
                        List.of(OnnxExport.linear(g, "attn_pool.q.proj", probe, p.q()),
                                g.int64s("attn_pool.shape.q", 1, 1, h, dh)))),
                Graph.ints("perm", 0, 2, 1, 3));                                                  // [1, H, 1, d]
        String kv = g.node("Transpose", "attn_pool.kv.heads", List.of(g.node("Reshape", "attn_pool.kv.split",
                        List.of(OnnxExport.linear(g, "attn_pool.kv", x, p.kv()),
                                g.int64s("attn_pool.shape.kv", 0, 0, 2, h, dh)))),
                Graph.ints("perm", 2, 0, 3, 1, 4));                                               // [2, B, H, T, d]
        String k = g.node("Gather", "attn_pool.k", List.of(kv, g.int64("attn_pool.i0", 0)), Graph.integer("axis", 0));
        String v = g.node("Gather", "attn_pool.v", List.of(kv, g.int64("attn_pool.i1", 1)), Graph.integer("axis", 0));
        String z = attend(g, "attn_pool.", q, k, v,
                g.scalar("attn_pool.scale", (float) (1.0 / Math.sqrt(dh))));                      // [B, H, 1, d]
        String attended = OnnxExport.linear(g, "attn_pool.attended", g.node("Reshape", "attn_pool.z.merged",
                List.of(z, g.int64s("attn_pool.shape.BD", 0, d))), p.proj());                     // [B, D]
        String mlpPre = OnnxExport.linear(g, "attn_pool.mlp_pre",
                OnnxExport.layerNorm(g, "attn_pool.norm", attended, p.norm(), c), p.fc1());       // [B, M]
        String mlpOut = OnnxExport.linear(g, "attn_pool.mlp_out",
                activation(g, "attn_pool.mlp_post", mlpPre, c.architecture().activation()), p.fc2());
        return g.node("Add", "pooled", List.of(attended, mlpOut));                                // [B, D]
    }

    /** Row {@code token} of {@code x} {@code [B, T, D]}: {@code [B, D]}. */
    private static String row(Graph g, String name, String x, int token) {
        return g.node("Gather", name, List.of(x, g.int64(name + ".index", token)), Graph.integer("axis", 1));
    }

    /** {@code x · Wᵀ + b} as one {@code Gemm}, the weights named {@code weights}. */
    private static String gemm(Graph g, String name, String x, String weights, VitWeights.Linear lin) {
        return g.node("Gemm", name, List.of(x, g.weight(weights + ".weight", lin.weight()),
                g.weight(weights + ".bias", lin.bias())), Graph.integer("transB", 1));
    }

    private static String half(Graph g) {
        return constant(g, "half_f", 0.5f);
    }

    private static String one(Graph g) {
        return constant(g, "one_f", 1f);
    }

    /** A float scalar initializer shared by every node that reads it (added once). */
    private static String constant(Graph g, String name, float value) {
        return g.shared(name, value);
    }
}
