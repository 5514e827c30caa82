package io.github.vit4j.trace;

/**
 * ROME's window of layers restored around layer l: {@code l − ⌊w/2⌋ … l + ⌈w/2⌉ − 1}, clipped to
 * {@code [0, L − 1]}. For w = 3 that is l − 1, l, l + 1; for w = 1, l alone; for w = 2, l − 1 and l.
 * (Floor and ceiling are taken with {@link Math#floorDiv}, not Java's truncating {@code /}.)
 *
 * @param first the first layer restored
 * @param last  the last layer restored (inclusive)
 */
public record Window(int first, int last) {

    public Window {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("window must satisfy 0 <= first <= last, got " + first + ".." + last);
        }
    }

    /** The window of width {@code w} around {@code layer} in a model of {@code layers} blocks. */
    public static Window around(int layer, int w, int layers) {
        if (w < 1) {
            throw new IllegalArgumentException("window width must be >= 1, got " + w);
        }
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (layers - 1));
        }
        int lo = layer - Math.floorDiv(w, 2);
        int hi = layer - Math.floorDiv(-w, 2) - 1; // l + ceil(w/2) - 1
        return new Window(Math.max(0, lo), Math.min(layers - 1, hi));
    }

    /** Number of layers in the window after clipping. */
    public int size() {
        return last - first + 1;
    }
}
