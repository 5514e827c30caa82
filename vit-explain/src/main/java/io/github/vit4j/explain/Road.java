package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ROAD, RemOve And Debias (Rong et al. 2022, ICML): the deletion curve without plain deletion's out-of-distribution
 * artefact. The removed patches are not filled with one colour, whose shape itself tells the model where they are,
 * but imputed from the kept pixels around them ({@link NoisyLinearImputation}: each removed pixel the weighted mean
 * of its 8 neighbours, 1/6 direct and 1/12 diagonal, solved per channel as a sparse system, plus Gaussian noise).
 *
 * <p>Exactly: patches ranked as in {@link Faithfulness} (mean of the map over each patch, ties by index); S + 1
 * points, step i removing {@code floor(i · N / S)} patches, in MoRF order (most relevant first: a good map falls
 * fast, small AUC) or LeRF order (least relevant first: a good map stays high, large AUC); p the explained class's
 * softmax probability; the AUC by the trapezoid rule over {@code i / S} ({@link Faithfulness.Curve#auc}). Imputation
 * runs on the [0, 1] pixels, where it gives the same values as on the normalised input (a weighted mean commutes with
 * the per-channel affine normalisation); {@code noise} is in units of the normalised input (ROAD's 0.01), i.e.
 * {@code noise · std[c]} in pixels. At the last step everything is removed and every pixel is the dataset mean (the
 * value 0 of the normalised input) plus noise. The noise comes from {@code seed}, so a curve is reproducible.
 * LeRF's order is MoRF's reversed (so among tied units the higher index goes first). Cost: one forward per point,
 * plus 3 conjugate-gradient solves per point (on one core at 224 px, 2026-12-07: ~0.13 s per channel with half the
 * patches removed, ~0.37 s with 90%).
 *
 * <p>Granularity: {@link Granularity#PATCH}, as deletion and insertion (N patches), or {@link Granularity#PIXEL}, as
 * ROAD's paper (N = H · W pixels ranked by the map's value at each pixel, ties by row-major index; a map on the patch
 * grid gives each pixel its patch's value).
 *
 * @param steps       S, ≥ 1
 * @param granularity what one unit of removal is
 * @param noise the imputation noise's standard deviation in normalised units, ≥ 0 (ROAD's default: 0.01)
 * @param seed  the noise's seed
 * @param batch the most images per forward, ≥ 1
 */
public record Road(int steps, Granularity granularity, double noise, long seed, int batch) {

    /** ROAD's noise: {@value}. */
    public static final double DEFAULT_NOISE = 0.01;

    public Road {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1 (S + 1 points on the curve), got " + steps);
        }
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException("noise is a standard deviation ≥ 0 in normalised units, got " + noise
                    + " (ROAD's default is Road.DEFAULT_NOISE = " + DEFAULT_NOISE + ")");
        }
        if (granularity == null) {
            throw new IllegalArgumentException("a granularity is required: Road.Granularity.PATCH or PIXEL");
        }
        PixelModel.checkBatch(batch);
    }

    /** Patches, ROAD's noise, batches of 64. */
    public static Road of(int steps, long seed) {
        return new Road(steps, Granularity.PATCH, DEFAULT_NOISE, seed, 64);
    }

    /** What is removed at a time. */
    public enum Granularity {
        /** One patch of the model's grid. */
        PATCH,
        /** One pixel (all its channels). */
        PIXEL
    }

    /** Which patches go first. */
    public enum Order {
        /** Most relevant first. */
        MORF,
        /** Least relevant first. */
        LERF
    }

    /** The ROAD curve of each image i in {@code order} for class {@code classes[i]} (one for all, or one per image). */
    public List<Faithfulness.Curve> of(Order order, Vit vit, ImageSource.Batch images, INDArray maps, int... classes) {
        if (order == null) {
            throw new IllegalArgumentException("an order is required: Road.Order.MORF or Road.Order.LERF");
        }
        TokenLayout.requireClassifier(vit.config(), "Road.of");
        PixelModel model = new PixelModel(vit, images.preprocessing(), batch);
        int b = model.check(images.pixels());
        Faithfulness.checkMaps(maps, b);
        int[] ys = PixelModel.expand(classes, b, vit.config().classes());
        int patch = vit.config().patchSize();
        int grid = vit.config().imageSize() / patch;
        int side = grid * patch;
        int c = vit.config().channels();
        int size = c * side * side;
        double[] mean = images.preprocessing().mean();
        double[] std = images.preprocessing().std();
        float[] x = PixelModel.floats(images.pixels());
        Random random = new Random(seed);
        List<Faithfulness.Curve> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int[] ranked = PatchRanking.mostRelevantFirst(granularity == Granularity.PATCH
                    ? PatchRanking.scores(maps, i, grid, patch) : PatchRanking.pixelScores(maps, i, grid, patch));
            float[] all = new float[(steps + 1) * size];
            for (int s = 0; s <= steps; s++) {
                System.arraycopy(x, i * size, all, s * size, size);
                boolean[] removed = new boolean[side * side];
                for (int r = 0; r < PatchRanking.removedAt(s, ranked.length, steps); r++) {
                    int k = order == Order.MORF ? ranked[r] : ranked[ranked.length - 1 - r];
                    if (granularity == Granularity.PIXEL) {
                        removed[k] = true;
                        continue;
                    }
                    for (int y = (k / grid) * patch; y < (k / grid + 1) * patch; y++) {
                        for (int q = (k % grid) * patch; q < (k % grid + 1) * patch; q++) {
                            removed[y * side + q] = true;
                        }
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    NoisyLinearImputation.impute(all, s * size + ch * side * side, side, side, removed, mean[ch],
                            noise * std[ch], random);
                }
            }
            out.add(new Faithfulness.Curve(Faithfulness.probabilities(model, all, steps + 1, ys[i])));
        }
        return List.copyOf(out);
    }
}
