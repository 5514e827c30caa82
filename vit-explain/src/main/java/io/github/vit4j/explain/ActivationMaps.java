package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-layer activation maps over the patch grid: {@code [B, L, gh, gw]}, element {@code [b, l, r, c]} the value at
 * patch {@code r·gw + c} (token {@code P + r·gw + c}, P = {@code VitConfig.prefixTokens()}: 1 for CLS, 2 with
 * distilled DeiT's distillation token, 1 + R with DINOv2's R registers, 0 for SigLIP) in block l of either one neuron
 * of a site ({@link #neuron}: of {@code mlp_post} by default) or the Euclidean norm of the site's vector at that token
 * ({@link #norm}). One forward. The tokens before the patches (CLS, distillation, registers) are not on the grid.
 *
 * <p>Where it misleads: a large activation is not an important one (what reads it decides that), and norms of the
 * residual stream grow with depth, so compare maps within a layer, not across layers.
 *
 * @param kind   a per-block site kind without a head axis ({@code mlp_post}, {@code resid_post}, {@code attn_out}, …)
 * @param neuron the neuron (a coordinate of the site's last axis), or {@link #NORM} for the norm per token
 */
public record ActivationMaps(Site.Kind kind, int neuron) {

    /** {@link #neuron} value meaning: the norm of the site's vector per token. */
    public static final int NORM = -1;

    public ActivationMaps {
        if (kind == null || !kind.perBlock() || kind.hasHeads()) {
            throw new IllegalArgumentException("activation maps need a per-block site kind with one vector per token "
                    + "(resid_pre, ln1, attn_out, resid_mid, ln2, mlp_pre, mlp_post, mlp_out, resid_post), got "
                    + (kind == null ? null : kind.lensName()));
        }
        if (neuron < NORM) {
            throw new IllegalArgumentException("neuron must be ≥ 0 (or ActivationMaps.NORM for the norm per token), "
                    + "got " + neuron);
        }
    }

    /** One neuron of {@code mlp_post} (the GELU output of the MLP, 0 .. mlpSize − 1). */
    public static ActivationMaps neuron(int neuron) {
        return new ActivationMaps(Site.Kind.MLP_POST, neuron);
    }

    /** The norm per token of a site. */
    public static ActivationMaps norm(Site.Kind kind) {
        return new ActivationMaps(kind, NORM);
    }

    /** The maps {@code [B, L, gh, gw]} of every block. */
    public INDArray of(Vit vit, Input input) {
        VitConfig c = vit.config();
        int b = input.batch();
        int l = c.layers();
        int n = c.patches();
        int t = c.tokens();
        int first = c.prefixTokens();
        float[] out = new float[b * l * n];
        try (Activations run = vit.run(input, Keep.kinds(kind))) {
            for (int layer = 0; layer < l; layer++) {
                INDArray site = run.get(Site.of(layer, kind));                                // [B, T, W]
                int w = (int) site.size(2);
                if (neuron >= w) {
                    throw new IllegalArgumentException("neuron " + neuron + " is outside " + Site.of(layer, kind)
                            + "'s " + w + " (0.." + (w - 1) + ")");
                }
                float[] a = PixelModel.floats(site);
                for (int i = 0; i < b; i++) {
                    for (int p = 0; p < n; p++) {
                        int row = (i * t + first + p) * w;
                        out[(i * l + layer) * n + p] = neuron == NORM ? norm(a, row, w) : a[row + neuron];
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {b, l, c.gridHeight(), c.gridWidth()}, 'c');
    }

    private static float norm(float[] a, int from, int w) {
        double s = 0;
        for (int k = 0; k < w; k++) {
            s += (double) a[from + k] * a[from + k];
        }
        return (float) Math.sqrt(s);
    }
}
