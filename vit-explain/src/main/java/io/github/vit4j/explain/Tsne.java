package io.github.vit4j.explain;

import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Exact t-SNE (van der Maaten &amp; Hinton 2008) in plain Java: Gaussian affinities whose bandwidth per point is found
 * by bisection to give the {@code perplexity}, symmetrised {@code P = (P_{j|i} + P_{i|j}) / 2N}; Student-t affinities
 * Q in the map; gradient descent on KL(P‖Q) with momentum 0.5 then 0.8 (from iteration 250), per-coordinate gains
 * and early exaggeration ×12 for the first 250 iterations, from a seeded N(0, 10⁻⁴) start (standard deviation 10⁻²) — the reference
 * implementation's recipe. O(N²) memory and time per iteration: meant for up to a few thousand points (1000 points,
 * 1000 iterations: a few seconds). Seeded and single-threaded: the same points and options give the same map, bit
 * for bit.
 *
 * <p>Why not a library: the JVM's t-SNE libraries are either unmaintained and unseeded (T-SNE-Java, last release
 * 2019, draws its start from {@code ThreadLocalRandom}, brings jblas and netlib natives), GPL (Smile ≥ 2), AGPL
 * (ELKI), or part of a dormant framework that would bring its neural-network modules (DL4J's {@code BarnesHutTsne}).
 *
 * <p>Where it misleads: distances between clusters and cluster sizes in the map mean little; the perplexity changes
 * the picture; only who is near whom is meaningful.
 *
 * @param perplexity   the effective number of neighbours, &gt; 0 and &lt; (N − 1) / 3 (30 is usual)
 * @param iterations   gradient steps, ≥ 1 (1000 is usual; early exaggeration needs more than 250)
 * @param learningRate the step size, &gt; 0 (200 is usual)
 * @param seed         the start's seed
 */
public record Tsne(double perplexity, int iterations, double learningRate, long seed) {

    private static final int EXAGGERATION_ITERATIONS = 250;
    private static final double EXAGGERATION = 12;

    public Tsne {
        if (!(perplexity > 0) || Double.isInfinite(perplexity) || iterations < 1 || !(learningRate > 0)
                || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("expected perplexity > 0 (30 is usual), iterations ≥ 1 (1000) and a "
                    + "learning rate > 0 (200), got " + perplexity + ", " + iterations + " and " + learningRate);
        }
    }

    /** Perplexity 30, 1000 iterations, learning rate 200. */
    public static Tsne defaults(long seed) {
        return new Tsne(30, 1000, 200, seed);
    }

    /** The 2-D map {@code [N][2]} of {@code points [N][D]}. */
    public double[][] of(double[][] points) {
        return of(points, done -> { });
    }

    /**
     * As {@link #of(double[][])}, telling {@code progress} the iterations done (every 10).
     *
     * @throws IllegalArgumentException when the perplexity is not below (N − 1) / 3, naming N
     */
    public double[][] of(double[][] points, IntConsumer progress) {
        int n = points == null ? 0 : points.length;
        if (n < 4 || perplexity >= (n - 1) / 3.0) {
            throw new IllegalArgumentException("perplexity " + perplexity + " needs more than 3 · perplexity + 1 = "
                    + (int) Math.floor(3 * perplexity + 1) + " points, got " + n + "; lower the perplexity or give "
                    + "more images");
        }
        double[] p = affinities(points);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] y = new double[2 * n];
        for (int i = 0; i < y.length; i++) {
            y[i] = 1e-2 * gaussian(rng);
        }
        double[] update = new double[2 * n];
        double[] gains = new double[2 * n];
        java.util.Arrays.fill(gains, 1);
        double[] grad = new double[2 * n];
        double[] q = new double[n * n];
        for (int it = 0; it < iterations; it++) {
            double exaggeration = it < EXAGGERATION_ITERATIONS ? EXAGGERATION : 1;
            double momentum = it < EXAGGERATION_ITERATIONS ? 0.5 : 0.8;
            double sumQ = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double dx = y[2 * i] - y[2 * j];
                    double dy = y[2 * i + 1] - y[2 * j + 1];
                    double w = 1 / (1 + dx * dx + dy * dy);
                    q[i * n + j] = w;
                    q[j * n + i] = w;
                    sumQ += 2 * w;
                }
            }
            java.util.Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (i != j) {
                        double w = q[i * n + j];
                        double m = (exaggeration * p[i * n + j] - w / sumQ) * w;
                        grad[2 * i] += 4 * m * (y[2 * i] - y[2 * j]);
                        grad[2 * i + 1] += 4 * m * (y[2 * i + 1] - y[2 * j + 1]);
                    }
                }
            }
            for (int k = 0; k < y.length; k++) {
                gains[k] = Math.signum(grad[k]) != Math.signum(update[k]) ? gains[k] + 0.2 : gains[k] * 0.8;
                gains[k] = Math.max(gains[k], 0.01);
                update[k] = momentum * update[k] - learningRate * gains[k] * grad[k];
                y[k] += update[k];
            }
            centre(y, n);
            if ((it + 1) % 10 == 0 || it + 1 == iterations) {
                progress.accept(it + 1);
            }
        }
        double[][] out = new double[n][2];
        for (int i = 0; i < n; i++) {
            out[i][0] = y[2 * i];
            out[i][1] = y[2 * i + 1];
        }
        return out;
    }

    /** The symmetrised input affinities {@code P [N·N]}, summing to 1. */
    private double[] affinities(double[][] x) {
        int n = x.length;
        double[] d2 = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = KMeans.distance2(x[i], x[j]);
                d2[i * n + j] = s;
                d2[j * n + i] = s;
            }
        }
        double[] cond = new double[n * n];
        double target = Math.log(perplexity);
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            double beta = 1;
            double lo = 0;
            double hi = Double.POSITIVE_INFINITY;
            for (int tries = 0; tries < 200; tries++) {
                double min = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        min = Math.min(min, d2[i * n + j]);
                    }
                }
                double sum = 0;
                double weighted = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-beta * (d2[i * n + j] - min));   // shifted: no underflow
                    sum += row[j];
                    weighted += row[j] * (d2[i * n + j] - min);
                }
                double entropy = Math.log(sum) + beta * weighted / sum;
                for (int j = 0; j < n; j++) {
                    cond[i * n + j] = row[j] / sum;
                }
                double diff = entropy - target;
                if (Math.abs(diff) < 1e-5) {
                    break;
                }
                if (diff > 0) {                                      // too flat: narrow the Gaussian
                    lo = beta;
                    beta = Double.isInfinite(hi) ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = (beta + lo) / 2;
                }
            }
        }
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i * n + j] = Math.max((cond[i * n + j] + cond[j * n + i]) / (2 * n), 1e-12);
            }
        }
        return p;
    }

    private static void centre(double[] y, int n) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += y[2 * i] / n;
            my += y[2 * i + 1] / n;
        }
        for (int i = 0; i < n; i++) {
            y[2 * i] -= mx;
            y[2 * i + 1] -= my;
        }
    }

    /** A standard normal draw (Box–Muller, one of the pair), from {@code rng} alone. */
    static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
