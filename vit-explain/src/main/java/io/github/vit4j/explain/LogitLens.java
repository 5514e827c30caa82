package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
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
 * The logit lens (nostalgebraist 2020; ViT-Prisma's patch-level lens): the model's own {@code ln_final} and head
 * applied to every block's {@code resid_post}, as if the network stopped there. For the CLS token it gives per-layer
 * class probabilities {@code [B, L, C]}; for every patch token the class the head would predict from it,
 * {@code [B, L, g, g]}. At the last block the CLS probabilities are the model's own ({@code LogitLensTest}).
 *
 * <p>The lens is the model's code, not a copy of it: each layer's {@code resid_post} resumes a run at layer L
 * ({@code Input.residPre(L, …)}), which computes only {@code ln_final} and the head. Where it misleads: earlier
 * layers' streams were never trained to be read by the final head, so an early "wrong" prediction may only mean the
 * lens does not fit there (the tuned lens learns a map per layer for that reason); the patch tokens never feed the
 * head at all.
 */
public final class LogitLens {

    private LogitLens() {
    }

    /**
     * The lens of one run.
     *
     * @param probabilities {@code [B, L, C]} float: softmax of the CLS token's lens logits at each block
     * @param patchClasses  {@code [B, L, g, g]} int: per block and patch token, the class with the largest lens logit
     */
    public record Result(INDArray probabilities, INDArray patchClasses) {
    }

    /** The lens at every block of a run from {@code input}. */
    public static Result of(Vit vit, Input input) {
        VitConfig c = vit.config();
        int b = input.batch();
        int layers = c.layers();
        int t = c.tokens();
        int classes = c.classes();
        float[] probabilities = new float[b * layers * classes];
        int[] patchClasses = new int[b * layers * c.patches()];
        try (Activations run = vit.run(input, Keep.kinds(Site.Kind.RESID_POST))) {
            for (int l = 0; l < layers; l++) {
                Input resumed = Input.residPre(layers, run.get(Site.residPost(l)));
                try (Activations head = vit.run(resumed, Keep.sites(Site.lnFinal()))) {
                    double[][] cls = head.logits().castTo(DataType.DOUBLE).toDoubleMatrix();          // [B][C]
                    float[] tokens = PixelModel.floats(headOfEveryToken(vit, head.get(Site.lnFinal()))); // [B·T, C]
                    for (int i = 0; i < b; i++) {
                        double[] p = Predictions.softmax(cls[i]);
                        for (int k = 0; k < classes; k++) {
                            probabilities[(i * layers + l) * classes + k] = (float) p[k];
                        }
                        for (int n = 1; n < t; n++) {
                            patchClasses[(i * layers + l) * (t - 1) + n - 1] = argmax(tokens, (i * t + n) * classes,
                                    classes);
                        }
                    }
                }
            }
        }
        return new Result(Nd4j.create(probabilities, new long[] {b, layers, classes}, 'c'),
                Nd4j.createFromArray(patchClasses).reshape('c', b, layers, c.gridSize(), c.gridSize()));
    }

    /** The head on every token of {@code ln_final} {@code [B, T, D]}: {@code [B·T, C]}. */
    private static INDArray headOfEveryToken(Vit vit, INDArray lnFinal) {
        INDArray x = lnFinal.dup('c').reshape(lnFinal.size(0) * lnFinal.size(1), lnFinal.size(2));
        INDArray weight = vit.weights().head().weight();                                         // [C, D]
        return x.mmul(weight.transpose()).addiRowVector(vit.weights().head().bias().reshape(1, weight.size(0)));
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
