package io.github.vit4j.image;

import java.util.Arrays;

/**
 * Resizing 8-bit images exactly as Pillow's {@code Image.resize(size, filter)} does (its {@code libImaging/Resample.c}
 * and, for {@link Resample#NEAREST}, its affine scaling), written from its description here in Java; results are
 * byte for byte Pillow's.
 *
 * <p>A kernel filter resizes in two separable passes, along rows first (to {@code outW} columns), then along
 * columns (to {@code outH} rows); a pass whose axis keeps its length is skipped, and an image more than 100 times
 * taller than wide that gets shorter is resized along columns first, as {@code Image.resize} does. For each output
 * pixel {@code i} of an axis shrinking by {@code scale = in / out} (at least 1 for the support), the centre is
 * {@code c = (i + 0.5) · scale}, the taps are the input pixels {@code j} from {@code (int) (c − support + 0.5)} to
 * {@code (int) (c + support + 0.5)} (clipped to the image), each weighted {@code k((j − c + 0.5) / max(scale, 1))},
 * and the weights are divided by their sum. They become fixed point with {@link #PRECISION_BITS} fraction bits
 * ({@code (int) (w · 2²² ± 0.5)}), each output is {@code (2²¹ + Σ sample · weight) >> 22} clipped to 0..255: every
 * pass rounds half up to whole levels.
 *
 * <p>Samples are interleaved: {@code bands} per pixel, row-major ({@code (y · width + x) · bands + band}), each band
 * resized on its own.
 */
final class PillowResize {

    /** Fraction bits of the fixed-point weights: 32 − 8 − 2 (8 for the sample, 2 for overshoot and the sign). */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {
    }

