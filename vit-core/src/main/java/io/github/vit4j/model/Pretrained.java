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
        if (preprocessing.size() != weights.config().imageSize()) {
            throw new IllegalArgumentException("preprocessing resizes to " + preprocessing.size()
                    + "px but the model takes " + weights.config().imageSize() + "px images");
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
