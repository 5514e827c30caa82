package io.github.vit4j.explain;

import java.util.Arrays;
import java.util.Comparator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The patches of a square image ranked by a map, most relevant first: the shared first step of {@link Faithfulness}
 * and {@link Road}. A map on the patch grid {@code [g, g]} is taken as it is; a map at the image's size
 * {@code [H, W]} is averaged over each patch's {@code p × p} pixels. Patch k is row {@code k / g}, column
 * {@code k % g} (row-major, as the model's tokens). Ties keep the lower index first.
 */
final class PatchRanking {

    private PatchRanking() {
    }

    /** Patch k's score: the map's mean over patch k's pixels, or the map's cell k on the patch grid. */
    static double[] scores(INDArray map, int image, int grid, int patch) {
        long[] s = map == null ? new long[0] : map.shape();
        int side = grid * patch;
        boolean onGrid = s.length == 3 && s[1] == grid && s[2] == grid;
        boolean onPixels = s.length == 3 && s[1] == side && s[2] == side;
        if (!onGrid && !onPixels) {
            throw new IllegalArgumentException("expected maps [B, " + grid + ", " + grid + "] on the patch grid or [B, "
                    + side + ", " + side + "] at the image's size, got " + (map == null ? null : Arrays.toString(s))
                    + "; rank a map that vit-explain draws for this model (e.g. Chefer.of, IntegratedGradients.of"
                    + "(…).attribution().map())");
        }
        double[][] m = map.get(NDArrayIndex.point(image)).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] out = new double[grid * grid];
        int cell = onGrid ? 1 : patch;
        for (int k = 0; k < out.length; k++) {
            double sum = 0;
            for (int y = 0; y < cell; y++) {
                for (int x = 0; x < cell; x++) {
                    sum += m[(k / grid) * cell + y][(k % grid) * cell + x];
                }
            }
            out[k] = sum / (cell * cell);
        }
        return out;
    }

    /**
     * Pixel q's score (row-major): the map's value there at the image's size, or its patch's cell on the patch grid.
     */
    static double[] pixelScores(INDArray map, int image, int grid, int patch) {
        int side = grid * patch;
        boolean onPixels = map.rank() == 3 && map.size(1) == side && map.size(2) == side;
        double[] patches = onPixels ? null : scores(map, image, grid, patch);
        double[][] m = onPixels ? map.get(NDArrayIndex.point(image)).castTo(DataType.DOUBLE).toDoubleMatrix() : null;
        double[] out = new double[side * side];
        for (int q = 0; q < out.length; q++) {
            out[q] = onPixels ? m[q / side][q % side] : patches[(q / side / patch) * grid + (q % side) / patch];
        }
        return out;
    }

    /**
     * Patch indices by descending score, ties by ascending index.
     *
     * @throws IllegalArgumentException naming the patch whose score is not finite
     */
    static int[] mostRelevantFirst(double[] scores) {
        for (int k = 0; k < scores.length; k++) {
            if (!Double.isFinite(scores[k])) {
                throw new IllegalArgumentException("patch " + k + " has score " + scores[k] + "; a map to rank must be"
                        + " finite everywhere");
            }
        }
        return java.util.stream.IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(k -> -scores[k]).thenComparingInt(k -> k))
                .mapToInt(Integer::intValue).toArray();
    }

    /** How many patches step i of S removes: {@code floor(i · n / S)}. */
    static int removedAt(int i, int n, int steps) {
        return (int) ((long) i * n / steps);
    }

    /** Fills patch k of the image at {@code offset} of C-order pixels {@code [C, side, side]} with {@code fill[ch]}. */
    static void fill(float[] pixels, int offset, int k, int grid, int patch, double[] fill) {
        int side = grid * patch;
        int top = (k / grid) * patch;
        int left = (k % grid) * patch;
        for (int ch = 0; ch < fill.length; ch++) {
            for (int y = top; y < top + patch; y++) {
                int row = offset + (ch * side + y) * side;
                Arrays.fill(pixels, row + left, row + left + patch, (float) fill[ch]);
            }
        }
    }

    /** Copies patch k from {@code from} to {@code to} (both images of C-order pixels {@code [C, side, side]}). */
    static void copy(float[] from, int fromOffset, float[] to, int toOffset, int k, int grid, int patch, int channels) {
        int side = grid * patch;
        int top = (k / grid) * patch;
        int left = (k % grid) * patch;
        for (int ch = 0; ch < channels; ch++) {
            for (int y = top; y < top + patch; y++) {
                int row = (ch * side + y) * side + left;
                System.arraycopy(from, fromOffset + row, to, toOffset + row, patch);
            }
        }
    }
}
