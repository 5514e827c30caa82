package io.github.vit4j.explain;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * k-means (Lloyd's iterations from a k-means++ start, Arthur &amp; Vassilvitskii 2007) on points given as rows of
 * doubles: what groups the patch-embedding filters. Seeded: the same points, k and seed give the same clusters,
 * bit for bit. Clusters are numbered by size, largest first (ties: the one holding the lower point index first).
 *
 * @param k          the number of clusters, 1 ≤ k ≤ the number of points
 * @param iterations the most Lloyd iterations (it stops earlier once no point changes cluster), ≥ 1
 * @param seed       the k-means++ start's seed
 */
public record KMeans(int k, int iterations, long seed) {

    public KMeans {
        if (k < 1 || iterations < 1) {
            throw new IllegalArgumentException("k and iterations must be ≥ 1, got k = " + k + " and iterations = "
                    + iterations + " (100 iterations is plenty for a few hundred points)");
        }
    }

    /** k clusters, 100 iterations at most, seed 0. */
    public static KMeans of(int k) {
        return new KMeans(k, 100, 0);
    }

    /**
     * @param cluster   the cluster of each point, 0 .. k − 1
     * @param centroids {@code [k][dims]}: each cluster's mean
     * @param sizes     the points in each cluster (non-increasing)
     * @param inertia   Σ of each point's squared distance to its centroid
     */
    public record Result(int[] cluster, double[][] centroids, int[] sizes, double inertia) {

        /** The indices of the points in cluster {@code c}, in increasing order. */
        public int[] members(int c) {
            return IntStream.range(0, cluster.length).filter(i -> cluster[i] == c).toArray();
        }
    }

    /**
     * Clusters {@code points [n][dims]}.
     *
     * @throws IllegalArgumentException for fewer points than k, rows of different lengths, or a NaN
     */
    public Result of(double[][] points) {
        int n = points == null ? 0 : points.length;
        if (n < k) {
            throw new IllegalArgumentException(k + " clusters need at least " + k + " points, got " + n
                    + "; lower k");
        }
        int dims = points[0].length;
        for (int i = 0; i < n; i++) {
            if (points[i].length != dims) {
                throw new IllegalArgumentException("point " + i + " has " + points[i].length + " values, point 0 has "
                        + dims + "; every point needs the same number");
            }
            for (double v : points[i]) {
                if (Double.isNaN(v)) {
                    throw new IllegalArgumentException("point " + i + " holds a NaN; k-means needs finite values");
                }
            }
        }
        double[][] centroids = plusPlus(points, new SplittableRandom(seed));
        int[] cluster = new int[n];
        Arrays.fill(cluster, -1);
        for (int it = 0; it < iterations; it++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                int best = nearest(points[i], centroids);
                changed |= best != cluster[i];
                cluster[i] = best;
            }
            if (!changed) {
                break;
            }
            centroids = means(points, cluster, centroids);
        }
        return renumbered(points, cluster, centroids);
    }

    /** k-means++: the first centre uniformly, each next one with probability ∝ its squared distance to the nearest. */
    private double[][] plusPlus(double[][] points, SplittableRandom rng) {
        int n = points.length;
        double[][] centres = new double[k][];
        centres[0] = points[rng.nextInt(n)].clone();
        double[] d2 = new double[n];
        Arrays.fill(d2, Double.POSITIVE_INFINITY);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                d2[i] = Math.min(d2[i], distance2(points[i], centres[c - 1]));
                total += d2[i];
            }
            int pick = n - 1;
            if (total > 0) {
                double r = rng.nextDouble() * total;
                for (int i = 0; i < n; i++) {
                    r -= d2[i];
                    if (r < 0) {
                        pick = i;
                        break;
                    }
                }
            } else {
                pick = rng.nextInt(n);                                   // all points coincide with a centre
            }
            centres[c] = points[pick].clone();
        }
        return centres;
    }

    /** The clusters' means; an emptied cluster takes the point farthest from its own centroid. */
    private double[][] means(double[][] points, int[] cluster, double[][] old) {
        int dims = points[0].length;
        double[][] sum = new double[k][dims];
        int[] count = new int[k];
        for (int i = 0; i < points.length; i++) {
            count[cluster[i]]++;
            for (int d = 0; d < dims; d++) {
                sum[cluster[i]][d] += points[i][d];
            }
        }
        for (int c = 0; c < k; c++) {
            if (count[c] == 0) {
                int far = 0;
                double farthest = -1;
                for (int i = 0; i < points.length; i++) {
                    double d = distance2(points[i], old[cluster[i]]);
                    if (d > farthest) {
                        farthest = d;
                        far = i;
                    }
                }
                sum[c] = points[far].clone();
                count[c] = 1;
            }
            for (int d = 0; d < dims; d++) {
                sum[c][d] /= count[c];
            }
        }
        return sum;
    }

    private Result renumbered(double[][] points, int[] cluster, double[][] centroids) {
        int[] sizes = new int[k];
        int[] first = new int[k];
        Arrays.fill(first, Integer.MAX_VALUE);
        for (int i = 0; i < cluster.length; i++) {
            sizes[cluster[i]]++;
            first[cluster[i]] = Math.min(first[cluster[i]], i);
        }
        Integer[] order = IntStream.range(0, k).boxed().sorted(Comparator.<Integer>comparingInt(c -> -sizes[c])
                .thenComparingInt(c -> first[c])).toArray(Integer[]::new);
        int[] rank = new int[k];
        double[][] newCentroids = new double[k][];
        int[] newSizes = new int[k];
        for (int r = 0; r < k; r++) {
            rank[order[r]] = r;
            newCentroids[r] = centroids[order[r]];
            newSizes[r] = sizes[order[r]];
        }
        int[] newCluster = new int[cluster.length];
        double inertia = 0;
        for (int i = 0; i < cluster.length; i++) {
            newCluster[i] = rank[cluster[i]];
            inertia += distance2(points[i], centroids[cluster[i]]);
        }
        return new Result(newCluster, newCentroids, newSizes, inertia);
    }

    private static int nearest(double[] p, double[][] centres) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int c = 0; c < centres.length; c++) {
            double d = distance2(p, centres[c]);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }

    static double distance2(double[] a, double[] b) {
        double s = 0;
        for (int d = 0; d < a.length; d++) {
            double t = a[d] - b[d];
            s += t * t;
        }
        return s;
    }
}
