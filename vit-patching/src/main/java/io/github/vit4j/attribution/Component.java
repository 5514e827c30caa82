package io.github.vit4j.attribution;

/**
 * One part of the residual stream that the final LayerNorm reads, what direct logit attribution splits the output
 * into: the input ({@code blocks.0.resid_pre}: patch embeddings, the tokens before the patches and the position
 * embeddings, after CLIP's {@code embed_ln}), one attention head's share of {@code attn_out} (z of head h times head
 * h's columns of the output projection W_O), the output projection's bias b_O of a layer (in the stream at every
 * token, part of no head), and an MLP's {@code mlp_out}. Names follow the circuits' nodes: {@code input},
 * {@code blocks.L.head.H}, {@code blocks.L.attn_bias}, {@code blocks.L.mlp}.
 *
 * @param kind  what the part is
 * @param layer its block, or −1 for the input
 * @param head  its head for {@link Kind#HEAD}, else −1
 */
public record Component(Kind kind, int layer, int head) {

    /** The kinds of part. */
    public enum Kind {
        /** {@code blocks.0.resid_pre}. */
        INPUT,
        /** One head's z · W_O (its share of {@code attn_out} without the bias). */
        HEAD,
        /** A layer's attention output bias b_O. */
        ATTN_BIAS,
        /** A layer's {@code mlp_out}. */
        MLP
    }

    /**
     * @throws IllegalArgumentException for a layer or head that does not go with the kind
     */
    public Component {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if ((kind == Kind.INPUT) != (layer == -1) || layer < -1) {
            throw new IllegalArgumentException("the input has layer −1 and every other part a layer >= 0, got "
                    + kind + " at layer " + layer);
        }
        if ((kind == Kind.HEAD) != (head >= 0) || head < -1) {
            throw new IllegalArgumentException("a head has an index >= 0 and every other part −1, got " + kind
                    + " with head " + head);
        }
    }

    /** {@code input}. */
    public static Component input() {
        return new Component(Kind.INPUT, -1, -1);
    }

    /** {@code blocks.<layer>.head.<head>}. */
    public static Component head(int layer, int head) {
        return new Component(Kind.HEAD, layer, head);
    }

    /** {@code blocks.<layer>.attn_bias}. */
    public static Component attnBias(int layer) {
        return new Component(Kind.ATTN_BIAS, layer, -1);
    }

    /** {@code blocks.<layer>.mlp}. */
    public static Component mlp(int layer) {
        return new Component(Kind.MLP, layer, -1);
    }

    /** The node's name: {@code input}, {@code blocks.3.head.1}, {@code blocks.3.attn_bias}, {@code blocks.3.mlp}. */
    @Override
    public String toString() {
        return switch (kind) {
            case INPUT -> "input";
            case HEAD -> "blocks." + layer + ".head." + head;
            case ATTN_BIAS -> "blocks." + layer + ".attn_bias";
            case MLP -> "blocks." + layer + ".mlp";
        };
    }
}
