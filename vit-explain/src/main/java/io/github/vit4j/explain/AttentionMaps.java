package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every head's attention pattern for one query token, on the patch grid: {@code [B, L, H, g, g]}, element
 * {@code [b, l, h, r, c]} the weight that query gives patch {@code r·g + c} (token {@code 1 + r·g + c}) in head h of
 * block l. The grid is the model's own ({@code VitConfig.gridSize()}: 8 for the CIFAR-10 model, 14 for ViT-B/16 at
 * 224 px), never assumed. Read straight from the {@code pattern} sites; one forward.
 *
 * <p>The weight the query gives the CLS token (often most of it in late layers) is not on the grid, so a map need not
 * sum to 1. Where it misleads: attention says where a head reads from, not what it reads nor whether the read
 * matters (the value vectors and everything after decide that).
 *
 * @param query the query token: 0 for CLS, {@code 1 + r·g + c} for a patch
 */
public record AttentionMaps(int query) {

    public AttentionMaps {
        if (query < 0) {
            throw new IllegalArgumentException("query token must be ≥ 0 (0 is CLS), got " + query);
        }
    }

    /** The CLS token's attention. */
    public static AttentionMaps cls() {
        return new AttentionMaps(0);
    }

    /** The maps {@code [B, L, H, g, g]} of every block and head. */
    public INDArray of(Vit vit, Input input) {
        VitConfig c = vit.config();
        if (query >= c.tokens()) {
            throw new IllegalArgumentException("query token " + query + " is outside the model's " + c.tokens()
                    + " tokens (0 is CLS, 1.." + c.patches() + " the patches of its " + c.gridSize() + "×"
                    + c.gridSize() + " grid)");
        }
        int b = input.batch();
        int l = c.layers();
        int h = c.heads();
        int t = c.tokens();
        int n = c.patches();
        float[] out = new float[b * l * h * n];
        try (Activations run = vit.run(input, Keep.kinds(Site.Kind.PATTERN))) {
            for (int layer = 0; layer < l; layer++) {
                float[] p = PixelModel.floats(run.get(Site.pattern(layer)));        // [B, H, T, T]
                for (int i = 0; i < b; i++) {
                    for (int head = 0; head < h; head++) {
                        int from = ((i * h + head) * t + query) * t + 1;
                        System.arraycopy(p, from, out, ((i * l + layer) * h + head) * n, n);
                    }
                }
            }
        }
        return Nd4j.create(out, new long[] {b, l, h, c.gridSize(), c.gridSize()}, 'c');
    }
}
