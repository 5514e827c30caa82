package io.github.vit4j.patching;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Which token positions a patch restores. Positions count the tokens before the patches first (CLS at 0, then
 * distilled DeiT's distillation token at 1, or DINOv2's registers at 1..R; none for SigLIP), then patch (row r,
 * column c) of the grid at {@code P + r·grid + c} with P = {@link VitConfig#prefixTokens()} (1 for a plain ViT).
 * Plain data, serializable (a distributed trace ships it to its workers).
 */
public sealed interface Tokens extends Serializable {

    /** The selected positions for a model of config {@code c}, ascending, each in {@code [0, T)}. */
    int[] positions(VitConfig c);

    /**
     * A choice by name, case-insensitive: {@code all}, {@code cls}, {@code patches}, {@code registers} or
     * {@code distillation}.
     */
    static Tokens parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "all" -> all();
            case "cls" -> cls();
            case "patches" -> patches();
            case "registers" -> registers();
            case "distillation" -> distillation();
            default -> throw new IllegalArgumentException("unknown tokens '" + name + "'; expected all, cls, patches,"
                    + " registers or distillation");
        };
    }

    /** DINOv2's register tokens (positions 1..R); a model without registers refuses them. */
    static Tokens registers() {
        return new Named("registers");
    }

    /** Distilled DeiT's distillation token (position 1); a model without one refuses it. */
    static Tokens distillation() {
        return new Named("distillation");
    }

    /** Every token: the whole site. */
    static Tokens all() {
        return new All();
    }

    /** The CLS token alone (position 0); a model without CLS token (SigLIP) refuses it. */
    static Tokens cls() {
        return new Named("cls");
    }

    /** Every patch token (all but CLS). */
    static Tokens patches() {
        return new PatchTokens();
    }

    /** These token positions. */
    static Tokens positions(int... positions) {
        return new Positions(positions);
    }

    /** The patch tokens of a rectangle of the patch grid: rows {@code [row, row + height)}, columns likewise. */
    static Tokens rectangle(int row, int column, int height, int width) {
        return new Rectangle(row, column, height, width);
    }

    /** Every token. */
    record All() implements Tokens {
        @Override
        public int[] positions(VitConfig c) {
            return IntStream.range(0, c.tokens()).toArray();
        }

        @Override
        public String toString() {
            return "all";
        }
    }

    /** Every patch token. */
    record PatchTokens() implements Tokens {
        @Override
        public int[] positions(VitConfig c) {
            return IntStream.range(c.prefixTokens(), c.tokens()).toArray();
        }

        @Override
        public String toString() {
            return "patches";
        }
    }

    /** Explicit positions. */
    record Positions(int[] list) implements Tokens {
        public Positions {
            if (list.length == 0) {
                throw new IllegalArgumentException("select at least one token position");
            }
            list = Arrays.stream(list).sorted().distinct().toArray();
            if (list[0] < 0) {
                throw new IllegalArgumentException("token positions must be >= 0, got " + list[0]);
            }
        }

        @Override
        public int[] positions(VitConfig c) {
            int last = list[list.length - 1];
            if (last >= c.tokens()) {
                throw new IllegalArgumentException("token position " + last + " is outside the model's "
                        + c.tokens() + " tokens (" + layout(c) + ")");
            }
            return list.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Positions p && Arrays.equals(p.list, list);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(list);
        }

        @Override
        public String toString() {
            return "positions" + Arrays.toString(list);
        }
    }

    /** The model's layout in words, for messages: e.g. "0 = CLS, 1..196 = patches". */
    static String layout(VitConfig c) {
        Architecture a = c.architecture();
        int p = c.prefixTokens();
        String prefix = switch (a.tokens()) {
            case CLS -> "0 = CLS, ";
            case CLS_AND_DISTILLATION -> "0 = CLS, 1 = distillation, ";
            case NONE -> "";
        };
        if (a.registers() > 0) {
            prefix += a.firstRegister() + ".." + (p - 1) + " = registers, ";
        }
        return prefix + p + ".." + (c.tokens() - 1) + " = patches";
    }

    /**
     * The CLS token, the distillation token or the registers, by name: where the model has them, refused where it
     * has not.
     */
    record Named(String name) implements Tokens {
        public Named {
            if (!List.of("cls", "distillation", "registers").contains(name)) {
                throw new IllegalArgumentException("unknown token name '" + name
                        + "'; expected cls, distillation or registers");
            }
        }

        @Override
        public int[] positions(VitConfig c) {
            Architecture a = c.architecture();
            boolean has = switch (name) {
                case "cls" -> a.hasCls();
                case "distillation" -> a.tokens() == Architecture.Tokens.CLS_AND_DISTILLATION;
                default -> a.registers() > 0;
            };
            if (!has) {
                throw new IllegalArgumentException("the model has no " + (name.equals("cls") ? "CLS token"
                        : name.equals("registers") ? "register tokens" : "distillation token") + " (its tokens: "
                        + layout(c) + "); choose Tokens.all(), Tokens.patches() or Tokens.positions(…)");
            }
            return switch (name) {
                case "cls" -> new int[] {0};
                case "distillation" -> new int[] {1};
                default -> IntStream.range(a.firstRegister(), c.prefixTokens()).toArray();
            };
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A rectangle of grid cells (rows of the {@code gridHeight × gridWidth} grid, row-major). */
    record Rectangle(int row, int column, int height, int width) implements Tokens {
        public Rectangle {
            if (row < 0 || column < 0 || height <= 0 || width <= 0) {
                throw new IllegalArgumentException("rectangle needs row, column >= 0 and height, width > 0, got row "
                        + row + " column " + column + " height " + height + " width " + width);
            }
        }

        @Override
        public int[] positions(VitConfig c) {
            int rows = c.gridHeight();
            int g = c.gridWidth();
            if (row + height > rows || column + width > g) {
                throw new IllegalArgumentException("rectangle rows " + row + ".." + (row + height - 1) + ", columns "
                        + column + ".." + (column + width - 1) + " leaves the " + rows + "×" + g + " patch grid");
            }
            int[] p = new int[height * width];
            int i = 0;
            for (int r = row; r < row + height; r++) {
                for (int col = column; col < column + width; col++) {
                    p[i++] = c.prefixTokens() + r * g + col;
                }
            }
            return p;
        }
    }
}
