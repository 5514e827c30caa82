package io.github.vit4j.explain;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.Arrays;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The patch-embedding filters as pictures: each of the D rows of {@code patch_embed}'s weight {@code [D, C·p·p]}
 * (channel, row, column order, as PyTorch's conv weight flattens) is a p×p tile of C channels, scaled to [0, 1] on
 * its own ({@code (w − min) / (max − min)} over the tile; a constant filter is mid-grey), laid out in a grid, or
 * grouped by {@link KMeans} on the raw filters with the groups side by side (the DeiT-S study's "solid colour /
 * dark / regular" kinds). Tiles are separated by a 1-pixel white line, groups by a p-pixel white gap.
 *
 * <p>Where it misleads: per-tile scaling hides how strong a filter is (a near-zero "dark" filter looks as vivid as
 * any other); cluster by the raw weights (as here) to keep that, and read the group, not the tile.
 *
 * @param weights the filters {@code [D, C, p, p]} as the model holds them (a copy)
 */
public record PatchFilters(INDArray weights) {

    public PatchFilters {
        long[] s = weights == null ? new long[0] : weights.shape();
        if (s.length != 4 || s[2] != s[3] || s[0] < 1) {
            throw new IllegalArgumentException("expected filters [D, C, p, p], got "
                    + (weights == null ? null : Arrays.toString(s)) + "; use PatchFilters.of(vit.weights())");
        }
    }

    /** The filters of a model's patch embedding. */
    public static PatchFilters of(VitWeights weights) {
        VitConfig c = weights.config();
        INDArray w = weights.patchEmbed().weight();                                         // [D, C·p·p]
        return new PatchFilters(w.dup('c').reshape(c.hiddenSize(), c.channels(), c.patchSize(), c.patchSize()));
    }

    /** D, the number of filters. */
    public int count() {
        return (int) weights.size(0);
    }

    /** The raw filters as points {@code [D][C·p·p]} (what {@link #clusters} groups). */
    public double[][] points() {
        return weights.reshape(count(), -1).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
    }

    /** The tiles {@code [D, p, p, C]}, each scaled to [0, 1] on its own. */
    public INDArray tiles() {
        int d = count();
        int c = (int) weights.size(1);
        int p = (int) weights.size(2);
        float[] w = PixelModel.floats(weights);
        int per = c * p * p;
        float[] out = new float[w.length];
        for (int f = 0; f < d; f++) {
            float[] range = PixelModel.range(w, f * per, per);
            float min = range[0];
            float max = range[1];
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < p; y++) {
                    for (int x = 0; x < p; x++) {
                        float v = w[f * per + (ch * p + y) * p + x];
                        out[f * per + (y * p + x) * c + ch] = max > min ? (v - min) / (max - min) : 0.5f;
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {d, p, p, c}, 'c');
    }

    /**
     * Every tile in a grid of {@code columns} columns, in filter order, row by row: an image
     * {@code [rows·(p+1)+1, columns·(p+1)+1, C]} with white lines between tiles.
     */
    public INDArray grid(int columns) {
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be ≥ 1, got " + columns + " (16 suits 128 filters)");
        }
        int[] all = new int[count()];
        Arrays.setAll(all, i -> i);
        return new Layout(tiles(), new int[][] {all}, columns, 0).image();
    }

    /** The filters grouped by k-means on the raw weights ({@code kmeans.of(points())}). */
    public KMeans.Result clusters(KMeans kmeans) {
        return kmeans.of(points());
    }

    /**
     * The groups of {@code clusters} side by side, largest first, each a grid of about √(D/k) columns: an image
     * {@code [H, W, C]} with white between tiles and a p-pixel white gap between groups.
     */
    public INDArray clusterImage(KMeans.Result clusters) {
        if (clusters.cluster().length != count()) {
            throw new IllegalArgumentException("clusters of " + clusters.cluster().length + " points for " + count()
                    + " filters; cluster these filters (clusters(kmeans))");
        }
        int k = clusters.sizes().length;
        int[][] groups = new int[k][];
        for (int g = 0; g < k; g++) {
            groups[g] = clusters.members(g);
        }
        int columns = Math.max(1, (int) Math.ceil(Math.sqrt(count() / (double) k)));
        return new Layout(tiles(), groups, columns, (int) weights.size(2)).image();
    }

    /** Tiles {@code [N, p, p, C]} placed group after group, each group a block of {@code columns} columns. */
    private record Layout(INDArray tiles, int[][] groups, int columns, int gap) {

        INDArray image() {
            int p = (int) tiles.size(1);
            int c = (int) tiles.size(3);
            int cell = p + 1;
            int rows = 1;
            for (int[] g : groups) {
                rows = Math.max(rows, (g.length + columns - 1) / columns);
            }
            int blockWidth = columns * cell + 1;
            int width = groups.length * blockWidth + (groups.length - 1) * gap;
            int height = rows * cell + 1;
            float[] t = PixelModel.floats(tiles);
            float[] out = new float[height * width * c];
            Arrays.fill(out, 1f);
            for (int g = 0; g < groups.length; g++) {
                int left = g * (blockWidth + gap);
                for (int j = 0; j < groups[g].length; j++) {
                    int top = (j / columns) * cell + 1;
                    int x0 = left + (j % columns) * cell + 1;
                    int f = groups[g][j];
                    for (int y = 0; y < p; y++) {
                        System.arraycopy(t, ((f * p + y) * p) * c, out, ((top + y) * width + x0) * c, p * c);
                    }
                }
            }
            return Nd4j.create(out, new long[] {height, width, c}, 'c');
        }
    }
}
