package io.github.vit4j.explain;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Principal component analysis: the points centred, their covariance {@code XᵀX / (N − 1)} decomposed with LAPACK's
 * symmetric eigensolver (through ND4J), the top {@code components} eigenvectors as axes. Each axis's sign is fixed so
 * that its largest-magnitude coordinate is positive, so the result does not depend on the solver's choice of sign.
 *
 * <p>Where it misleads: the top two axes of a 128- or 768-dimensional stream often hold a small part of its
 * variance ({@link Result#explained}); classes that overlap here may be separate in the other directions.
 *
 * @param components how many axes, ≥ 1 (2 for a scatter plot)
 */
public record Pca(int components) {

    public Pca {
        if (components < 1) {
            throw new IllegalArgumentException("components must be ≥ 1, got " + components + " (2 for a scatter plot)");
        }
    }

    /**
     * @param projection {@code [N][components]}: each point's coordinates on the axes
     * @param axes       {@code [components][D]}: unit vectors, largest variance first
     * @param variance   the variance along each axis (eigenvalues of the covariance)
     * @param explained  each axis's share of the total variance
     * @param mean       the points' mean {@code [D]}
     */
    public record Result(double[][] projection, double[][] axes, double[] variance, double[] explained, double[] mean) {
    }

    /**
     * The principal axes of {@code points [N][D]}.
     *
     * @throws IllegalArgumentException for fewer than 2 points, more components than D, or rows of unequal length
     */
    public Result of(double[][] points) {
        int n = points == null ? 0 : points.length;
        if (n < 2) {
            throw new IllegalArgumentException("PCA needs at least 2 points, got " + n);
        }
        int d = points[0].length;
        if (components > d) {
            throw new IllegalArgumentException(components + " components of " + d + "-dimensional points; at most " + d);
        }
        double[] mean = new double[d];
        for (double[] p : points) {
            if (p.length != d) {
                throw new IllegalArgumentException("points of " + p.length + " and " + d + " values; every point needs "
                        + "the same number");
            }
            for (int j = 0; j < d; j++) {
                mean[j] += p[j] / n;
            }
        }
        double[][] centred = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                centred[i][j] = points[i][j] - mean[j];
            }
        }
        INDArray x = Nd4j.createFromArray(centred);                                          // [N, D] double
        INDArray cov = x.transpose().mmul(x).divi(n - 1).dup('f');                           // [D, D]
        double total = 0;
        for (int j = 0; j < d; j++) {
            total += cov.getDouble(j, j);
        }
        INDArray values = Eigen.symmetricGeneralizedEigenvalues(cov, true);                // ascending; cov ← vectors
        double[][] axes = new double[components][d];
        double[] variance = new double[components];
        double[] explained = new double[components];
        for (int c = 0; c < components; c++) {
            int col = d - 1 - c;
            variance[c] = Math.max(0, values.getDouble(col));
            explained[c] = total > 0 ? variance[c] / total : 0;
            int biggest = 0;
            for (int j = 0; j < d; j++) {
                axes[c][j] = cov.getDouble(j, col);
                if (Math.abs(axes[c][j]) > Math.abs(axes[c][biggest])) {
                    biggest = j;
                }
            }
            if (axes[c][biggest] < 0) {
                for (int j = 0; j < d; j++) {
                    axes[c][j] = -axes[c][j];
                }
            }
        }
        double[][] projection = new double[n][components];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < components; c++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += centred[i][j] * axes[c][j];
                }
                projection[i][c] = s;
            }
        }
        x.close();
        return new Result(projection, axes, variance, explained, mean);
    }

}
