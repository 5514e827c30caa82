package io.github.vit4j.patching;

import io.github.vit4j.model.VitConfig;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Which token positions a patch restores. Positions count the CLS token as 0 and patch (row r, column c) of the
 * grid as {@code 1 + r·grid + c}. Plain data, serializable (a distributed trace ships it to its workers).
 */
public sealed interface Tokens extends Serializable {

    /** The selected positions for a model of config {@code c}, ascending, each in {@code [0, T)}. */
    int[] positions(VitConfig c);

    /** A choice by name, case-insensitive: {@code all}, {@code cls} or {@code patches}. */
    static Tokens parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "all" -> all();
            case "cls" -> cls();
            case "patches" -> patches();
            default -> throw new IllegalArgumentException("unknown tokens '" + name + "'; expected all, cls or patches");
        };
    }

    /** Every token: the whole site. */
    static Tokens all() {
        return new All();
    }

    /** The CLS token alone. */
    static Tokens cls() {
        return new Positions(new int[] {0});
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
            return IntStream.range(1, c.tokens()).toArray();
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
                        + c.tokens() + " tokens (0 = CLS, 1.." + c.patches() + " = patches)");
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
            return list.length == 1 && list[0] == 0 ? "cls" : "positions" + Arrays.toString(list);
        }
    }

    /** A rectangle of grid cells. */
    record Rectangle(int row, int column, int height, int width) implements Tokens {
        public Rectangle {
            if (row < 0 || column < 0 || height <= 0 || width <= 0) {
                throw new IllegalArgumentException("rectangle needs row, column >= 0 and height, width > 0, got row "
                        + row + " column " + column + " height " + height + " width " + width);
            }
        }

        @Override
        public int[] positions(VitConfig c) {
            int g = c.gridSize();
            if (row + height > g || column + width > g) {
                throw new IllegalArgumentException("rectangle rows " + row + ".." + (row + height - 1) + ", columns "
                        + column + ".." + (column + width - 1) + " leaves the " + g + "×" + g + " patch grid");
            }
            int[] p = new int[height * width];
            int i = 0;
            for (int r = row; r < row + height; r++) {
                for (int col = column; col < column + width; col++) {
                    p[i++] = 1 + r * g + col;
                }
            }
            return p;
        }
    }
}
