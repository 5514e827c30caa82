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
 * Every head's attention pattern for one query token, on the patch grid: {@code [B, L, H, gh, gw]}, element
 * {@code [b, l, h, r, c]} the weight that query gives patch {@code r·gw + c} (token {@code P + r·gw + c}, P =
 * {@code VitConfig.prefixTokens()}) in head h of block l. The grid is the model's own ({@code gridHeight × gridWidth}:
 * 8 for the CIFAR-10 model, 14 for ViT-B/16 at 224 px), never assumed. Read straight from the {@code pattern} sites;
 * one forward.
 *
 * <p>The weight the query gives the tokens before the patches (CLS, distilled DeiT's distillation token, DINOv2's
 * registers; often most of it in late layers) is not on the grid, so a map need not sum to 1. The query is a token
 * index, {@link #CLS} (the CLS token, refused on a model without one: SigLIP, whose output pools every token with a
 * learned probe that is not a query of any block) or {@link #MEAN} (the mean over every query token's row: the map
 * for a model without CLS). {@link #forModel} picks CLS where there is one, else the mean. Where it misleads:
 * attention says where a head reads from, not what it reads nor whether the read matters (the value vectors and
 * everything after decide that).
 *
 * @param query the query token ({@code P + r·gw + c} for a patch), {@link #CLS} or {@link #MEAN}
 */
public record AttentionMaps(int query) {

    /** {@link #query} meaning: the mean over every query token's attention row. */
    public static final int MEAN = -1;
    /** {@link #query} meaning: the CLS token (token 0), refused on a model without one. */
    public static final int CLS = -2;

    public AttentionMaps {
        if (query < CLS) {
            throw new IllegalArgumentException("query token must be ≥ 0, AttentionMaps.CLS or AttentionMaps.MEAN, got "
                    + query);
        }
    }

    /** The CLS token's attention (refused by {@link #of} on a model without CLS token). */
    public static AttentionMaps cls() {
        return new AttentionMaps(CLS);
    }

    /** The mean over every query token's attention. */
    public static AttentionMaps mean() {
        return new AttentionMaps(MEAN);
    }

    /** The CLS token's attention where the model has a CLS token, else the mean over queries (SigLIP). */
    public static AttentionMaps forModel(VitConfig c) {
        return c.architecture().hasCls() ? cls() : mean();
    }

    /** The maps {@code [B, L, H, gh, gw]} of every block and head. */
    public INDArray of(Vit vit, Input input) {
        VitConfig c = vit.config();
        int q = query == CLS ? clsToken(c) : query;
        if (q >= c.tokens()) {
            throw new IllegalArgumentException("query token " + q + " is outside the model's " + c.tokens()
                    + " tokens (" + TokenLayout.describe(c) + ")");
        }
        int b = input.batch();
        int l = c.layers();
        int h = c.heads();
        int t = c.tokens();
        int n = c.patches();
        int first = c.prefixTokens();
        float[] out = new float[b * l * h * n];
        try (Activations run = vit.run(input, Keep.kinds(Site.Kind.PATTERN))) {
            for (int layer = 0; layer < l; layer++) {
                float[] p = PixelModel.floats(run.get(Site.pattern(layer)));        // [B, H, T, T]
                for (int i = 0; i < b; i++) {
                    for (int head = 0; head < h; head++) {
                        int to = ((i * l + layer) * h + head) * n;
                        int rows = (i * h + head) * t;
                        if (q == MEAN) {
                            for (int row = 0; row < t; row++) {
                                for (int k = 0; k < n; k++) {
                                    out[to + k] += p[(rows + row) * t + first + k] / t;
                                }
                            }
                        } else {
                            System.arraycopy(p, (rows + q) * t + first, out, to, n);
                        }
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {b, l, h, c.gridHeight(), c.gridWidth()}, 'c');
    }

    /** Token 0, or a refusal naming why and what to use on a model without CLS token. */
    private static int clsToken(VitConfig c) {
        if (!c.architecture().hasCls()) {
            throw new IllegalArgumentException("this model has no CLS token (" + TokenLayout.describe(c) + "; it pools its"
                    + " tokens with " + c.architecture().pooling() + "), so no CLS attention exists; use"
                    + " AttentionMaps.mean() for the mean over query tokens, or a patch token as the query");
        }
        return 0;
    }
}
