package io.github.vit4j.circuit;

import java.util.Locale;

/**
 * How edge scores are estimated: {@code eap} (edge attribution patching, Syed et al. 2023) takes the gradients at
 * the corrupted run; {@code eap-ig:K} (Hanna et al. 2024) averages them over K points on the straight path from the
 * corrupted to the clean input, at {@code α = (j + ½)/K} in {@code blocks.0.resid_pre} (as vit-patching's
 * {@code atp-ig:K}).
 *
 * @param kind  the method
 * @param steps points on the path for {@link Kind#EAP_IG} (≥ 1); 1 for {@link Kind#EAP}
 */
public record EdgeMethod(Kind kind, int steps) {

    /** The methods. */
    public enum Kind { EAP, EAP_IG }

    /** The points {@code eap-ig} alone means, as in Hanna et al.'s experiments' smallest setting. */
    public static final int DEFAULT_STEPS = 5;

    public EdgeMethod {
        if (kind == null) {
            throw new IllegalArgumentException("an edge method needs a kind: eap or eap-ig");
        }
        if (kind == Kind.EAP_IG ? steps < 1 : steps != 1) {
            throw new IllegalArgumentException(kind == Kind.EAP_IG
                    ? "eap-ig needs at least 1 step on the path, got " + steps
                    : "eap takes no steps (1), got " + steps);
        }
    }

    /** Gradients at the corrupted run. */
    public static EdgeMethod eap() {
        return new EdgeMethod(Kind.EAP, 1);
    }

    /** Gradients averaged over {@code steps} points of the input path. */
    public static EdgeMethod eapIg(int steps) {
        return new EdgeMethod(Kind.EAP_IG, steps);
    }

    /** The method named {@code label}, case-insensitive: {@code eap}, {@code eap-ig} or {@code eap-ig:K}. */
    public static EdgeMethod parse(String label) {
        String s = label.trim().toLowerCase(Locale.ROOT);
        if (s.equals("eap")) {
            return eap();
        }
        if (s.equals("eap-ig")) {
            return eapIg(DEFAULT_STEPS);
        }
        if (s.startsWith("eap-ig:")) {
            String k = s.substring("eap-ig:".length());
            try {
                int steps = Integer.parseInt(k);
                if (steps >= 1) {
                    return eapIg(steps);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("edge method '" + label + "' has a step count that is not a positive"
                    + " integer: '" + k + "'; expected e.g. eap-ig:5");
        }
        throw new IllegalArgumentException("unknown edge method '" + label + "'; expected eap, eap-ig or eap-ig:K");
    }

    /** {@code eap} or {@code eap-ig:K}. */
    public String label() {
        return kind == Kind.EAP ? "eap" : "eap-ig:" + steps;
    }

    @Override
    public String toString() {
        return label();
    }
}
