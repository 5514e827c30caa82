package io.github.vit4j.model;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Position embeddings learned for one grid of patches, resized to another, exactly as
 * {@code torch.nn.functional.interpolate(x, size=(toH, toW), mode="bicubic", align_corners=False,
 * antialias=...)} resizes {@code x = [1, D, fromH, fromW]}: the call Hugging Face's DINOv2
 * ({@code Dinov2Embeddings.interpolate_pos_encoding}, {@code antialias=False}) and DINOv2 with registers
 * ({@code antialias=True}) make, in float32, with an explicit {@code size} (so the scale is {@code from / to}).
 *
 * <p>Both are separable: each axis maps output index {@code i} to the source coordinate
 * {@code s = (i + 0.5) · from / to − 0.5} (pixel centres aligned) and weights the taps around it.
 * <ul>
 * <li>Without antialiasing (torch's {@code upsample_bicubic2d}): the four taps {@code floor(s) − 1 .. floor(s) + 2},
 *     indices clamped into the grid (the border value repeats), with Keys' cubic convolution weights for
 *     {@code A = −0.75} at {@code t = s − floor(s)}: {@code w(x) = (A + 2)|x|³ − (A + 3)|x|² + 1} for
 *     {@code |x| ≤ 1}, {@code A|x|³ − 5A|x|² + 8A|x| − 4A} for {@code 1 < |x| < 2}.</li>
 * <li>With antialiasing (torch's {@code _upsample_bicubic2d_aa}, Pillow's scheme): the kernel has {@code a = −0.5}
 *     and, when the axis shrinks by {@code scale = from / to > 1}, is stretched by {@code scale} (support
 *     {@code 2 · scale}); the taps are the grid indices inside the support around the centre
 *     {@code (i + 0.5) · scale}, weighted {@code w((j − centre + 0.5) / max(scale, 1))} and divided by their sum
 *     (no clamping: near a border fewer taps, renormalised).</li>
 * </ul>
 * Arithmetic is in double, rounded to float32 at the end. torch computes the weights in float32, where the far taps
 * ({@code |x|} near 2) lose digits to cancellation, and sums in float32: its results differ from these by up to
 * about 1e-6 of the values' size (2.4e-6 on values near 3.5 in {@code PositionGridTest}).
 */
final class PositionGrid {

    private PositionGrid() {
    }

    /**
     * The position embeddings of a {@code fromH × fromW} grid (rows row-major: row {@code y · fromW + x} is the
     * patch at row {@code y}, column {@code x}) resized to {@code toH × toW}.
     *
     * @param pos [fromH · fromW, D]
     * @return a new float32 {@code [toH · toW, D]}, row-major in the same way
     * @throws IllegalArgumentException naming the shape when {@code pos} is not {@code [fromH · fromW, D]}, or a
     *                                  size is not positive
     */
    static INDArray resize(INDArray pos, int fromH, int fromW, int toH, int toW, boolean antialias) {
        if (fromH < 1 || fromW < 1 || toH < 1 || toW < 1) {
            throw new IllegalArgumentException("grid sizes must be positive, got " + fromH + "×" + fromW + " to "
                    + toH + "×" + toW);
        }
        if (pos == null || pos.rank() != 2 || pos.size(0) != (long) fromH * fromW) {
            throw new IllegalArgumentException("expected position embeddings [" + fromH + "·" + fromW + " = "
                    + (long) fromH * fromW + ", D] for a " + fromH + "×" + fromW + " grid, got "
                    + (pos == null ? "null" : Arrays.toString(pos.shape())));
        }
        int d = (int) pos.size(1);
        double[] in = pos.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        Taps cols = antialias ? Taps.antialiased(fromW, toW) : Taps.cubic(fromW, toW);
        Taps rows = antialias ? Taps.antialiased(fromH, toH) : Taps.cubic(fromH, toH);
        double[] wide = new double[fromH * toW * d];           // along columns first: [fromH, toW, D]
        for (int y = 0; y < fromH; y++) {
            for (int x = 0; x < toW; x++) {
                int out = (y * toW + x) * d;
                for (int j = 0; j < cols.index[x].length; j++) {
                    int src = (y * fromW + cols.index[x][j]) * d;
                    double w = cols.weight[x][j];
                    for (int c = 0; c < d; c++) {
                        wide[out + c] += w * in[src + c];
                    }
                }
            }
        }
        double[] sum = new double[toH * toW * d];               // then along rows: [toH, toW, D]
        for (int y = 0; y < toH; y++) {
            for (int j = 0; j < rows.index[y].length; j++) {
                int src = rows.index[y][j] * toW * d;
                double w = rows.weight[y][j];
                int out = y * toW * d;
                for (int k = 0; k < toW * d; k++) {
                    sum[out + k] += w * wide[src + k];
                }
            }
        }
        float[] out = new float[sum.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) sum[k];
        }
        return Nd4j.create(out, new long[] {(long) toH * toW, d}, 'c');
    }

    /**
     * What Hugging Face's {@code interpolate_pos_encoding} (DINOv2, and with registers when {@code antialias})
     * adds to the tokens of a {@code height × width} input: the table {@code [1 + N, D]} (the CLS row, then a
     * square grid of {@code N} patches) unchanged when the input has {@code N} patches and is square, else the
     * CLS row followed by the grid resized to {@code (height / patch) × (width / patch)}.
     *
     * @throws IllegalArgumentException when {@code N} is not a square or the patch does not divide the input
     */
    static INDArray forInput(INDArray table, int patch, int height, int width, boolean antialias) {
        long positions = table.size(0) - 1;
        int side = (int) Math.round(Math.sqrt(positions));
        if ((long) side * side != positions) {
            throw new IllegalArgumentException("position embeddings " + Arrays.toString(table.shape()) + " hold "
                    + positions + " patch positions after the CLS row, not a square grid");
        }
        if (patch < 1 || height % patch != 0 || width % patch != 0 || height < patch || width < patch) {
            throw new IllegalArgumentException("patch " + patch + " does not divide the " + height + "×" + width
                    + " input; use an input whose sides are multiples of " + patch);
        }
        int toH = height / patch;
        int toW = width / patch;
        if ((long) toH * toW == positions && height == width) {
            return table.castTo(DataType.FLOAT).dup('c');
        }
        INDArray grid = resize(table.get(NDArrayIndex.interval(1, positions + 1), NDArrayIndex.all()), side, side,
                toH, toW, antialias);
        return Nd4j.concat(0, table.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all()).castTo(DataType.FLOAT),
                grid);
    }

    /** Along one axis, for each output index: the input indices read and their weights. */
    static final class Taps {

        /** Keys' parameter in torch's plain bicubic (Pillow's and the antialiased one use −0.5). */
        private static final double A = -0.75;

        final int[][] index;
        final double[][] weight;

        private Taps(int[][] index, double[][] weight) {
            this.index = index;
            this.weight = weight;
        }

        /** torch's bicubic taps without antialiasing: four, clamped into the axis, {@code A = −0.75}. */
        static Taps cubic(int from, int to) {
            double scale = (double) from / to;
            int[][] index = new int[to][4];
            double[][] weight = new double[to][4];
            for (int i = 0; i < to; i++) {
                double s = (i + 0.5) * scale - 0.5;
                int floor = (int) Math.floor(s);
                double t = Math.min(Math.max(s - floor, 0), 1);
                weight[i] = new double[] {keys(t + 1, A), keys(t, A), keys(1 - t, A), keys(2 - t, A)};
                for (int j = 0; j < 4; j++) {
                    index[i][j] = Math.max(Math.min(floor - 1 + j, from - 1), 0);
                }
            }
            return new Taps(index, weight);
        }

        /** torch's antialiased bicubic taps: Pillow's scheme with {@code a = −0.5}, stretched when shrinking. */
        static Taps antialiased(int from, int to) {
            double scale = (double) from / to;
            double stretch = Math.max(scale, 1.0);
            double support = 2 * stretch;
            int[][] index = new int[to][];
            double[][] weight = new double[to][];
            for (int i = 0; i < to; i++) {
                double centre = (i + 0.5) * scale;
                int min = Math.max((int) (centre - support + 0.5), 0);
                int count = Math.min((int) (centre + support + 0.5), from) - min;
                index[i] = new int[count];
                weight[i] = new double[count];
                double total = 0;
                for (int j = 0; j < count; j++) {
                    index[i][j] = min + j;
                    weight[i][j] = keys(Math.abs((min + j - centre + 0.5) / stretch), -0.5);
                    total += weight[i][j];
                }
                for (int j = 0; j < count; j++) {
                    weight[i][j] = total == 0 ? weight[i][j] : weight[i][j] / total;
                }
            }
            return new Taps(index, weight);
        }

        /** Keys' cubic convolution kernel with parameter {@code a} at {@code x ≥ 0}. */
        private static double keys(double x, double a) {
            if (x < 1) {
                return ((a + 2) * x - (a + 3)) * x * x + 1;
            }
            if (x < 2) {
                return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
            }
            return 0;
        }
    }
}
