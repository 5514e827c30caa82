package io.github.vit4j.corruption;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Occludes {@code cells} cells of the model's patch grid, chosen at random per image (seeded), by setting them
 * to the dataset mean colour (the preprocessing's mean, so they normalise to 0).
 *
 * @param cells how many grid cells to occlude ({@link #QUARTER}: a quarter of the grid)
 */
public record Occlusion(int cells) implements PixelCorruption {

    /** Occlude a quarter of the grid's cells. */
    public static final int QUARTER = -1;

    public Occlusion {
        if (cells <= 0 && cells != QUARTER) {
            throw new IllegalArgumentException("occlude at least one cell, got " + cells + "; the count must be 1 to"
                    + " the patch grid's cell count, or Occlusion.QUARTER for a quarter of the grid");
        }
    }

    @Override
    public INDArray corrupt(Images images, int patchSize) {
        INDArray p = images.pixels();
        int b = (int) p.size(0);
        int c = (int) p.size(1);
        int h = (int) p.size(2);
        int w = (int) p.size(3);
        int gh = h / patchSize;
        int gw = w / patchSize;
        int total = gh * gw;
        int n = cells == QUARTER ? Math.max(1, total / 4) : cells;
        if (n > total) {
            throw new IllegalArgumentException("cannot occlude " + n + " cells of a " + gh + "×" + gw + " grid (" + h
                    + "px images in " + patchSize + "px patches); occlude 1 to " + total + " cells");
        }
        double[] mean = images.preprocessing().mean();
        float[] out = p.dup('c').data().asFloat();
        for (int i = 0; i < b; i++) {
            SplittableRandom rng = images.random(i);
            int[] order = new int[total];
            for (int j = 0; j < total; j++) {
                order[j] = j;
            }
            for (int j = 0; j < n; j++) {
                int pick = j + rng.nextInt(total - j);
                int t = order[j];
                order[j] = order[pick];
                order[pick] = t;
                int gy = order[j] / gw;
                int gx = order[j] % gw;
                for (int ch = 0; ch < c; ch++) {
                    for (int y = gy * patchSize; y < (gy + 1) * patchSize; y++) {
                        for (int x = gx * patchSize; x < (gx + 1) * patchSize; x++) {
                            out[((i * c + ch) * h + y) * w + x] = (float) mean[ch];
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, p.shape(), 'c');
    }

    @Override
    public String describe() {
        return "occlude(" + (cells == QUARTER ? "a quarter of the" : cells) + " grid cells)";
    }
}
