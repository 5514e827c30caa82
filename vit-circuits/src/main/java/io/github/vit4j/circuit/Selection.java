package io.github.vit4j.circuit;

/** How a faithfulness curve chooses the edges of its circuits from edge scores. */
public enum Selection {
    /** The k edges of largest |score|, as they are (edges off every input-to-output path stay counted). */
    TOP,
    /**
     * Greedy from the output (Hanna et al. 2024): the next edge is the one of largest |score| among the edges into
     * the output or into a node already in the circuit; each circuit is then pruned to the edges on a path from
     * the input to the output ({@link CircuitGraph#connected}), and counted after pruning.
     */
    GREEDY;

    /** {@code top} or {@code greedy}: the name in files. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
