package io.github.vit4j.circuit;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Running sums of edge scores (and per token, when asked), in double, over images and gradient runs. */
final class Sums {

    private final double[] total;
    private final double[][] perToken;

    /** @param tokens tokens per edge to keep, 0 for none */
    Sums(int edges, int tokens) {
        this.total = new double[edges];
        this.perToken = tokens == 0 ? null : new double[edges][tokens];
    }

    /**
     * Adds {@code weight · Σ_{t, D} grads[j] · deltas[u]} to the edge u → reader {@code first + j}, for the n readers
     * of {@code grads} {@code [n, T, D]} and every upstream node u each reads ({@code deltas} {@code [N_u, T, D]}):
     * one matrix product, {@code [n, T·D] × [T·D, c]}, or one per token when per-token sums are kept.
     */
    void add(CircuitGraph graph, int first, INDArray grads, INDArray deltas, double weight) {
        int n = (int) grads.size(0);
        int t = (int) grads.size(1);
        long d = grads.size(2);
        int c = graph.upstreamCount(first + n - 1);                  // the last reader of a block reads the most
        INDArray read = deltas.get(NDArrayIndex.interval(0, c), NDArrayIndex.all(), NDArrayIndex.all());
        if (perToken == null) {
            INDArray a = read.reshape(c, t * d);                                                   // a view
            try (INDArray s = Nd4j.gemm(grads.reshape(n, t * d), a, false, true)) {                // [n, c]
                double[][] m = s.toDoubleMatrix();
                for (int j = 0; j < n; j++) {
                    int offset = graph.offset(first + j);
                    for (int u = 0; u < graph.upstreamCount(first + j); u++) {
                        total[offset + u] += weight * m[j][u];
                    }
                }
            }
            return;
        }
        try (INDArray g = grads.permute(1, 0, 2).dup('c');                                          // [T, n, D]
             INDArray a = read.permute(1, 2, 0).dup('c');                                           // [T, D, c]
             INDArray s = Nd4j.matmul(g, a)) {                                                      // [T, n, c]
            float[] m = s.dup('c').data().asFloat();
            for (int j = 0; j < n; j++) {
                int offset = graph.offset(first + j);
                for (int u = 0; u < graph.upstreamCount(first + j); u++) {
                    double sum = 0;
                    for (int p = 0; p < t; p++) {
                        double v = weight * m[(p * n + j) * c + u];
                        perToken[offset + u][p] += v;
                        sum += v;
                    }
                    total[offset + u] += sum;
                }
            }
        }
    }

    /** The sums divided by {@code images}. */
    double[] mean(int images) {
        double[] out = total.clone();
        for (int e = 0; e < out.length; e++) {
            out[e] /= images;
        }
        return out;
    }

    /** The per-token sums divided by {@code images}. */
    double[][] meanPerToken(int images) {
        double[][] out = new double[perToken.length][];
        for (int e = 0; e < out.length; e++) {
            out[e] = perToken[e].clone();
            for (int p = 0; p < out[e].length; p++) {
                out[e][p] /= images;
            }
        }
        return out;
    }
}
