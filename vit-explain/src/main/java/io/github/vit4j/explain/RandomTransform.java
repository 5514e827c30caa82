package io.github.vit4j.explain;

import java.util.SplittableRandom;

/**
 * One random affine resampling of an image about its centre, as feature visualisation applies at every step
 * (lucid's jitter, scale and rotation in one): output pixel {@code o} reads the input at
 * {@code R(−angle)·(o − centre − shift) / zoom + centre}, bilinearly; what falls outside the image reads grey (0.5).
 * Linear in the image, so {@link #adjoint} carries a gradient back exactly.
 *
 * @param shiftX pixels
 * @param shiftY pixels
 * @param zoom   the scale factor, &gt; 0
 * @param angle  radians
 */
record RandomTransform(double shiftX, double shiftY, double zoom, double angle) {

    private static final double FILL = 0.5;

    /** Shifts uniform in ±{@code jitter}·size, zoom in 1 ± {@code scale}, angle in ±{@code degrees}. */
    static RandomTransform draw(SplittableRandom rng, int size, double jitter, double scale, double degrees) {
        double sx = (2 * rng.nextDouble() - 1) * jitter * size;
        double sy = (2 * rng.nextDouble() - 1) * jitter * size;
        double z = 1 + (2 * rng.nextDouble() - 1) * scale;
        double a = (2 * rng.nextDouble() - 1) * Math.toRadians(degrees);
        return new RandomTransform(sx, sy, z, a);
    }

    /** Resamples {@code c} planes of h×w starting at {@code from} in {@code in} into {@code out} at the same place. */
    void apply(double[] in, double[] out, int from, int c, int h, int w) {
        visit(h, w, (o, src, weight) -> {
            for (int ch = 0; ch < c; ch++) {
                int base = from + ch * h * w;
                out[base + o] += src < 0 ? FILL * weight : in[base + src] * weight;
            }
        });
    }

    /** The transpose of {@link #apply}: adds to {@code dIn} what {@code dOut} sends back (the fill gets nothing). */
    void adjoint(double[] dOut, double[] dIn, int from, int c, int h, int w) {
        visit(h, w, (o, src, weight) -> {
            if (src >= 0) {
                for (int ch = 0; ch < c; ch++) {
                    int base = from + ch * h * w;
                    dIn[base + src] += dOut[base + o] * weight;
                }
            }
        });
    }

    private interface Tap {
        void take(int output, int source, double weight);
    }

    /** Each output pixel's four bilinear taps (source −1 for a tap outside the image). */
    private void visit(int h, int w, Tap tap) {
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        for (int oy = 0; oy < h; oy++) {
            for (int ox = 0; ox < w; ox++) {
                double u = ox - cx - shiftX;
                double v = oy - cy - shiftY;
                double sx = (cos * u + sin * v) / zoom + cx;
                double sy = (-sin * u + cos * v) / zoom + cy;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                double fx = sx - x0;
                double fy = sy - y0;
                int o = oy * w + ox;
                for (int dy = 0; dy <= 1; dy++) {
                    for (int dx = 0; dx <= 1; dx++) {
                        double weight = (dx == 0 ? 1 - fx : fx) * (dy == 0 ? 1 - fy : fy);
                        int x = x0 + dx;
                        int y = y0 + dy;
                        boolean inside = x >= 0 && x < w && y >= 0 && y < h;
                        tap.take(o, inside ? y * w + x : -1, weight);
                    }
                }
            }
        }
    }
}
