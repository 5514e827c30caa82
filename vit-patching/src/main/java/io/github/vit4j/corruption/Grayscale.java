package io.github.vit4j.corruption;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Removes colour: on [0, 1] pixels, Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma, the weights of
 * torchvision's {@code rgb_to_grayscale}) copied to all three channels.
 */
public record Grayscale() implements PixelCorruption {

    @Override
    public INDArray corrupt(Images images, int patchSize) {
        INDArray p = images.pixels();
        long b = p.size(0);
        long h = p.size(2);
        long w = p.size(3);
        float[] in = p.dup('c').data().asFloat();
        int plane = (int) (h * w);
        float[] out = new float[in.length];
        for (int i = 0; i < b; i++) {
            int o = i * 3 * plane;
            for (int k = 0; k < plane; k++) {
                float y = (float) (0.299 * in[o + k] + 0.587 * in[o + plane + k] + 0.114 * in[o + 2 * plane + k]);
                out[o + k] = y;
                out[o + plane + k] = y;
                out[o + 2 * plane + k] = y;
            }
        }
        return Nd4j.create(out, p.shape(), 'c');
    }

    @Override
    public String describe() {
        return "grayscale";
    }
}
