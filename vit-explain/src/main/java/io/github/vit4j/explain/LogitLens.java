package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The logit lens (nostalgebraist 2020; ViT-Prisma's patch-level lens): the model's own head path (its final
 * LayerNorm, pooling, projection and head, as the model runs them) applied to every block's {@code resid_post}, as
 * if the network stopped there. It gives per-layer class probabilities {@code [B, L, C]} (for the original ViT the
 * CLS token's lens; for DINOv2's classifier CLS and the patch mean, for SigLIP with classes the attention pooling,
 * for distilled DeiT the mean of its two heads: whatever the output reads); and for every patch token the class the
 * model would predict if every token of the stream were that patch's, {@code [B, L, gh, gw]} (for a head on the CLS
 * row, simply the head on that token's {@code ln_final} row). At the last block the probabilities are the model's
 * own ({@code LogitLensTest}).
 *
 * <p>A model without a classifier (CLIP's or SigLIP's image tower, DINOv2's backbone) is refused: its output is an
 * embedding, and a softmax over it means nothing; give it classes (a linear head, zero-shot classes) first.
 *
 * <p>The lens is the model's code, not a copy of it: each layer's {@code resid_post} resumes a run at layer L
 * ({@code Input.residPre(L, …)}), which computes only the head path. Where it misleads: earlier layers' streams were
 * never trained to be read by the final head, so an early "wrong" prediction may only mean the lens does not fit
 * there (the tuned lens learns a map per layer for that reason); the patch tokens never feed a CLS head at all.
 */
public final class LogitLens {

    /** Floats of the broadcast streams of one batched lens run (what a ViT-B/16 run of 27 images holds). */
    private static final int FLOATS_PER_RUN = 1 << 22;

    private LogitLens() {
    }

    /**
     * The lens of one run.
     *
     * @param probabilities {@code [B, L, C]} float: softmax of the lens logits (the model's output read at each block)
     * @param patchClasses  {@code [B, L, gh, gw]} int: per block and patch token, the class with the largest lens logit
     */
    public record Result(INDArray probabilities, INDArray patchClasses) {
    }

    /**
     * The lens at every block of a run from {@code input}.
     *
     * @throws IllegalArgumentException for a model without classifier
     */
    public static Result of(Vit vit, Input input) {
        VitConfig c = vit.config();
        TokenLayout.requireClassifier(c, "the logit lens");
        int b = input.batch();
        int layers = c.layers();
        int t = c.tokens();
        int n = c.patches();
        int first = c.prefixTokens();
        int classes = c.classes();
        boolean headOnRows = headReadsOneRow(c);
        float[] probabilities = new float[b * layers * classes];
        int[] patchClasses = new int[b * layers * n];
        try (Activations run = vit.run(input, Keep.kinds(Site.Kind.RESID_POST))) {
            for (int l = 0; l < layers; l++) {
                INDArray stream = run.get(Site.residPost(l));                                   // [B, T, D]
                Input resumed = Input.residPre(layers, stream);
                try (Activations head = vit.run(resumed, headOnRows ? Keep.sites(Site.lnFinal()) : Keep.logitsOnly())) {
                    double[][] out = head.logits().castTo(DataType.DOUBLE).toDoubleMatrix();          // [B][C]
                    int[] perToken = headOnRows
                            ? argmaxRows(PixelModel.floats(headOfEveryToken(vit, head.get(Site.lnFinal()))), b, t,
                                    first, classes)
                            : classesIfEveryTokenWere(vit, stream);
                    for (int i = 0; i < b; i++) {
                        double[] p = Predictions.softmax(out[i]);
                        for (int k = 0; k < classes; k++) {
                            probabilities[(i * layers + l) * classes + k] = (float) p[k];
                        }
                        System.arraycopy(perToken, i * n, patchClasses, (i * layers + l) * n, n);
                    }
                }
            }
        }
        return new Result(Nd4j.create(probabilities, new long[] {b, layers, classes}, 'c'),
                Nd4j.createFromArray(patchClasses).reshape('c', b, layers, c.gridHeight(), c.gridWidth()));
    }

    /** Whether the output is the linear head on the CLS row of {@code ln_final}, so that a token's lens is one GEMM. */
    private static boolean headReadsOneRow(VitConfig c) {
        Architecture a = c.architecture();
        return a.pooling() == Architecture.Pooling.CLS && c.hasSite(Site.Kind.LN_FINAL) && a.projection() == 0
                && a.head() == Architecture.Head.LINEAR && !a.cosineHead();
    }

    /** The head on every token of {@code ln_final} {@code [B, T, D]}: {@code [B·T, C]}. */
    private static INDArray headOfEveryToken(Vit vit, INDArray lnFinal) {
        INDArray x = lnFinal.dup('c').reshape(lnFinal.size(0) * lnFinal.size(1), lnFinal.size(2));
        INDArray weight = vit.weights().head().weight();                                         // [C, D]
        return x.mmul(weight.transpose()).addiRowVector(vit.weights().head().bias().reshape(1, weight.size(0)));
    }

    /** Per image and patch, the argmax of {@code logits} {@code [B·T, C]} at the patch's token: {@code [B·N]}. */
    private static int[] argmaxRows(float[] logits, int b, int t, int first, int classes) {
        int n = t - first;
        int[] out = new int[b * n];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < n; p++) {
                out[i * n + p] = argmax(logits, (i * t + first + p) * classes, classes);
            }
        }
        return out;
    }

    /**
     * Per image and patch p of {@code stream} {@code [B, T, D]}, the class the model's head path predicts from a
     * stream whose every token is p's row: {@code [B·N]}. Run in batches of such streams.
     */
    static int[] classesIfEveryTokenWere(Vit vit, INDArray stream) {
        VitConfig c = vit.config();
        int b = (int) stream.size(0);
        int t = c.tokens();
        int d = c.hiddenSize();
        int n = c.patches();
        int first = c.prefixTokens();
        float[] x = PixelModel.floats(stream);
        int[] out = new int[b * n];
        int perRun = Math.max(1, FLOATS_PER_RUN / (t * d));
        for (int from = 0; from < b * n; from += perRun) {
            int rows = Math.min(perRun, b * n - from);
            float[] broadcast = new float[rows * t * d];
            for (int r = 0; r < rows; r++) {
                int image = (from + r) / n;
                int token = first + (from + r) % n;
                for (int k = 0; k < t; k++) {
                    System.arraycopy(x, (image * t + token) * d, broadcast, (r * t + k) * d, d);
                }
            }
            INDArray logits = vit.logits(Input.residPre(c.layers(),
                    Nd4j.create(broadcast, new long[] {rows, t, d}, 'c')));                       // [rows, C]
            float[] l = PixelModel.floats(logits);
            for (int r = 0; r < rows; r++) {
                out[from + r] = argmax(l, r * c.classes(), c.classes());
            }
        }
        return out;
    }

    private static int argmax(float[] x, int from, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            if (x[from + k] > x[from + best]) {
                best = k;
            }
        }
        return best;
    }
}
