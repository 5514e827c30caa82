package io.github.vit4j.trace;

import java.io.Serializable;
import java.util.Locale;

/**
 * How a trace's cells are obtained: {@code exact} runs every patched configuration ({@link CausalTrace});
 * {@code atp} estimates them all from one backward pass at the corrupted run ({@link AttributionPatching}, Nanda's
 * attribution patching); {@code atp-ig:K} averages the gradients over K points of the path from the corrupted to
 * the clean input first (AtP with integrated gradients).
 *
 * @param kind  the method
 * @param steps points on the path for {@link Kind#ATP_IG} (≥ 1); 1 for the others
 */
public record TraceMethod(Kind kind, int steps) implements Serializable {

    private static final long serialVersionUID = 1L;


    /** The methods. */
    public enum Kind { EXACT, ATP, ATP_IG }

    /** The points {@code atp-ig} alone means. */
    public static final int DEFAULT_STEPS = 4;

    public TraceMethod {
        if (kind == null) {
            throw new IllegalArgumentException("a trace method needs a kind: exact, atp or atp-ig");
        }
        if (kind == Kind.ATP_IG ? steps < 1 : steps != 1) {
            throw new IllegalArgumentException(kind == Kind.ATP_IG
                    ? "atp-ig needs at least 1 step on the path, got " + steps
                    : kind.name().toLowerCase(Locale.ROOT) + " takes no steps (1), got " + steps);
        }
    }

    /** Every cell from its own patched run. */
    public static TraceMethod exact() {
        return new TraceMethod(Kind.EXACT, 1);
    }

    /** Attribution patching: one backward at the corrupted run. */
    public static TraceMethod atp() {
        return new TraceMethod(Kind.ATP, 1);
    }

    /** Attribution patching with the gradients averaged over {@code steps} points of the input path. */
    public static TraceMethod atpIg(int steps) {
        return new TraceMethod(Kind.ATP_IG, steps);
    }

    /** Whether cells are estimated from gradients rather than patched runs. */
    public boolean estimated() {
        return kind != Kind.EXACT;
    }

    /** The method named {@code label}, case-insensitive: {@code exact}, {@code atp}, {@code atp-ig} or {@code atp-ig:K}. */
    public static TraceMethod parse(String label) {
        String s = label.trim().toLowerCase(Locale.ROOT);
        if (s.equals("exact")) {
            return exact();
        }
        if (s.equals("atp")) {
            return atp();
        }
        if (s.equals("atp-ig")) {
            return atpIg(DEFAULT_STEPS);
        }
        if (s.startsWith("atp-ig:")) {
            String k = s.substring("atp-ig:".length());
            try {
                int steps = Integer.parseInt(k);
                if (steps >= 1) {
                    return atpIg(steps);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("method '" + label + "' has a step count that is not a positive"
                    + " integer: '" + k + "'; expected e.g. atp-ig:4");
        }
        throw new IllegalArgumentException("unknown method '" + label + "'; expected exact, atp, atp-ig or atp-ig:K");
    }

    /** The name used in files: {@code exact}, {@code atp}, {@code atp-ig:4}. */
    public String label() {
        return switch (kind) {
            case EXACT -> "exact";
            case ATP -> "atp";
            case ATP_IG -> "atp-ig:" + steps;
        };
    }

    @Override
    public String toString() {
        return label();
    }
}
