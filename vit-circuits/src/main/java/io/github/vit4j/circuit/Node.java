package io.github.vit4j.circuit;

/**
 * A node of a circuit graph ({@link CircuitGraph}): the model's input, one attention head, one MLP, or the output.
 * Every node but the output writes to the residual stream; every node but the input reads from it.
 *
 * <pre>
 * input             blocks.0.resid_pre: the embedded tokens (CLIP: embed_ln's output, which is resid_pre)
 * blocks.L.head.H   head H's share of blocks.L.attn_out: z[:, H] · W_O[:, H·d:(H+1)·d]ᵀ (no bias)
 * blocks.L.mlp      blocks.L.mlp_out (with block L's attention output bias b_O folded in: see CircuitGraph)
 * logits            the output: the metric on the logits, which reads the last resid_post (ln_final's input)
 * </pre>
 *
 * @param kind  what the node is
 * @param layer the block of a head or MLP; −1 for the input and the output
 * @param head  the head's index in its block; −1 for the others
 */
public record Node(Kind kind, int layer, int head) implements Comparable<Node> {

    /** What a node is. */
    public enum Kind { INPUT, HEAD, MLP, LOGITS }

    public Node {
        if (kind == null) {
            throw new IllegalArgumentException("a node needs a kind: input, head, mlp or logits");
        }
        boolean inBlock = kind == Kind.HEAD || kind == Kind.MLP;
        if (inBlock ? layer < 0 : layer != -1) {
            throw new IllegalArgumentException(kind + " node with layer " + layer + "; expected "
                    + (inBlock ? "a block index >= 0" : "-1 (it belongs to no block)"));
        }
        if (kind == Kind.HEAD ? head < 0 : head != -1) {
            throw new IllegalArgumentException(kind + " node with head " + head + "; expected "
                    + (kind == Kind.HEAD ? "a head index >= 0" : "-1 (only heads have one)"));
        }
    }

    /** The input, {@code blocks.0.resid_pre}. */
    public static Node input() {
        return new Node(Kind.INPUT, -1, -1);
    }

    /** Head {@code h} of block {@code layer}. */
    public static Node head(int layer, int h) {
        return new Node(Kind.HEAD, layer, h);
    }

    /** The MLP of block {@code layer}. */
    public static Node mlp(int layer) {
        return new Node(Kind.MLP, layer, -1);
    }

    /** The output. */
    public static Node logits() {
        return new Node(Kind.LOGITS, -1, -1);
    }

    /** {@code input}, {@code blocks.3.head.7}, {@code blocks.3.mlp} or {@code logits}. */
    public String name() {
        return switch (kind) {
            case INPUT -> "input";
            case HEAD -> "blocks." + layer + ".head." + head;
            case MLP -> "blocks." + layer + ".mlp";
            case LOGITS -> "logits";
        };
    }

    /** Forward order: the input, then block by block its heads and its MLP, then the output. */
    @Override
    public int compareTo(Node o) {
        return Long.compare(order(), o.order());
    }

    private long order() {
        return switch (kind) {
            case INPUT -> -1;
            case HEAD -> (long) layer * (1L << 21) + head;
            case MLP -> (long) layer * (1L << 21) + (1L << 20);
            case LOGITS -> Long.MAX_VALUE;
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
