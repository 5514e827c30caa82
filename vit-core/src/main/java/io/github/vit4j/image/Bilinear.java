package io.github.vit4j.image;

/**
 * Plain bilinear resizing of one channel plane, the way {@code torch.nn.functional.interpolate(mode='bilinear',
 * align_corners=False)} does it without antialiasing.
 *
 * <p>Output pixel {@code i} of {@code out} samples the input at the half-pixel-centred coordinate
 * {@code s = (i + 0.5) · in / out − 0.5}, clamped below at 0; with {@code i0 = floor(s)}, {@code i1 = min(i0 + 1,
 * in − 1)} and {@code t = s − i0} it takes {@code (1 − t) · p[i0] + t · p[i1]}, first along rows, then along
 * columns. Downscaling this way reads only the two nearest input pixels per axis (no area averaging), which is
 * what PyTorch does and not what PIL's antialiased {@code BILINEAR} filter does.
 */
final class Bilinear {

    private Bilinear() {
    }

    /**
     * Resizes a row-major {@code inH × inW} plane to {@code outH × outW}, in double.
     */
    static double[] resize(double[] in, int inH, int inW, int outH, int outW) {
        if (in.length != inH * inW) {
            throw new IllegalArgumentException("plane of " + in.length + " values is not " + inH + "×" + inW);
        }
        int[] y0 = new int[outH];
        int[] y1 = new int[outH];
        double[] ty = new double[outH];
        taps(inH, outH, y0, y1, ty);
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        double[] tx = new double[outW];
        taps(inW, outW, x0, x1, tx);

        double[] out = new double[outH * outW];
        for (int y = 0; y < outH; y++) {
            int top = y0[y] * inW;
            int bottom = y1[y] * inW;
            double wy = ty[y];
            for (int x = 0; x < outW; x++) {
                double wx = tx[x];
                double upper = (1 - wx) * in[top + x0[x]] + wx * in[top + x1[x]];
                double lower = (1 - wx) * in[bottom + x0[x]] + wx * in[bottom + x1[x]];
                out[y * outW + x] = (1 - wy) * upper + wy * lower;
            }
        }
        return out;
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
