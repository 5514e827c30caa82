package io.github.vit4j.explain;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * lucid's diversity term over a batch of token activations {@code X [B, T, D]}: with {@code G_i = X_iᵀ X_i} and
 * {@code N_i = G_i / ‖G_i‖_F}, {@code div = (1/B) Σ_i Σ_{j≠i} ⟨N_i, N_j⟩}, the mean pairwise cosine similarity of
 * the images' Gram matrices (high when the images excite the same feature combinations).
 */
final class Diversity {

    private Diversity() {
    }

    /** The value of the term for {@code x [B, T, D]}. */
    static double value(INDArray x) {
        INDArray[] n = normalisedGrams(x);
        double s = 0;
        for (int i = 0; i < n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (i != j) {
                    s += n[i].mul(n[j]).sumNumber().doubleValue();
                }
            }
        }
        return s / n.length;
    }

    /**
     * ∂div/∂X {@code [B, T, D]} (float): {@code 2 X_i H_i} with {@code M_i = (2/B) Σ_{j≠i} N_j} and
     * {@code H_i = (M_i − ⟨M_i, N_i⟩ N_i) / ‖G_i‖}.
     */
    static INDArray gradient(INDArray x) {
        int b = (int) x.size(0);
        INDArray xd = x.castTo(DataType.DOUBLE);
        INDArray[] n = normalisedGrams(x);
        INDArray out = Nd4j.create(DataType.DOUBLE, x.shape());
        for (int i = 0; i < b; i++) {
            INDArray xi = xd.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup('c');      // [T, D]
            double norm = xi.transpose().mmul(xi).norm2Number().doubleValue();
            INDArray m = Nd4j.zeros(DataType.DOUBLE, n[i].shape());
            for (int j = 0; j < b; j++) {
                if (j != i) {
                    m.addi(n[j]);
                }
            }
            m.muli(2.0 / b);
            double along = m.mul(n[i]).sumNumber().doubleValue();
            INDArray hi = m.sub(n[i].mul(along)).divi(norm == 0 ? 1 : norm);
            out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).assign(xi.mmul(hi).muli(2));
        }
        return out.castTo(DataType.FLOAT);
    }

    private static INDArray[] normalisedGrams(INDArray x) {
        int b = (int) x.size(0);
        INDArray xd = x.castTo(DataType.DOUBLE);
        INDArray[] n = new INDArray[b];
        for (int i = 0; i < b; i++) {
            INDArray xi = xd.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup('c');
            INDArray g = xi.transpose().mmul(xi);
            double norm = g.norm2Number().doubleValue();
            n[i] = norm == 0 ? g : g.divi(norm);
        }
        return n;
    }
}
