package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;

/**
 * Vanilla saliency (Simonyan et al. 2014): {@code max over channels of |∂ logit_y / ∂ pixel|}, with respect to the
 * [0, 1] pixels the model sees (the normalisation is part of the model). One forward and one backward per image.
 *
 * <p>What it shows: where a small change of the pixels would move the logit most. Where it misleads: it is local
 * (a saturated feature has gradient ≈ 0 however much it matters) and noisy; it says nothing about the sign.
 *
 * @param batch the most images per forward and backward
 */
public record Saliency(int batch) {

    public Saliency {
        PixelModel.checkBatch(batch);
    }

    /** Batches of 32 images. */
    public static Saliency defaults() {
        return new Saliency(32);
    }

    /**
     * The saliency of class {@code classes[i]} for image i (one class for all, or one per image).
     *
     * @param images pixels at the model's size and their preprocessing
     */
    public PixelAttribution of(Vit vit, ImageSource.Batch images, int... classes) {
        return PixelAttribution.maxAbs(PixelModel.logitGradient(vit, images, batch, classes));
    }
}
