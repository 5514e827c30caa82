package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Vit;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Occlusion sensitivity (Zeiler &amp; Fergus 2014): slide a {@code size × size} square of one colour over the image
 * with stride {@code stride} pixels, and map the drop in the class's probability, {@code p_y(x) − p_y(occluded)}, at
 * each position: {@code [B, rows, cols]}, {@code rows = (H − size) / stride + 1}. A model without a classifier (an
 * image tower whose output is its embedding) has no probabilities: the drop is that of the output's component y,
 * {@code out_y(x) − out_y(occluded)}, as a softmax over an embedding means nothing. All occluded copies run batched;
 * the map equals computing each occluded image on its own ({@code OcclusionSensitivityTest}).
 *
 * <p>What it shows: what the prediction needs, by removing it (no gradients). Where it misleads: the filled square is
 * itself a new object in the image (a grey square may look like something); one square at a time misses evidence
 * that is present twice; the answer depends on size and stride.
 *
 * @param size   the square's side in pixels, 1..the image size
 * @param stride the step between positions in pixels, ≥ 1
 * @param fill   the square's colour per channel in [0, 1] pixels (the dataset mean:
 *               {@link #of(int, int, Preprocessing)})
 * @param batch  the most occluded images per forward
 */
public record OcclusionSensitivity(int size, int stride, double[] fill, int batch) {

    public OcclusionSensitivity {
        if (size < 1 || stride < 1 || batch < 1) {
            throw new IllegalArgumentException("size, stride and batch must be ≥ 1, got size " + size + ", stride "
                    + stride + ", batch " + batch);
        }
        if (fill == null || fill.length == 0 || Arrays.stream(fill).anyMatch(v -> !(v >= 0 && v <= 1))) {
            throw new IllegalArgumentException("fill is a colour in [0, 1] per channel, got " + Arrays.toString(fill)
                    + "; the dataset mean is Preprocessing.mean()");
        }
        fill = fill.clone();
    }

    /** A square of side {@code size} and stride {@code stride}, filled with the preprocessing's (dataset) mean. */
    public static OcclusionSensitivity of(int size, int stride, Preprocessing preprocessing) {
        return new OcclusionSensitivity(size, stride, preprocessing.mean(), 64);
    }

    @Override
    public double[] fill() {
        return fill.clone();
    }

    /** The drop in p(class) (a model without classifier: in its output's component) per position, {@code [B, rows, cols]}, for class {@code classes[i]} of image i. */
    public INDArray of(Vit vit, ImageSource.Batch images, int... classes) {
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        int c = vit.config().channels();
        int side = vit.config().imageSize();
        if (size > side || fill.length != c) {
            throw new IllegalArgumentException("an occluding square of side " + size + " with fill "
                    + Arrays.toString(fill) + " does not fit " + c + "-channel " + side + "×" + side + " images");
        }
        int per = (side - size) / stride + 1;                        // positions per axis
        float[] x = PixelModel.floats(images.pixels());
        int plane = side * side;
        float[] copies = new float[b * per * per * c * plane];
        for (int i = 0; i < b; i++) {
            for (int r = 0; r < per; r++) {
                for (int q = 0; q < per; q++) {
                    int copy = (i * per + r) * per + q;
                    System.arraycopy(x, i * c * plane, copies, copy * c * plane, c * plane);
                    occlude(copies, copy * c * plane, r * stride, q * stride, side);
                }
            }
        }
        INDArray occludedPixels = Nd4j.create(copies, new long[] {(long) b * per * per, c, side, side}, 'c');
        boolean classifies = TokenLayout.classifies(vit.config());
        double[][] clean = classifies ? model.probabilities(images.pixels()) : model.outputs(images.pixels());
        double[][] occluded = classifies ? model.probabilities(occludedPixels) : model.outputs(occludedPixels);
        float[] drop = new float[b * per * per];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < per * per; k++) {
                drop[i * per * per + k] = (float) (clean[i][ys[i]] - occluded[i * per * per + k][ys[i]]);
            }
        }
        return Nd4j.create(drop, new long[] {b, per, per}, 'c');
    }

    /** Fills the square at (top, left) of the image starting at {@code offset} of {@code pixels}. */
    void occlude(float[] pixels, int offset, int top, int left, int side) {
        for (int ch = 0; ch < fill.length; ch++) {
            for (int y = top; y < top + size; y++) {
                Arrays.fill(pixels, offset + (ch * side + y) * side + left, offset + (ch * side + y) * side + left
                        + size, (float) fill[ch]);
            }
        }
    }
}
