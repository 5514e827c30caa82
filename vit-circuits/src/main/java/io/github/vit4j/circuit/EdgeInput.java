package io.github.vit4j.circuit;

import java.util.Locale;

/**
 * Which input of its downstream node an edge feeds: a head reads the residual stream three times (its query, key
 * and value inputs, each through the block's first LayerNorm), an MLP once (through the second), the output once
 * (the last {@code resid_post}, through the final LayerNorm and the head).
 */
public enum EdgeInput {
    /** The query input of a head. */
    Q,
    /** The key input of a head. */
    K,
    /** The value input of a head. */
    V,
    /** The input of an MLP. */
    MLP,
    /** The output's input. */
    OUT;

    /** {@code q}, {@code k}, {@code v}, {@code mlp} or {@code out}: the name in {@code edges.csv}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The input named {@code label} (case-insensitive). */
    public static EdgeInput parse(String label) {
        for (EdgeInput i : values()) {
            if (i.label().equals(label.trim().toLowerCase(Locale.ROOT))) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown edge input '" + label + "'; expected q, k, v, mlp or out");
    }
}
