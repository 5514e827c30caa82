package io.github.vit4j.explain;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a gradient method gives: an attribution per pixel and channel, and the map a person looks at.
 *
 * @param attributions {@code [B, C, H, W]}: the gradient (saliency), gradient × input, the mean gradient
 *                     (SmoothGrad) or the integrated gradients
 * @param map          {@code [B, H, W]} at the model's input resolution: for saliency the largest |attribution| over
 *                     the channels, for the others the sum over the channels (signed)
 */
public record PixelAttribution(INDArray attributions, INDArray map) {

    public PixelAttribution {
        if (attributions == null || map == null || attributions.rank() != 4 || map.rank() != 3) {
            throw new IllegalArgumentException("expected attributions [B, C, H, W] and a map [B, H, W], got "
                    + (attributions == null ? null : java.util.Arrays.toString(attributions.shape())) + " and "
                    + (map == null ? null : java.util.Arrays.toString(map.shape())));
        }
    }

    /** Attributions with their map the sum over channels (signed). */
    static PixelAttribution summed(INDArray attributions) {
        return new PixelAttribution(attributions, reduce(attributions, false));
    }

    /** Attributions with their map the largest absolute value over channels. */
    static PixelAttribution maxAbs(INDArray attributions) {
        return new PixelAttribution(attributions, reduce(attributions, true));
    }

    private static INDArray reduce(INDArray a, boolean maxAbs) {
        int b = (int) a.size(0);
        int c = (int) a.size(1);
        int hw = (int) (a.size(2) * a.size(3));
        float[] x = PixelModel.floats(a);
        float[] out = new float[b * hw];
        for (int i = 0; i < b; i++) {
            for (int p = 0; p < hw; p++) {
                float r = 0;
                for (int ch = 0; ch < c; ch++) {
                    float v = x[(i * c + ch) * hw + p];
                    r = maxAbs ? Math.max(r, Math.abs(v)) : r + v;
                }
                out[i * hw + p] = r;
            }
        }
        return Nd4j.create(out, new long[] {b, a.size(2), a.size(3)}, 'c');
    }
}
