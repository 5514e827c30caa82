package io.github.vit4j.explain;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.util.Arrays;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The model seen as a function of pixels {@code [B, C, H, W]} in [0, 1] at its input size: what the gradient methods,
 * occlusion and the attacks differentiate and evaluate. Batches larger than {@code batch} run in chunks of it.
 *
 * <p>Unlike {@link Input#pixels}, pixels are not checked to lie in the rescaled range: SmoothGrad's noisy copies
 * leave it on purpose. They must be at the model's size (nothing here resizes).
 */
final class PixelModel {

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final int batch;

    /**
     * @param batch the most images per forward (and backward), ≥ 1
     * @throws IllegalArgumentException when the preprocessing is not the model's size or channel count, or batch is not
     *                                  positive
     */
    PixelModel(Vit vit, Preprocessing preprocessing, int batch) {
        if (vit == null || preprocessing == null) {
            throw new IllegalArgumentException("a model and its preprocessing are both required, got " + vit
                    + " and " + preprocessing);
        }
        if (!vit.config().square()) {
            throw new IllegalArgumentException("the model takes " + vit.config().imageHeight() + "×"
                    + vit.config().imageWidth() + " images, but the pixel-space methods (occlusion, integrated"
                    + " gradients, feature visualization) work on images its Preprocessing makes, which are square:"
                    + " run them on the model at its square size (VitConfig.withImageSize(int)), or use a map that"
                    + " reads the run (GradCam, AttentionRollout, AttentionMaps, ActivationMaps, LogitLens)");
        }
        int size = vit.config().imageSize();
        if (preprocessing.size() != size || preprocessing.channels() != vit.config().channels()) {
            throw new IllegalArgumentException("preprocessing for " + preprocessing.channels() + "×"
                    + preprocessing.size() + "px images, but the model takes " + vit.config().channels() + "×" + size
                    + "px; use the model's own (Pretrained.preprocessing())");
        }
        checkBatch(batch);
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.batch = batch;
    }

    Vit vit() {
        return vit;
    }

    /** Checks that {@code pixels} are {@code [B, C, size, size]} for this model and returns B. */
    int check(INDArray pixels) {
        long[] want = {-1, vit.config().channels(), vit.config().imageSize(), vit.config().imageSize()};
        long[] have = pixels == null ? new long[0] : pixels.shape();
        if (have.length != 4 || have[1] != want[1] || have[2] != want[2] || have[3] != want[3] || have[0] < 1) {
            throw new IllegalArgumentException("expected pixels [B, " + want[1] + ", " + want[2] + ", " + want[3]
                    + "] in [0, 1] at the model's size, got " + (pixels == null ? null : Arrays.toString(have))
                    + "; read images with ImageSource.read(…, preprocessing), whose Batch.pixels() are that");
        }
        return (int) have[0];
    }

    /** The model's input for pixels: per channel {@code (x − mean) / std}, without the range check. */
    Input input(INDArray pixels) {
        int b = check(pixels);
        int c = preprocessing.channels();
        int plane = preprocessing.size() * preprocessing.size();
        float[] x = pixels.castTo(DataType.FLOAT).dup('c').data().asFloat();
        double[] mean = preprocessing.mean();
        double[] std = preprocessing.std();
        for (int i = 0; i < x.length; i++) {
            int ch = (i / plane) % c;
            x[i] = (float) ((x[i] - mean[ch]) / std[ch]);
        }
        return Input.normalized(Nd4j.create(x, new long[] {b, c, preprocessing.size(), preprocessing.size()}, 'c'));
    }

    /** The logits {@code [B, C]} of pixels, in chunks. */
    INDArray logits(INDArray pixels) {
        int b = check(pixels);
        INDArray out = Nd4j.create(DataType.FLOAT, b, vit.config().classes());
        for (int from = 0; from < b; from += batch) {
            int to = Math.min(b, from + batch);
            out.put(new org.nd4j.linalg.indexing.INDArrayIndex[] {NDArrayIndex.interval(from, to), NDArrayIndex.all()},
                    vit.logits(input(rows(pixels, from, to))));
        }
        return out;
    }

    /** The outputs (logits) of each image, in double: {@code [B][C]}. */
    double[][] outputs(INDArray pixels) {
        return logits(pixels).castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    /** softmax probabilities of each image, in double: {@code [B][C]}. */
    double[][] probabilities(INDArray pixels) {
        double[][] l = outputs(pixels);
        double[][] p = new double[l.length][];
        for (int i = 0; i < l.length; i++) {
            p[i] = io.github.vit4j.model.Predictions.softmax(l[i]);
        }
        return p;
    }

    /**
     * ∂objective/∂pixels {@code [B, C, H, W]} (a new array), in chunks: {@code objective} makes the objective of a
     * chunk from its rows' classes.
     *
     * @param classes one class per image (already expanded)
     */
    INDArray gradient(INDArray pixels, int[] classes, Function<int[], Objective> objective) {
        int b = check(pixels);
        INDArray out = Nd4j.create(DataType.FLOAT, pixels.shape());
        for (int from = 0; from < b; from += batch) {
            int to = Math.min(b, from + batch);
            Input input = input(rows(pixels, from, to));
            try (Activations forward = vit.run(input, Vit.keepForBackward());
                 Gradients g = vit.backward(forward, objective.apply(Arrays.copyOfRange(classes, from, to)),
                         Keep.sites(Site.embed()))) {
                out.get(NDArrayIndex.interval(from, to)).assign(g.pixels(preprocessing));
            }
        }
        return out;
    }

    /** Refuses a batch size below 1, naming it. */
    static int checkBatch(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be ≥ 1 image per forward and backward, got " + batch);
        }
        return batch;
    }

    /** ∂ logit_y/∂pixels {@code [B, C, H, W]} of images, y = {@code classes[i]} of image i (or one for all). */
    static INDArray logitGradient(Vit vit, io.github.vit4j.image.ImageSource.Batch images, int batch, int[] classes) {
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        return model.gradient(images.pixels(), expand(classes, b, vit.config().classes()), Objective::logit);
    }

    /** Rows {@code from .. to − 1} of a batch-first array, as a contiguous copy. */
    static INDArray rows(INDArray a, int from, int to) {
        return a.get(NDArrayIndex.interval(from, to)).dup('c');
    }

    /**
     * One class per image: {@code classes} as given when it names {@code b}, repeated when it names one.
     *
     * @throws IllegalArgumentException naming the counts, or a class outside the model's
     */
    static int[] expand(int[] classes, int b, int numClasses) {
        if (classes == null || (classes.length != 1 && classes.length != b)) {
            throw new IllegalArgumentException((classes == null ? "no" : classes.length) + " classes for " + b
                    + " images; give one class per image, or one for all");
        }
        int[] out = new int[b];
        for (int i = 0; i < b; i++) {
            out[i] = classes.length == 1 ? classes[0] : classes[i];
            if (out[i] < 0 || out[i] >= numClasses) {
                throw new IllegalArgumentException("class " + out[i] + " (image " + i + ") is outside the model's "
                        + numClasses + " classes (0.." + (numClasses - 1) + ")");
            }
        }
        return out;
    }

    /** Pixels as C-order floats (a copy). */
    static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /** {min, max} of {@code x[from .. from + length − 1]}. */
    static float[] range(float[] x, int from, int length) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int k = from; k < from + length; k++) {
            lo = Math.min(lo, x[k]);
            hi = Math.max(hi, x[k]);
        }
        return new float[] {lo, hi};
    }
}
