package io.github.vit4j.explain;

import java.util.SplittableRandom;

/**
 * The image parameterisation of lucid/lucent's feature visualisation, for B images of C channels, H×W pixels:
 * each channel is the real part of the orthonormal inverse 2-D DFT of a complex spectrum {@code (re + i·im)} scaled
 * by {@code 1 / max(|f|, 1 / max(H, W))} (|f| the frequency in cycles per pixel, so low frequencies dominate),
 * divided by 4; for RGB the three channels are then mixed by lucid's square root of the ImageNet colour correlation
 * (normalised by its largest column norm), and a sigmoid maps them to [0, 1]. Gradient steps on the spectrum are
 * steps in a decorrelated basis, which is what makes the pictures natural. Optimised with Adam; all in double, in
 * one thread: the same seed gives the same image, bit for bit.
 */
final class FourierImage {

    /** lucid's {@code color_correlation_svd_sqrt} (rows: R, G, B). */
    private static final double[][] COLOUR = {{0.26, 0.09, 0.02}, {0.27, 0.00, -0.05}, {0.27, -0.09, 0.03}};
    private static final double[][] MIX = normalisedColour();
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;

    private final int b;
    private final int c;
    private final int h;
    private final int w;
    private final double[] re;              // [B·C][H·W] flattened: the spectrum's parameters
    private final double[] im;
    private final double[] scale;           // [H·W]
    private final double[] cosH;
    private final double[] sinH;
    private final double[] cosW;
    private final double[] sinW;
    private final double[] mRe;
    private final double[] vRe;
    private final double[] mIm;
    private final double[] vIm;
    private int t;
    private double[] lastPixels;            // [B·C·H·W] the sigmoid output of the last render

    /** Parameters drawn from N(0, 0.01²) (lucid's start). */
    FourierImage(int b, int c, int h, int w, SplittableRandom rng) {
        this.b = b;
        this.c = c;
        this.h = h;
        this.w = w;
        int n = b * c * h * w;
        re = new double[n];
        im = new double[n];
        for (int i = 0; i < n; i++) {
            re[i] = 0.01 * Tsne.gaussian(rng);
            im[i] = 0.01 * Tsne.gaussian(rng);
        }
        scale = new double[h * w];
        for (int ky = 0; ky < h; ky++) {
            for (int kx = 0; kx < w; kx++) {
                double fy = frequency(ky, h);
                double fx = frequency(kx, w);
                scale[ky * w + kx] = 1 / Math.max(Math.sqrt(fy * fy + fx * fx), 1.0 / Math.max(h, w));
            }
        }
        cosH = table(h, true);
        sinH = table(h, false);
        cosW = table(w, true);
        sinW = table(w, false);
        mRe = new double[n];
        vRe = new double[n];
        mIm = new double[n];
        vIm = new double[n];
    }

