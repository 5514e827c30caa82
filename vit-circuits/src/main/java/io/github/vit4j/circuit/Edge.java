package io.github.vit4j.circuit;

/**
 * An edge of a circuit graph: {@code upstream}'s output as read by {@code downstream}'s input {@code input}.
 *
 * @param upstream   the node that writes (input, a head or an MLP)
 * @param downstream the node that reads (a head, an MLP or the output), later in the forward pass
 * @param input      which of its inputs: q, k, v for a head, mlp for an MLP, out for the output
 */
public record Edge(Node upstream, Node downstream, EdgeInput input) {

    public Edge {
        if (upstream == null || downstream == null || input == null) {
            throw new IllegalArgumentException("an edge needs an upstream node, a downstream node and an input, got "
                    + upstream + " -> " + downstream + " (" + input + ")");
        }
        if (upstream.kind() == Node.Kind.LOGITS || downstream.kind() == Node.Kind.INPUT) {
            throw new IllegalArgumentException("edge " + upstream + " -> " + downstream + ": the output writes to"
                    + " nothing and the input reads nothing");
        }
        boolean fits = switch (downstream.kind()) {
            case HEAD -> input == EdgeInput.Q || input == EdgeInput.K || input == EdgeInput.V;
            case MLP -> input == EdgeInput.MLP;
            case LOGITS -> input == EdgeInput.OUT;
            case INPUT -> false;
        };
        if (!fits) {
            throw new IllegalArgumentException("edge into " + downstream + " through input " + input.label()
                    + "; a head reads q, k or v, an MLP mlp, the logits out");
        }
        if (upstream.compareTo(downstream) >= 0 || upstream.kind() == Node.Kind.HEAD
                && downstream.kind() == Node.Kind.HEAD && upstream.layer() == downstream.layer()) {
            throw new IllegalArgumentException("edge " + upstream + " -> " + downstream + " goes against the forward"
                    + " pass: a node reads only what blocks before it (and, for an MLP, its own block's heads) wrote");
        }
    }

    @Override
    public String toString() {
        return upstream + " -> " + downstream + "." + input.label();
    }
}
