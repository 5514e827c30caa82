package io.github.vit4j.explain;

import java.util.Random;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.ConjugateGradient;
import org.apache.commons.math3.linear.RealLinearOperator;
import org.apache.commons.math3.linear.RealVector;

/**
 * ROAD's noisy linear imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
 * Methods", their {@code NoisyLinearImputer}) of one channel plane: every removed pixel becomes the weighted mean of
 * its 8 neighbours, with the paper's weights 1/6 for the 4 direct neighbours and 1/12 for the 4 diagonal ones, the
 * neighbours outside the image left out and the rest renormalised. Removed neighbours are unknowns too, so the
 * values solve a sparse linear system: for every removed pixel p,
 * {@code (Σ_{n in image} w_n) · x_p − Σ_{n removed} w_n x_n = Σ_{n kept} w_n v_n}. The matrix is symmetric
 * (the weights of opposite offsets are equal) and, when at least one pixel is kept, positive definite (every
 * connected removed region then touches a kept pixel), so commons-math3's {@link ConjugateGradient} solves it, to a
 * relative residual of {@value #TOLERANCE}. When every pixel is removed there is nothing to interpolate: the plane
 * takes {@code fallback}. Then Gaussian noise of standard deviation {@code noise} is added to each removed pixel.
 */
final class NoisyLinearImputation {

    /** The conjugate gradient's stopping rule: {@code ‖r‖ ≤ TOLERANCE · ‖b‖}. */
    static final double TOLERANCE = 1e-6;

    /** Offsets {dy, dx} of the 8 neighbours and their weights. */
    private static final int[][] OFFSETS = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
    private static final double DIRECT = 1.0 / 6;
    private static final double DIAGONAL = 1.0 / 12;

    private NoisyLinearImputation() {
    }

    static double weight(int[] offset) {
        return offset[0] == 0 || offset[1] == 0 ? DIRECT : DIAGONAL;
    }

    /**
     * Imputes the removed pixels of the {@code h × w} plane at {@code offset} of {@code plane}, in place.
     *
     * @param removed  per pixel of the plane (row-major), whether it is removed
     * @param fallback the value of every pixel when all are removed
     * @param noise    the standard deviation of the noise added to each removed pixel (0: none)
     */
    static void impute(float[] plane, int offset, int h, int w, boolean[] removed, double fallback, double noise,
                       Random random) {
        int[] unknown = new int[h * w];                   // pixel → its unknown's index, or −1
        int n = 0;
        for (int q = 0; q < h * w; q++) {
            unknown[q] = removed[q] ? n++ : -1;
        }
        if (n == 0) {
            return;
        }
        int[] pixelOf = new int[n];
        for (int q = 0; q < h * w; q++) {
            if (unknown[q] >= 0) {
                pixelOf[unknown[q]] = q;
            }
        }
        double[] solution = new double[n];
        if (n == h * w) {
            java.util.Arrays.fill(solution, fallback);
        } else {
            double[] diagonal = new double[n];
            int[] neighbour = new int[8 * n];             // unknown index of neighbour j of unknown u, or −1
            double[] b = new double[n];
            for (int u = 0; u < n; u++) {
                int y = pixelOf[u] / w;
                int x = pixelOf[u] % w;
                for (int j = 0; j < 8; j++) {
                    int ny = y + OFFSETS[j][0];
                    int nx = x + OFFSETS[j][1];
                    neighbour[8 * u + j] = -1;
                    if (ny < 0 || nx < 0 || ny >= h || nx >= w) {
                        continue;
                    }
                    double wt = weight(OFFSETS[j]);
                    diagonal[u] += wt;
                    int q = ny * w + nx;
                    if (removed[q]) {
                        neighbour[8 * u + j] = unknown[q];
                    } else {
                        b[u] += wt * plane[offset + q];
                    }
                }
            }
            RealLinearOperator a = new Stencil(diagonal, neighbour);
            solution = new ConjugateGradient(100 * n + 100, TOLERANCE, false)
                    .solve(a, new ArrayRealVector(b, false)).toArray();
        }
        for (int u = 0; u < n; u++) {
            plane[offset + pixelOf[u]] = (float) (solution[u] + (noise > 0 ? noise * random.nextGaussian() : 0));
        }
    }

    /** The system's matrix as the 8-neighbour stencil, never stored. */
    private static final class Stencil extends RealLinearOperator {

        private final double[] diagonal;
        private final int[] neighbour;

        Stencil(double[] diagonal, int[] neighbour) {
            this.diagonal = diagonal;
            this.neighbour = neighbour;
        }

        @Override
        public int getRowDimension() {
            return diagonal.length;
        }

        @Override
        public int getColumnDimension() {
            return diagonal.length;
        }

        @Override
        public RealVector operate(RealVector v) {
            double[] x = v.toArray();
            double[] y = new double[x.length];
            for (int u = 0; u < x.length; u++) {
                double s = diagonal[u] * x[u];
                for (int j = 0; j < 8; j++) {
                    int m = neighbour[8 * u + j];
                    if (m >= 0) {
                        s -= weight(OFFSETS[j]) * x[m];
                    }
                }
                y[u] = s;
            }
            return new ArrayRealVector(y, false);
        }
    }
}