    /**
     * Resizes {@code inW × inH} interleaved 8-bit samples to {@code outW × outH}.
     *
     * @return a new array of {@code outW · outH · bands} samples
     */
    static byte[] resize(byte[] in, int bands, int inW, int inH, int outW, int outH, Resample filter) {
        if (outW < 1 || outH < 1) {
            throw new IllegalArgumentException("cannot resize to " + outW + "×" + outH + ": sides must be positive");
        }
        if ((long) outW * outH > ImageFiles.MAX_PIXELS || (long) inH * outW * bands > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot resize " + inW + "×" + inH + " to " + outW + "×" + outH
                    + ": more than the limit of " + ImageFiles.MAX_PIXELS + " pixels (ImageFiles.MAX_PIXELS), or"
                    + " a first pass of more samples than a Java array holds");
        }
        if (in.length != (long) inW * inH * bands) {
            throw new IllegalArgumentException(in.length + " samples are not " + inW + "×" + inH + "×" + bands);
        }
        if (inW == outW && inH == outH) {
            return in.clone();
        }
        if (filter == Resample.NEAREST) {
            return nearest(in, bands, inW, inH, outW, outH);
        }
        if (inH > inW * 100L && outH < inH) {                  // Image.resize's path for very tall images
            byte[] columns = resample(in, bands, inW, inH, inW, outH, filter);
            return resample(columns, bands, inW, outH, outW, outH, filter);
        }
        return resample(in, bands, inW, inH, outW, outH, filter);
    }

    /** The two passes of a kernel filter, rows first; only the input rows the second pass reads are resized. */
    private static byte[] resample(byte[] in, int bands, int inW, int inH, int outW, int outH, Resample filter) {
        Taps vertical = taps(inH, outH, filter);
        int firstRow = vertical.start[0];
        int endRow = vertical.start[outH - 1] + vertical.count[outH - 1];
        byte[] image = in;
        int rowOffset = 0;
        if (outW != inW) {
            Taps horizontal = taps(inW, outW, filter);
            image = horizontal(in, bands, inW, firstRow, endRow, outW, horizontal);
            rowOffset = firstRow;
        }
        if (outH != inH) {
            image = vertical(image, bands, outW, rowOffset, outH, vertical);
        }
        return image;
    }

    /** Rows {@code firstRow} to {@code endRow − 1} of the input, each resized to {@code outW} columns. */
    private static byte[] horizontal(byte[] in, int bands, int inW, int firstRow, int endRow, int outW, Taps taps) {
        byte[] out = new byte[(endRow - firstRow) * outW * bands];
        for (int y = firstRow; y < endRow; y++) {
            int rowIn = y * inW * bands;
            int rowOut = (y - firstRow) * outW * bands;
            for (int x = 0; x < outW; x++) {
                int start = taps.start[x];
                int count = taps.count[x];
                int k = x * taps.size;
                for (int b = 0; b < bands; b++) {
                    int sum = 1 << (PRECISION_BITS - 1);
                    for (int j = 0; j < count; j++) {
                        sum += (in[rowIn + (start + j) * bands + b] & 0xFF) * taps.fixed[k + j];
                    }
                    out[rowOut + x * bands + b] = clip8(sum);
                }
            }
        }
        return out;
    }

    /** The image (whose row {@code r} is input row {@code r + rowOffset}) resized to {@code outH} rows. */
    private static byte[] vertical(byte[] in, int bands, int width, int rowOffset, int outH, Taps taps) {
        int rowSize = width * bands;
        byte[] out = new byte[outH * rowSize];
        int[] sums = new int[rowSize];
        for (int y = 0; y < outH; y++) {
            int start = taps.start[y] - rowOffset;
            int count = taps.count[y];
            int k = y * taps.size;
            Arrays.fill(sums, 1 << (PRECISION_BITS - 1));
            for (int j = 0; j < count; j++) {
                int row = (start + j) * rowSize;
                int weight = taps.fixed[k + j];
                for (int i = 0; i < rowSize; i++) {
                    sums[i] += (in[row + i] & 0xFF) * weight;
                }
            }
            for (int i = 0; i < rowSize; i++) {
                out[y * rowSize + i] = clip8(sums[i]);
            }
        }
        return out;
    }

    /** A fixed-point sum back to a sample: its integer part, clipped to 0..255 (the sum began at one half). */
    private static byte clip8(int sum) {
        return (byte) Math.max(0, Math.min(255, sum >> PRECISION_BITS));
    }

    /**
     * Along one axis, for each output index {@code i}: the first input index read ({@code start[i]}), how many are
     * read ({@code count[i]}), and their weights ({@code weights[i · size + j]}, and as fixed point in
     * {@code fixed}).
     */
    record Taps(int[] start, int[] count, int size, double[] weights, int[] fixed) {
    }

    /** The taps of {@code filter} resizing an axis of {@code in} pixels to {@code out}, as Pillow computes them. */
    static Taps taps(int in, int out, Resample filter) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int size = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[out];
        int[] count = new int[out];
        double[] weights = new double[out * size];
        int[] fixed = new int[out * size];
        double inverse = 1.0 / filterScale;
        for (int i = 0; i < out; i++) {
            double centre = (i + 0.5) * scale;
            int min = Math.max((int) (centre - support + 0.5), 0);
            int max = Math.min((int) (centre + support + 0.5), in) - min;
            double total = 0;
            for (int j = 0; j < max; j++) {
                double w = filter.kernel((j + min - centre + 0.5) * inverse);
                weights[i * size + j] = w;
                total += w;
            }
            for (int j = 0; j < max; j++) {
                if (total != 0.0) {
                    weights[i * size + j] /= total;
                }
                double w = weights[i * size + j];
                double scaled = w * (1 << PRECISION_BITS);
                fixed[i * size + j] = (int) (w < 0 ? -0.5 + scaled : 0.5 + scaled);
            }
            start[i] = min;
            count[i] = max;
        }
        return new Taps(start, count, size, weights, fixed);
    }

    /**
     * Pillow's nearest-neighbour scaling: output column {@code x} reads input column {@code (int) xo}, where
     * {@code xo} starts at {@code 0.5 · inW / outW} and grows by {@code inW / outW} per column (a running sum in
     * double, as Pillow adds it up), and the same for rows.
     */
    private static byte[] nearest(byte[] in, int bands, int inW, int inH, int outW, int outH) {
        int[] columns = nearestIndices(inW, outW);
        int[] rows = nearestIndices(inH, outH);
        byte[] out = new byte[outW * outH * bands];
        for (int y = 0; y < outH; y++) {
            if (rows[y] < 0) {
                continue;                                     // outside the image: Pillow fills with zeros
            }
            for (int x = 0; x < outW; x++) {
                if (columns[x] >= 0) {
                    System.arraycopy(in, (rows[y] * inW + columns[x]) * bands, out, (y * outW + x) * bands, bands);
                }
            }
        }
        return out;
    }

    private static int[] nearestIndices(int in, int out) {
        double step = (double) in / out;
        double position = step * 0.5;
        int[] index = new int[out];
        for (int i = 0; i < out; i++) {
            int j = position < 0.0 ? -1 : (int) position;
            index[i] = j < in ? j : -1;
            position += step;
        }
        return index;
    }
}