    /** The images' pixels {@code [B·C·H·W]} in (0, 1), C-order. */
    double[] render() {
        int plane = h * w;
        double[] t0 = new double[b * c * plane];
        double[] sRe = new double[plane];
        double[] sIm = new double[plane];
        double[] outRe = new double[plane];
        double[] outIm = new double[plane];
        for (int k = 0; k < b * c; k++) {
            for (int i = 0; i < plane; i++) {
                sRe[i] = re[k * plane + i] * scale[i];
                sIm[i] = im[k * plane + i] * scale[i];
            }
            inverse(sRe, sIm, outRe, outIm);
            for (int i = 0; i < plane; i++) {
                t0[k * plane + i] = outRe[i] / 4;
            }
        }
        double[] x = mix(t0, false);
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 / (1 + Math.exp(-x[i]));
        }
        lastPixels = x;
        return x.clone();
    }

    /** One Adam step up the gradient {@code dPixels [B·C·H·W]} of the objective w.r.t. the last render's pixels. */
    void ascend(double[] dPixels, double learningRate) {
        double[][] g = gradient(dPixels);
        t++;
        double c1 = 1 - Math.pow(BETA1, t);
        double c2 = 1 - Math.pow(BETA2, t);
        for (int at = 0; at < re.length; at++) {
            re[at] += adam(mRe, vRe, at, g[0][at], c1, c2, learningRate);
            im[at] += adam(mIm, vIm, at, g[1][at], c1, c2, learningRate);
        }
    }

    /**
     * The gradient {re, im} of an objective w.r.t. the spectrum, given its gradient {@code dPixels} w.r.t. the last
     * render's pixels: back through the sigmoid, the colour mix, the /4 and the scaled inverse DFT.
     */
    double[][] gradient(double[] dPixels) {
        int plane = h * w;
        double[] g = new double[dPixels.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = dPixels[i] * lastPixels[i] * (1 - lastPixels[i]);                      // through the sigmoid
        }
        double[] gt = mix(g, true);                                                         // through the colour mix
        double[] inRe = new double[plane];
        double[] zero = new double[plane];
        double[] outRe = new double[plane];
        double[] outIm = new double[plane];
        double[] gRe = new double[re.length];
        double[] gIm = new double[im.length];
        for (int k = 0; k < b * c; k++) {
            for (int i = 0; i < plane; i++) {
                inRe[i] = gt[k * plane + i] / 4;
            }
            inverse(inRe, zero, outRe, outIm);
            for (int i = 0; i < plane; i++) {
                gRe[k * plane + i] = scale[i] * outRe[i];
                gIm[k * plane + i] = -scale[i] * outIm[i];
            }
        }
        return new double[][] {gRe, gIm};
    }

    /** Moves parameter {@code at} of the real ({@code imaginary} false) or imaginary part by {@code delta}. */
    void nudge(int at, boolean imaginary, double delta) {
        (imaginary ? im : re)[at] += delta;
    }

    private static double adam(double[] m, double[] v, int at, double grad, double c1, double c2, double lr) {
        m[at] = BETA1 * m[at] + (1 - BETA1) * grad;
        v[at] = BETA2 * v[at] + (1 - BETA2) * grad * grad;
        return lr * (m[at] / c1) / (Math.sqrt(v[at] / c2) + 1e-8);
    }

    /** The colour mix per pixel ({@code MIX · t}, or its transpose), identity unless C = 3. */
    private double[] mix(double[] x, boolean transpose) {
        if (c != 3) {
            return x.clone();
        }
        int plane = h * w;
        double[] out = new double[x.length];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < plane; p++) {
                for (int row = 0; row < 3; row++) {
                    double s = 0;
                    for (int col = 0; col < 3; col++) {
                        double m = transpose ? MIX[col][row] : MIX[row][col];
                        s += m * x[(i * 3 + col) * plane + p];
                    }
                    out[(i * 3 + row) * plane + p] = s;
                }
            }
        }
        return out;
    }

    /** The orthonormal inverse 2-D DFT, separable: along rows, then along columns. */
    private void inverse(double[] inRe, double[] inIm, double[] outRe, double[] outIm) {
        double[] tRe = new double[h * w];
        double[] tIm = new double[h * w];
        pass(inRe, inIm, tRe, tIm, h, w, w, 1, cosW, sinW, 1);
        pass(tRe, tIm, outRe, outIm, w, 1, h, w, cosH, sinH, 1 / Math.sqrt((double) h * w));
    }

    /**
     * The inverse 1-D DFT of length n along {@code lines} lines, line l starting at {@code l · lineStride} with
     * elements {@code step} apart, times {@code norm}.
     */
    private static void pass(double[] inRe, double[] inIm, double[] outRe, double[] outIm, int lines, int lineStride,
                             int n, int step, double[] cos, double[] sin, double norm) {
        for (int l = 0; l < lines; l++) {
            int base = l * lineStride;
            for (int x = 0; x < n; x++) {
                double sr = 0;
                double si = 0;
                for (int k = 0; k < n; k++) {
                    int a = (k * x) % n;
                    double ar = inRe[base + k * step];
                    double ai = inIm[base + k * step];
                    sr += ar * cos[a] - ai * sin[a];
                    si += ar * sin[a] + ai * cos[a];
                }
                outRe[base + x * step] = sr * norm;
                outIm[base + x * step] = si * norm;
            }
        }
    }

    /** numpy's {@code fftfreq}: k / n for k below n/2, (k − n) / n above. */
    static double frequency(int k, int n) {
        return (k <= (n - 1) / 2 ? k : k - n) / (double) n;
    }

    private static double[] table(int n, boolean cos) {
        double[] t = new double[n];
        for (int a = 0; a < n; a++) {
            double angle = 2 * Math.PI * a / n;
            t[a] = cos ? Math.cos(angle) : Math.sin(angle);
        }
        return t;
    }

    private static double[][] normalisedColour() {
        double max = 0;
        for (int col = 0; col < 3; col++) {
            double s = 0;
            for (int row = 0; row < 3; row++) {
                s += COLOUR[row][col] * COLOUR[row][col];
            }
            max = Math.max(max, Math.sqrt(s));
        }
        double[][] m = new double[3][3];
        for (int row = 0; row < 3; row++) {
            for (int col = 0; col < 3; col++) {
                m[row][col] = COLOUR[row][col] / max;
            }
        }
        return m;
    }
}
