package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Deletion and insertion curves at patch granularity (Petsiuk et al. 2018, RISE; as Chefer et al. 2021 use them for
 * ViTs): does removing what a map calls relevant destroy the prediction (deletion: a good map falls fast, small AUC),
 * and does restoring it first bring the prediction back (insertion: a good map rises fast, large AUC)?
 *
 * <p>Exactly: the N patches are ranked by the map ({@link PatchRanking}: the mean over each patch's pixels, a map on
 * the patch grid as it is; ties by index), most relevant first for both curves. A removed patch takes the value 0 of
 * the normalised input, i.e. the dataset mean {@code Preprocessing.mean()} in [0, 1] pixels. The curve has S + 1
 * points: step i (0..S) removes, for deletion, the {@code floor(i · N / S)} most relevant patches from the image, and
 * for insertion restores them into the all-removed image. {@code p} is the softmax probability of the explained
 * class; the AUC is the trapezoid rule over the fraction {@code i / S} in [0, 1]. The S + 1 images of one curve run
 * as batches of {@code batch}.
 *
 * <p>Where it misleads: a grey patch is itself out of distribution, so the deletion curve also measures how the model
 * takes grey squares; {@link Road} imputes instead.
 *
 * @param steps S, ≥ 1 (the number of patches gives one patch per step)
 * @param batch the most images per forward, ≥ 1
 */
public record Faithfulness(int steps, int batch) {

    public Faithfulness {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1 (S + 1 points on the curve), got " + steps
                    + "; the patch count gives one patch per step");
        }
        PixelModel.checkBatch(batch);
    }

    /**
     * One curve: {@code p[i]} at the fraction {@code i / S}.
     *
     * @param p the explained class's softmax probability at each of the S + 1 steps
     */
    public record Curve(double[] p) {

        public Curve {
            if (p == null || p.length < 2) {
                throw new IllegalArgumentException("a curve needs at least 2 points (S + 1 with S ≥ 1), got "
                        + (p == null ? null : p.length));
            }
            p = p.clone();
        }

        @Override
        public double[] p() {
            return p.clone();
        }

        /** S, the number of steps. */
        public int steps() {
            return p.length - 1;
        }

        /** The fraction {@code i / S} of step i. */
        public double fraction(int i) {
            return i / (double) steps();
        }

        /** The trapezoid rule over the fractions: {@code Σ_i (p[i] + p[i+1]) / 2 · 1/S}. */
        public double auc() {
            double sum = 0;
            for (int i = 0; i < p.length - 1; i++) {
                sum += (p[i] + p[i + 1]) / 2;
            }
            return sum / steps();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Curve c && Arrays.equals(p, c.p);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(p);
        }

        @Override
        public String toString() {
            return "Curve" + Arrays.toString(p);
        }
    }

    /** The deletion curve of each image i for class {@code classes[i]} (one for all, or one per image). */
    public List<Curve> deletion(Vit vit, ImageSource.Batch images, INDArray maps, int... classes) {
        return curves(vit, images, maps, classes, false);
    }

    /** The insertion curve of each image i for class {@code classes[i]} (one for all, or one per image). */
    public List<Curve> insertion(Vit vit, ImageSource.Batch images, INDArray maps, int... classes) {
        return curves(vit, images, maps, classes, true);
    }

    private List<Curve> curves(Vit vit, ImageSource.Batch images, INDArray maps, int[] classes, boolean insert) {
        TokenLayout.requireClassifier(vit.config(), insert ? "Faithfulness.insertion" : "Faithfulness.deletion");
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        checkMaps(maps, b);
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        int patch = vit.config().patchSize();
        int grid = vit.config().imageSize() / patch;
        int c = vit.config().channels();
        int size = c * grid * patch * grid * patch;
        double[] mean = images.preprocessing().mean();
        float[] x = PixelModel.floats(images.pixels());
        List<Curve> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int[] order = PatchRanking.mostRelevantFirst(PatchRanking.scores(maps, i, grid, patch));
            float[] removed = new float[size];
            for (int k = 0; k < order.length; k++) {
                PatchRanking.fill(removed, 0, k, grid, patch, mean);
            }
            float[] steps = new float[(this.steps + 1) * size];
            for (int s = 0; s <= this.steps; s++) {
                System.arraycopy(insert ? removed : x, insert ? 0 : i * size, steps, s * size, size);
                for (int r = 0; r < PatchRanking.removedAt(s, order.length, this.steps); r++) {
                    if (insert) {
                        PatchRanking.copy(x, i * size, steps, s * size, order[r], grid, patch, c);
                    } else {
                        PatchRanking.fill(steps, s * size, order[r], grid, patch, mean);
                    }
                }
            }
            out.add(new Curve(probabilities(model, steps, this.steps + 1, ys[i])));
        }
        return List.copyOf(out);
    }

    /** p(class) of each of {@code count} C-order images {@code [C, side, side]} in {@code pixels}. */
    static double[] probabilities(PixelModel model, float[] pixels, int count, int y) {
        int c = model.vit().config().channels();
        int side = model.vit().config().imageSize();
        double[][] p = model.probabilities(Nd4j.create(pixels, new long[] {count, c, side, side}, 'c'));
        double[] out = new double[count];
        for (int s = 0; s < count; s++) {
            out[s] = p[s][y];
        }
        return out;
    }

    /** Refuses maps that are not one per image. */
    static void checkMaps(INDArray maps, int b) {
        if (maps == null || maps.rank() != 3 || maps.size(0) != b) {
            throw new IllegalArgumentException("expected one map per image, [" + b + ", h, w], got "
                    + (maps == null ? null : Arrays.toString(maps.shape())));
        }
    }
}
