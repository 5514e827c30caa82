package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Grad-CAM for ViTs, pytorch-grad-cam's recipe: at a token site {@code A [B, T, D]} (by default the last block's
 * {@code ln1}), take the patch tokens (those after the model's {@code VitConfig.prefixTokens()}: CLS, distilled DeiT's
 * distillation token and DINOv2's registers are not on the grid), weight each channel by the mean over patch tokens of {@code ∂ logit_y/∂A},
 * sum the weighted channels per token and keep the positive part: {@code ReLU(Σ_d w_d A[n, d])}, on the patch grid
 * {@code [B, gh, gw]}. Not rescaled (pytorch-grad-cam min–max scales each map for display; do that when drawing).
 *
 * <p>Why not the last block's {@code mlp_out} (or {@code resid_post}, {@code ln2}, …): the head reads the CLS token
 * alone, and after the last attention nothing mixes tokens, so the gradient at every patch token of those sites is
 * exactly zero and so is the map ({@code GradCamTest}). The last block's {@code ln1} is the last place where patch
 * tokens still reach CLS (through the last attention). That holds for every family whose head reads CLS (and the
 * distillation token); DINOv2's classifier (the mean of the patch tokens) and SigLIP (attention pooling over every
 * token) read the patches themselves, so later sites give maps there too, and {@code ln1} of the last block stays
 * the usual choice. Where it misleads: the map is coarse (one value per patch),
 * and the ReLU hides evidence against the class.
 *
 * @param site the token site {@code [B, T, ·]} of a block
 */
public record GradCam(Site site) {

    public GradCam {
        if (site == null || !site.kind().perBlock() || site.kind().hasHeads()) {
            throw new IllegalArgumentException("Grad-CAM needs a per-block token site [B, T, D] (ln1, resid_pre, "
                    + "attn_out, mlp_post, …), got " + site + "; GradCam.lastBlock(config) takes the usual one");
        }
    }

    /** The usual site: the last block's {@code ln1}. */
    public static GradCam lastBlock(VitConfig config) {
        return new GradCam(Site.ln1(config.layers() - 1));
    }

    /** The map of class {@code classes[i]} for image i (one class for all, or one per image): {@code [B, gh, gw]}. */
    public INDArray of(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        if (site.layer() >= c.layers()) {
            throw new IllegalArgumentException("site " + site + " is past the model's last block " + (c.layers() - 1));
        }
        int b = input.batch();
        int[] ys = PixelModel.expand(classes, b, c.classes());
        try (Activations forward = vit.run(input, Vit.keepForBackward().and(Keep.sites(site)));
             Gradients grads = vit.backward(forward, Objective.logit(ys), Keep.sites(site))) {
            return cam(forward.get(site), grads.get(site), c.prefixTokens(), c.gridHeight(),
                    c.gridWidth());
        }
    }

    /** {@link #cam(INDArray, INDArray, int, int)} of a model with one token (CLS) before the patches. */
    static INDArray cam(INDArray activations, INDArray gradients, int grid) {
        return cam(activations, gradients, 1, grid, grid);
    }

    /** {@link #cam(INDArray, INDArray, int, int, int)} on a square {@code grid × grid}. */
    static INDArray cam(INDArray activations, INDArray gradients, int first, int grid) {
        return cam(activations, gradients, first, grid, grid);
    }

    /**
     * {@code ReLU(Σ_d mean_n(G[n, d]) · A[n, d])} over the patch tokens n (those from {@code first} on) of activations
     * A and gradients G.
     */
    static INDArray cam(INDArray activations, INDArray gradients, int first, int gridHeight, int gridWidth) {
        int b = (int) activations.size(0);
        int t = (int) activations.size(1);
        int d = (int) activations.size(2);
        int n = t - first;
        float[] a = PixelModel.floats(activations);
        float[] g = PixelModel.floats(gradients);
        float[] out = new float[b * n];
        for (int i = 0; i < b; i++) {
            double[] w = new double[d];
            for (int p = first; p < t; p++) {
                for (int k = 0; k < d; k++) {
                    w[k] += g[(i * t + p) * d + k] / (double) n;
                }
            }
            for (int p = first; p < t; p++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += w[k] * a[(i * t + p) * d + k];
                }
                out[i * n + p - first] = (float) Math.max(0, s);
            }
        }
        return Nd4j.create(out, new long[] {b, gridHeight, gridWidth}, 'c');
    }
}
