package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Chefer, Gur &amp; Wolf's generic attention explainability (ICCV 2021, "Generic Attention-model Explainability for
 * Interpreting Bi-Modal and Encoder-Decoder Transformers"), for a self-attention encoder: a relevance matrix
 * {@code R [T, T]} per image, {@code R = I}, then for every block from the first,
 * <pre>
 *   Ā = E_h[(∇A ⊙ A)⁺]        (A the block's pattern [H, T, T], ∇A = ∂ logit_y / ∂A, ⁺ before the mean)
 *   R ← R + Ā · R              (the self-attention update of their Sec. 3.1)
 * </pre>
 * with {@code logit_y} the explained class's logit before the softmax (for a model without a classifier: its output
 * component y). The map {@code [B, gh, gw]} is the CLS row of R over the patch columns, on the patch grid, not
 * normalised (the authors' notebooks min–max scale it for display only; do that when drawing). One forward and one
 * backward per image.
 *
 * <p>Per family: the rows the output reads, as {@link AttentionRollout} takes them: CLS; for distilled DeiT the mean
 * of the CLS and distillation rows (its output averages a head on each); registers (DINOv2) are neither CLS nor
 * patches, so their columns are left out and the map is not renormalised. DINOv2's classifier also reads the mean of
 * the patch tokens; the map keeps the CLS row all the same (the gradients carry what the mean contributes). A model
 * without CLS (SigLIP: an attention probe reads every token with weights no block's pattern holds) has no such row:
 * {@link #of} refuses it, and {@link #matrix} gives the whole R.
 *
 * <p>Where it misleads: it keeps only the positive part of each head's gradient-weighted attention, so evidence
 * against the class is invisible, and it ignores what the MLPs do to each token.
 */
public final class Chefer {

    private Chefer() {
    }

    /** The map of class {@code classes[i]} for image i (one class for all, or one per image): {@code [B, gh, gw]}. */
    public static INDArray of(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        refuseWithoutCls(c, "Chefer.of");
        return rowsRead(matrix(vit, input, classes), c);
    }

    /** The relevance matrix {@code R [B, T, T]} of class {@code classes[i]} for image i: every row, every column. */
    public static INDArray matrix(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        int[] ys = PixelModel.expand(classes, input.batch(), c.classes());
        List<INDArray> patterns = new ArrayList<>();
        List<INDArray> gradients = new ArrayList<>();
        try (Activations forward = vit.run(input, Vit.keepForBackward());
             Gradients g = vit.backward(forward, Objective.logit(ys), Keep.kinds(Site.Kind.PATTERN))) {
            for (int l = 0; l < c.layers(); l++) {
                patterns.add(forward.get(Site.pattern(l)).dup('c'));
                gradients.add(g.get(Site.pattern(l)).dup('c'));
            }
        }
        return relevance(patterns, gradients);
    }

    /**
     * The relevance matrix {@code R [B, T, T]} from each block's pattern {@code A} and its gradient {@code ∇A}
     * ({@code [B, H, T, T]} each, from the first block): in double, {@code R = I; R ← R + E_h[(∇A ⊙ A)⁺] · R}.
     */
    public static INDArray relevance(List<INDArray> patterns, List<INDArray> gradients) {
        if (patterns == null || gradients == null || patterns.isEmpty() || patterns.size() != gradients.size()) {
            throw new IllegalArgumentException("Chefer's rule needs one pattern and one gradient [B, H, T, T] per "
                    + "block, got " + (patterns == null ? 0 : patterns.size()) + " patterns and "
                    + (gradients == null ? 0 : gradients.size()) + " gradients");
        }
        long[] shape = patterns.get(0).shape();
        int b = (int) shape[0];
        int h = (int) shape[1];
        int t = (int) shape[2];
        double[][][] r = new double[b][t][t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                r[i][q][q] = 1;
            }
        }
        for (int l = 0; l < patterns.size(); l++) {
            for (INDArray a : List.of(patterns.get(l), gradients.get(l))) {
                if (a.rank() != 4 || !Arrays.equals(a.shape(), new long[] {b, h, t, t})) {
                    throw new IllegalArgumentException("block " + l + "'s pattern or gradient is "
                            + Arrays.toString(a.shape()) + ", expected [" + b + ", " + h + ", " + t + ", " + t
                            + "] like block 0's pattern");
                }
            }
            float[] p = PixelModel.floats(patterns.get(l));
            float[] g = PixelModel.floats(gradients.get(l));
            for (int i = 0; i < b; i++) {
                double[][] bar = new double[t][t];                                 // Ā = E_h[(∇A ⊙ A)⁺]
                for (int head = 0; head < h; head++) {
                    for (int q = 0; q < t; q++) {
                        for (int k = 0; k < t; k++) {
                            int at = ((i * h + head) * t + q) * t + k;
                            bar[q][k] += Math.max(0, (double) g[at] * p[at]) / h;
                        }
                    }
                }
                double[][] next = new double[t][t];                                // R + Ā · R
                for (int q = 0; q < t; q++) {
                    next[q] = r[i][q].clone();
                    for (int m = 0; m < t; m++) {
                        double w = bar[q][m];
                        if (w != 0) {
                            for (int k = 0; k < t; k++) {
                                next[q][k] += w * r[i][m][k];
                            }
                        }
                    }
                }
                r[i] = next;
            }
        }
        float[] out = new float[b * t * t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < t; k++) {
                    out[(i * t + q) * t + k] = (float) r[i][q][k];
                }
            }
        }
        return Nd4j.create(out, new long[] {b, t, t}, 'c');
    }

    /**
     * The map of a token × token matrix {@code [B, T, T]}: the mean of the rows the output reads
     * ({@link TokenLayout#rowsRead}), at the patch columns, on the grid {@code [B, gh, gw]}; not renormalised.
     */
    static INDArray rowsRead(INDArray matrix, VitConfig c) {
        int b = (int) matrix.size(0);
        int t = c.tokens();
        int n = c.patches();
        int first = c.prefixTokens();
        int[] rows = TokenLayout.rowsRead(c);
        float[] all = PixelModel.floats(matrix);
        float[] out = new float[b * n];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < n; k++) {
                double sum = 0;
                for (int row : rows) {
                    sum += all[(i * t + row) * t + first + k];
                }
                out[i * n + k] = (float) (sum / rows.length);
            }
        }
        return Nd4j.create(out, new long[] {b, c.gridHeight(), c.gridWidth()}, 'c');
    }

    /** Refuses a model without CLS for {@code who}, whose map is the CLS row of a token × token matrix. */
    static void refuseWithoutCls(VitConfig c, String who) {
        if (!c.architecture().hasCls()) {
            throw new IllegalArgumentException(who + " maps the CLS row of the relevance matrix, but this model has "
                    + "no CLS token (" + TokenLayout.describe(c) + "; its attention probe reads every token with "
                    + "weights no block's pattern holds); use Chefer.matrix for the whole [B, T, T] relevance, or "
                    + "GradCam, which reads the patch tokens themselves");
        }
    }
}
