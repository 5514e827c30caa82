package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;

/**
 * Gradient × input (Shrikumar et al. 2016): {@code x · ∂ logit_y / ∂x} per pixel and channel, x the [0, 1] pixels; the
 * map sums the channels (signed).
 *
 * <p>What it shows: a first-order estimate of each pixel's contribution relative to a black image (it is integrated
 * gradients with one step). Where it misleads: black is not "absent" (a black object is invisible to it), and
 * Adebayo et al. found it dominated by the input itself: it looks like an edge detector even on a random model.
 *
 * @param batch the most images per forward and backward
 */
public record GradientTimesInput(int batch) {

    public GradientTimesInput {
        PixelModel.checkBatch(batch);
    }

    /** Batches of 32 images. */
    public static GradientTimesInput defaults() {
        return new GradientTimesInput(32);
    }

    /** Gradient × input of class {@code classes[i]} for image i (one class for all, or one per image). */
    public PixelAttribution of(Vit vit, ImageSource.Batch images, int... classes) {
        return PixelAttribution.summed(PixelModel.logitGradient(vit, images, batch, classes).mul(images.pixels()));
    }
}
