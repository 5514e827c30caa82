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
 * {@code ln1}), take the patch tokens, weight each channel by the mean over patch tokens of {@code ∂ logit_y/∂A},
 * sum the weighted channels per token and keep the positive part: {@code ReLU(Σ_d w_d A[n, d])}, on the patch grid
 * {@code [B, g, g]}. Not rescaled (pytorch-grad-cam min–max scales each map for display; do that when drawing).
 *
 * <p>Why not the last block's {@code mlp_out} (or {@code resid_post}, {@code ln2}, …): the head reads the CLS token
 * alone, and after the last attention nothing mixes tokens, so the gradient at every patch token of those sites is
 * exactly zero and so is the map ({@code GradCamTest}). The last block's {@code ln1} is the last place where patch
 * tokens still reach CLS (through the last attention). Where it misleads: the map is coarse (one value per patch),
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

    /** The map of class {@code classes[i]} for image i (one class for all, or one per image): {@code [B, g, g]}. */
    public INDArray of(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        if (site.layer() >= c.layers()) {
            throw new IllegalArgumentException("site " + site + " is past the model's last block " + (c.layers() - 1));
        }
        int b = input.batch();
        int[] ys = PixelModel.expand(classes, b, c.classes());
        try (Activations forward = vit.run(input, Vit.keepForBackward().and(Keep.sites(site)));
             Gradients grads = vit.backward(forward, Objective.logit(ys), Keep.sites(site))) {
            return cam(forward.get(site), grads.get(site), c.gridSize());
        }
    }

    /** {@code ReLU(Σ_d mean_n(G[n, d]) · A[n, d])} over the patch tokens n of activations A and gradients G. */
    static INDArray cam(INDArray activations, INDArray gradients, int grid) {
        int b = (int) activations.size(0);
        int t = (int) activations.size(1);
        int d = (int) activations.size(2);
        float[] a = PixelModel.floats(activations);
        float[] g = PixelModel.floats(gradients);
        float[] out = new float[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            double[] w = new double[d];
            for (int n = 1; n < t; n++) {
                for (int k = 0; k < d; k++) {
                    w[k] += g[(i * t + n) * d + k] / (double) (t - 1);
                }
            }
            for (int n = 1; n < t; n++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += w[k] * a[(i * t + n) * d + k];
                }
                out[i * (t - 1) + n - 1] = (float) Math.max(0, s);
            }
        }
        return Nd4j.create(out, new long[] {b, grid, grid}, 'c');
    }
}
