package io.github.vit4j.corruption;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gaussian blur of the [0, 1] pixels: a separable kernel of standard deviation {@code sigma} pixels and radius
 * ⌈3σ⌉, normalised to sum 1; edges are extended by repeating the border pixel.
 *
 * @param sigma standard deviation in pixels, > 0
 */
public record Blur(double sigma) implements PixelCorruption {

    public Blur {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("blur sigma must be > 0 pixels, got " + sigma);
        }
    }

    @Override
    public INDArray corrupt(Images images, int patchSize) {
        INDArray p = images.pixels();
        int b = (int) p.size(0);
        int c = (int) p.size(1);
        int h = (int) p.size(2);
        int w = (int) p.size(3);
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
            sum += k[i + r];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        float[] in = p.dup('c').data().asFloat();
        float[] out = new float[in.length];
        double[] tmp = new double[h * w];
        for (int plane = 0; plane < b * c; plane++) {
            int o = plane * h * w;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) {
                        s += k[i + r] * in[o + y * w + Math.min(w - 1, Math.max(0, x + i))];
                    }
                    tmp[y * w + x] = s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int i = -r; i <= r; i++) {
                        s += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
                    }
                    out[o + y * w + x] = (float) s;
                }
            }
        }
        return Nd4j.create(out, p.shape(), 'c');
    }

    @Override
    public String describe() {
        return "blur(sigma=" + sigma + "px)";
    }
}
