package io.github.vit4j.explain;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The image integrated gradients starts from, "the absence of the input": black (all zeros), the image blurred, or
 * one the caller gives. The choice is the method's main assumption: attributions explain f(x) − f(baseline), so
 * a feature the baseline shares with the image (the colour black for a black baseline, coarse shapes for a blurred
 * one) gets no attribution.
 */
public final class Baseline {

    private final double blurSigma;      // > 0: blurred; 0: black or custom
    private final INDArray custom;       // [1 or B, C, H, W] or null

    private Baseline(double blurSigma, INDArray custom) {
        this.blurSigma = blurSigma;
        this.custom = custom;
    }

    /** All zeros: a black image. */
    public static Baseline black() {
        return new Baseline(0, null);
    }

    /**
     * The image under a Gaussian blur of standard deviation {@code sigma} pixels (Sturmfels et al., "Visualizing
     * the impact of feature attribution baselines"), borders extended by their edge pixel.
     */
    public static Baseline blurred(double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("blur sigma must be a finite number of pixels > 0, got " + sigma
                    + "; use Baseline.black() for no image at all");
        }
        return new Baseline(sigma, null);
    }

    /**
     * A given image {@code [1, C, H, W]} (the same for every image) or {@code [B, C, H, W]} (one per image), in
     * [0, 1] pixels like the images; e.g. the dataset mean, or noise.
     */
    public static Baseline custom(INDArray pixels) {
        if (pixels == null || pixels.rank() != 4) {
            throw new IllegalArgumentException("a custom baseline is pixels [1 or B, C, H, W], got "
                    + (pixels == null ? null : Arrays.toString(pixels.shape())));
        }
        return new Baseline(0, pixels.castTo(DataType.FLOAT).dup('c'));
    }

    /** The baseline of each image of {@code pixels} {@code [B, C, H, W]}: a new array of that shape. */
    INDArray of(INDArray pixels) {
        long[] shape = pixels.shape();
        if (custom != null) {
            long[] have = custom.shape();
            boolean fits = (have[0] == 1 || have[0] == shape[0]) && have[1] == shape[1] && have[2] == shape[2]
                    && have[3] == shape[3];
            if (!fits) {
                throw new IllegalArgumentException("custom baseline " + Arrays.toString(have) + " does not fit images "
                        + Arrays.toString(shape) + "; give [1, " + shape[1] + ", " + shape[2] + ", " + shape[3]
                        + "] or one per image");
            }
            return have[0] == shape[0] ? custom.dup('c') : custom.broadcast(shape).dup('c');
        }
        if (blurSigma == 0) {
            return Nd4j.zeros(DataType.FLOAT, shape);
        }
        return blur(pixels, blurSigma);
    }

    /**
     * Gaussian blur as two matrix products per plane: {@code K_h · X · K_wᵀ}, where row i of K holds the normalised
     * kernel centred on i (taps beyond the border fold onto the edge pixel).
     */
    private static INDArray blur(INDArray pixels, double sigma) {
        long[] shape = pixels.shape();
        int planes = (int) (shape[0] * shape[1]);
        INDArray rowsK = kernelMatrix((int) shape[2], sigma);
        INDArray colsK = kernelMatrix((int) shape[3], sigma).transpose();
        INDArray x = pixels.castTo(DataType.FLOAT).dup('c').reshape(planes, shape[2], shape[3]);
        INDArray out = Nd4j.create(DataType.FLOAT, planes, shape[2], shape[3]);
        for (int p = 0; p < planes; p++) {
            out.slice(p).assign(rowsK.mmul(x.slice(p)).mmul(colsK));
        }
        return out.reshape(shape);
    }

    private static INDArray kernelMatrix(int n, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] taps = new double[2 * radius + 1];
        double total = 0;
        for (int t = 0; t < taps.length; t++) {
            taps[t] = Math.exp(-0.5 * Math.pow((t - radius) / sigma, 2));
            total += taps[t];
        }
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < taps.length; t++) {
                int j = Math.min(n - 1, Math.max(0, i + t - radius));
                m[i * n + j] += (float) (taps[t] / total);
            }
        }
        return Nd4j.create(m, new long[] {n, n}, 'c');
    }

    @Override
    public String toString() {
        return custom != null ? "custom " + Arrays.toString(custom.shape())
                : blurSigma > 0 ? "blurred σ=" + blurSigma : "black";
    }
}
