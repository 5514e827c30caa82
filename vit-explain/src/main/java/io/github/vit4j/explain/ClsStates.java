package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * The CLS token's residual stream after every block ({@code resid_post[:, 0, :]}) over the first N images of a
 * dataset, with their labels: what {@link Pca} and {@link Tsne} map to the plane, one map per layer. Batched; only
 * the CLS rows are kept ({@code N · L · D} floats). A model without CLS token (SigLIP, which pools with an attention
 * probe) has no such row: its state is the mean of the patch rows ({@code resid_post[:, P:, :]} averaged over the
 * patches), the usual mean-pooled representation of such models. Registers and distilled DeiT's distillation token
 * are not part of it; for them the CLS row is read as for ViT.
 *
 * @param batch the most images per forward, ≥ 1
 */
public record ClsStates(int batch) {

    public ClsStates {
        PixelModel.checkBatch(batch);
    }

    /** 32 images per forward. */
    public static ClsStates defaults() {
        return new ClsStates(32);
    }

    /**
     * @param states {@code [L][N][D]}: image n's CLS vector after block l
     * @param labels each image's label, or {@link ImageSource#UNKNOWN_LABEL}
     * @param images each image's index in its source
     */
    public record Result(double[][][] states, int[] labels, int[] images) {

        /** The N points of layer l, {@code [N][D]}. */
        public double[][] layer(int l) {
            if (l < 0 || l >= states.length) {
                throw new IllegalArgumentException("layer " + l + " is outside the model's " + states.length
                        + " blocks (0.." + (states.length - 1) + ")");
            }
            return states[l];
        }
    }

    /** The states of the first {@code limit} images of {@code source}. */
    public Result of(Vit vit, ImageSource source, Preprocessing preprocessing, int limit) throws IOException {
        return of(vit, source, preprocessing, limit, done -> { });
    }

    /** As {@link #of(Vit, ImageSource, Preprocessing, int)}, telling {@code progress} the images done after each batch. */
    public Result of(Vit vit, ImageSource source, Preprocessing preprocessing, int limit, IntConsumer progress)
            throws IOException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be ≥ 1 image, got " + limit);
        }
        int n = Math.min(limit, source.size());
        int layers = vit.config().layers();
        int d = vit.config().hiddenSize();
        int t = vit.config().tokens();
        boolean cls = vit.config().architecture().hasCls();
        int patches = vit.config().patches();
        double[][][] states = new double[layers][n][d];
        int[] labels = new int[n];
        int[] images = new int[n];
        for (int from = 0; from < n; from += batch) {
            ImageSource.Batch b = source.read(from, Math.min(batch, n - from), preprocessing);
            try (Activations run = vit.run(b.input(), Keep.kinds(Site.Kind.RESID_POST))) {
                for (int l = 0; l < layers; l++) {
                    float[] a = PixelModel.floats(run.get(Site.residPost(l)));                  // [B, T, D]
                    for (int i = 0; i < b.size(); i++) {
                        if (cls) {
                            for (int k = 0; k < d; k++) {
                                states[l][from + i][k] = a[i * t * d + k];
                            }
                        } else {
                            for (int p = 0; p < patches; p++) {
                                for (int k = 0; k < d; k++) {
                                    states[l][from + i][k] += a[(i * t + p) * d + k] / (double) patches;
                                }
                            }
                        }
                    }
                }
            }
            for (int i = 0; i < b.size(); i++) {
                labels[from + i] = b.label(i).orElse(ImageSource.UNKNOWN_LABEL);
                images[from + i] = b.index(i);
            }
            progress.accept(Math.min(n, from + batch));
        }
        return new Result(states, labels, images);
    }
}
