package io.github.vit4j.image;

import java.util.function.IntToDoubleFunction;

/**
 * Plain bilinear resizing of one channel plane, the way {@code torch.nn.functional.interpolate(mode='bilinear',
 * align_corners=False)} does it without antialiasing.
 *
 * <p>Output pixel {@code i} of {@code out} samples the input at the half-pixel-centred coordinate
 * {@code s = (i + 0.5) · in / out − 0.5}, clamped below at 0; with {@code i0 = floor(s)}, {@code i1 = min(i0 + 1,
 * in − 1)} and {@code t = s − i0} it takes {@code (1 − t) · p[i0] + t · p[i1]}, first along rows, then along
 * columns. Downscaling this way reads only the two nearest input pixels per axis (no area averaging), which is
 * what PyTorch does and not what PIL's antialiased {@code BILINEAR} filter does. For upscaling the two filters
 * have the same weights (PIL renormalises over the taps inside the image at the borders, which equals the clamping
 * here); what PIL adds is rounding to bytes after each pass, which {@link #resize(double[], int, int, int, int,
 * double)} can do too.
 */
final class Bilinear {

    private Bilinear() {
    }

    /**
     * Resizes a row-major {@code inH × inW} plane to {@code outH × outW}, in double, without rounding.
     */
    static double[] resize(double[] in, int inH, int inW, int outH, int outW) {
        return resize(in, inH, inW, outH, outW, 0);
    }

    /**
     * Resizes a row-major {@code inH × inW} plane to {@code outH × outW}, in double, in two passes as PIL does:
     * along rows to {@code inH × outW}, then along columns to {@code outH × outW}. When {@code level > 0} each pass
     * that changes its axis rounds its results to the nearest multiple of {@code level}, halves up
     * ({@code floor(v / level + 0.5) · level}): PIL keeps the intermediate image in 8 bits too, so with level 1 on
     * 0..255 values the result is what {@code Image.resize(…, BILINEAR)} gives when upscaling. (PIL's weights are
     * 22-bit fixed point; values within about 1e-4 of a half level may round the other way.) With
     * {@code level == 0} nothing is rounded and the values are exactly those of the one-step formula above.
     */
    static double[] resize(double[] in, int inH, int inW, int outH, int outW, double level) {
        if (in.length != inH * inW) {
            throw new IllegalArgumentException("plane of " + in.length + " values is not " + inH + "×" + inW);
        }
        return resize(k -> in[k], inH, inW, outH, outW, level);
    }

    /**
     * As {@link #resize(double[], int, int, int, int, double)}, the input's value at row {@code y}, column
     * {@code x} being {@code in.applyAsDouble(y · inW + x)}: one channel of an {@link RgbImage} read where it lies,
     * without a plane of doubles of the whole image (800 MB for 100 megapixels).
     */
    static double[] resize(IntToDoubleFunction in, int inH, int inW, int outH, int outW, double level) {
        int[] y0 = new int[outH];
        int[] y1 = new int[outH];
        double[] ty = new double[outH];
        taps(inH, outH, y0, y1, ty);
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        double[] tx = new double[outW];
        taps(inW, outW, x0, x1, tx);

        boolean[] read = new boolean[inH];                    // the input rows the second pass reads
        for (int y = 0; y < outH; y++) {
            read[y0[y]] = true;
            read[y1[y]] = true;
        }
        boolean roundRows = level > 0 && inW != outW;
        double[] rows = new double[inH * outW];             // [inH, outW]: each input row read, resized along x
        for (int y = 0; y < inH; y++) {
            if (!read[y]) {
                continue;                                     // a large downscale reads few of the rows
            }
            int row = y * inW;
            for (int x = 0; x < outW; x++) {
                double wx = tx[x];
                double v = (1 - wx) * in.applyAsDouble(row + x0[x]) + wx * in.applyAsDouble(row + x1[x]);
                rows[y * outW + x] = roundRows ? rounded(v, level) : v;
            }
        }
        double[] out = new double[outH * outW];              // [outH, outW]: those rows resized along y
        for (int y = 0; y < outH; y++) {
            int top = y0[y] * outW;
            int bottom = y1[y] * outW;
            double wy = ty[y];
            for (int x = 0; x < outW; x++) {
                out[y * outW + x] = (1 - wy) * rows[top + x] + wy * rows[bottom + x];
            }
        }
        if (level > 0 && inH != outH) {
            roundTo(out, level);
        }
        return out;
    }

    /** Rounds each value to the nearest multiple of {@code level}, halves up. */
    private static void roundTo(double[] values, double level) {
        for (int k = 0; k < values.length; k++) {
            values[k] = rounded(values[k], level);
        }
    }

    /** {@code v} rounded to the nearest multiple of {@code level}, halves up. */
    private static double rounded(double v, double level) {
        return Math.floor(v / level + 0.5) * level;
    }

    /** For each output index along one axis: the two input indices it reads and the weight of the second. */
    private static void taps(int in, int out, int[] i0, int[] i1, double[] t) {
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double s = Math.max((i + 0.5) * scale - 0.5, 0);
            int lo = Math.min((int) s, in - 1);
            i0[i] = lo;
            i1[i] = Math.min(lo + 1, in - 1);
            t[i] = s - lo;
        }
    }
}
