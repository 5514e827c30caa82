package io.github.vit4j.model;

import io.github.vit4j.image.Preprocessing;

/**
 * A trained model as it is loaded from disk: its weights and how it wants its pixels.
 *
 * @param weights       the parameters (and, through them, the config)
 * @param preprocessing resize, rescale and normalisation the model was trained with
 */
public record Pretrained(VitWeights weights, Preprocessing preprocessing) {

    public Pretrained {
        if (weights == null || preprocessing == null) {
            throw new IllegalArgumentException("weights and preprocessing are both required");
        }
        VitConfig c = weights.config();
        if (preprocessing.size() != c.imageHeight() || preprocessing.size() != c.imageWidth()) {
            throw new IllegalArgumentException("preprocessing resizes to " + preprocessing.size() + "×"
                    + preprocessing.size() + " but the model takes " + c.imageHeight() + "×" + c.imageWidth()
                    + " images" + (c.square() ? "" : "; Preprocessing makes square images only: resize a"
                    + " non-square input yourself and run the model with Vit.run"));
        }
        if (preprocessing.channels() != weights.config().channels()) {
            throw new IllegalArgumentException("preprocessing normalises " + preprocessing.channels()
                    + " channels but the model takes " + weights.config().channels());
        }
    }

    public VitConfig config() {
        return weights.config();
    }
}
