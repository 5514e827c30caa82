package io.github.vit4j.attribution;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The model's output as a linear map of the final LayerNorm's rows: {@code out[c] = s · Σ_terms Σ_{t ∈ term}
 * w_t · (M_term[c] · ln_final[t]) + bias[c]}. The pooling, the projection and the head are folded into the terms'
 * matrices M; {@code s} is 1, or for a cosine head 1 / ‖embedding‖ taken from the run (frozen, as the LayerNorm's
 * scale is). The original ViT has one term (CLS, weight 1, M = the head's weight); distilled DeiT two (CLS and the
 * distillation token, weight ½ each, each its own head); DINOv2's classifier two (CLS with the head's first D
 * columns, each patch with weight 1/N and the last D columns). SigLIP's attention pooling has no such form and is
 * refused.
 *
 * @param terms  the rows read, each with its weights and matrix
 * @param bias   the head's bias {@code [C]} (½ (b + b_dist) for distilled DeiT; zeros without a head)
 * @param cosine whether the output is scaled by 1 / ‖embedding‖ (a cosine head)
 */
record Readout(List<Term> terms, double[] bias, boolean cosine) {

    /**
     * The rows {@code tokens} of {@code ln_final}, each weighted by {@code weights[i]}, read through {@code matrix}
     * {@code [C][D]}.
     */
    record Term(int[] tokens, double[] weights, double[][] matrix) {

        /** The term's weights summed: what it reads if every row were the same. */
        double totalWeight() {
            double sum = 0;
            for (double w : weights) {
                sum += w;
            }
            return sum;
        }
    }

    /**
     * The readout of a model.
     *
     * @throws IllegalArgumentException for attention pooling (SigLIP), which passes the tokens through a softmax and
     *                                  an MLP: no linear path from the stream to the output, so no split of it sums
     *                                  to the output
     */
    static Readout of(VitWeights w) {
        VitConfig c = w.config();
        Architecture a = c.architecture();
        int d = c.hiddenSize();
        if (a.pooling() == Architecture.Pooling.ATTENTION_PROBE) {
            throw new IllegalArgumentException("DirectLogitAttribution needs a linear path from the final LayerNorm to"
                    + " the output, but this model pools with an attention probe (architecture " + a + ": SigLIP),"
                    + " a softmax over the tokens followed by an MLP, so no split of the stream sums to the output;"
                    + " use attribution patching (AttributionPatching) or the exact trace (CausalTrace) there");
        }
        if (a.head() == Architecture.Head.DISTILLED) {
            double[] bias = doubles(w.head().bias().add(w.extras().headDist().bias()).divi(2));
            return new Readout(List.of(
                    new Term(new int[] {0}, new double[] {0.5}, matrix(w.head().weight())),
                    new Term(new int[] {1}, new double[] {0.5}, matrix(w.extras().headDist().weight()))),
                    bias, false);
        }
        INDArray f = Nd4j.eye(c.pooledSize()).castTo(DataType.DOUBLE);                           // [D', D']
        if (a.projection() > 0) {
            f = w.extras().projection().castTo(DataType.DOUBLE);                                  // [P, D']
        }
        double[] bias = new double[c.classes()];
        if (a.head() == Architecture.Head.LINEAR) {
            f = w.head().weight().castTo(DataType.DOUBLE).mmul(f);                                // [C, D']
            bias = doubles(w.head().bias());
        }
        List<Term> terms = new ArrayList<>();
        terms.add(new Term(new int[] {0}, new double[] {1}, columns(f, 0, d)));
        if (a.pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN) {
            int n = c.patches();
            int[] patches = new int[n];
            double[] weights = new double[n];
            for (int i = 0; i < n; i++) {
                patches[i] = c.prefixTokens() + i;
                weights[i] = 1.0 / n;
            }
            terms.add(new Term(patches, weights, columns(f, d, 2 * d)));
        }
        return new Readout(List.copyOf(terms), bias, a.cosineHead());
    }

    /** What a run must keep for the cosine head's scale: the embedding the head normalises (none otherwise). */
    static List<Site> scaleSites(VitConfig c) {
        return c.architecture().cosineHead() ? List.of(embeddingSite(c)) : List.of();
    }

    /** Per image, the output's scale s: 1, or 1 / ‖embedding‖ of the run for a cosine head. */
    double[] scales(VitConfig c, Activations run) {
        double[] s = new double[run.batch()];
        if (!cosine) {
            Arrays.fill(s, 1);
            return s;
        }
        Site site = embeddingSite(c);
        INDArray e = run.get(site).castTo(DataType.DOUBLE);
        if (site.kind() == Site.Kind.LN_FINAL) {
            e = e.get(NDArrayIndex.all(), NDArrayIndex.point(0),
                    NDArrayIndex.all());
        }
        double[] norms = doubles(e.reshape(run.batch(), e.length() / run.batch()).norm2(1));
        for (int b = 0; b < s.length; b++) {
            s[b] = 1 / norms[b];
        }
        return s;
    }

    /** The site holding the vector a cosine head normalises: image_embeds, pooled, or ln_final's CLS row. */
    private static Site embeddingSite(VitConfig c) {
        Architecture a = c.architecture();
        return a.projection() > 0 ? Site.imageEmbeds() : a.hasPooled() ? Site.pooled() : Site.lnFinal();
    }

    /** Columns {@code [from, to)} of {@code f} as {@code [rows][to − from]}. */
    private static double[][] columns(INDArray f, int from, int to) {
        return f.get(NDArrayIndex.all(),
                NDArrayIndex.interval(from, to)).dup('c').toDoubleMatrix();
    }

    private static double[][] matrix(INDArray a) {
        return a.castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    /** The elements of {@code a} in C order, as doubles. */
    static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    }
}
