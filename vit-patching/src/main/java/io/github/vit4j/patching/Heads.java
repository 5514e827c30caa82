package io.github.vit4j.patching;

import java.util.Arrays;

/** Which attention heads a patch of {@code q}, {@code k}, {@code v}, {@code z} or {@code pattern} restores. */
public sealed interface Heads {

    static Heads all() {
        return new All();
    }

    static Heads of(int... heads) {
        return new Only(heads);
    }

    /** Every head. */
    record All() implements Heads {
        @Override
        public String toString() {
            return "all";
        }
    }

    /** Some heads. */
    record Only(int[] list) implements Heads {
        public Only {
            if (list.length == 0) {
                throw new IllegalArgumentException("select at least one head");
            }
            list = Arrays.stream(list).sorted().distinct().toArray();
            if (list[0] < 0) {
                throw new IllegalArgumentException("head indices must be >= 0, got " + list[0]);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Only h && Arrays.equals(h.list, list);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(list);
        }

        @Override
        public String toString() {
            return Arrays.toString(list);
        }
    }
}
