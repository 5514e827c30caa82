package io.github.vit4j.model;

/**
 * A whole CLIP model, Hugging Face's {@code CLIPModel}: the image tower with its projection (a {@link VitWeights} of
 * {@link Architecture#clipVision}, or any architecture with a projection), the text tower, and the learned
 * temperature. {@link ZeroShot} turns it into an image classifier over classes named in words.
 *
 * @param image      the image tower; its output is {@code image_embeds} {@code [B, P]}
 * @param text       the text tower; its output is {@code text_embeds} {@code [B, P]}, the same P
 * @param logitScale the checkpoint's {@code logit_scale}, a logarithm: logits are {@code exp(logitScale)} times the
 *                   cosine similarity of image and text embeddings (4.6052 = ln 100 in OpenAI's models)
 */
public record Clip(VitWeights image, TextWeights text, double logitScale) {

    /**
     * @throws IllegalArgumentException for a missing tower, an image tower without a projection, towers whose
     *                                  embeddings differ in width, or a scale whose exponential is not a finite
     *                                  float
     */
    public Clip {
        if (image == null || text == null) {
            throw new IllegalArgumentException("a CLIP needs both towers, got image " + image + " and text " + text);
        }
        int p = image.config().architecture().projection();
        if (p == 0) {
            throw new IllegalArgumentException("the image tower has no projection to the shared embedding space"
                    + " (architecture " + image.config().architecture() + "); CLIP's is Architecture.clipVision(P)");
        }
        if (text.config().projection() != p) {
            throw new IllegalArgumentException("the image tower projects to " + p + " dimensions but the text"
                    + " tower to " + text.config().projection() + "; are they the two towers of one CLIP?");
        }
        if (!Double.isFinite(logitScale) || !Float.isFinite((float) Math.exp(logitScale))) {
            throw new IllegalArgumentException("logitScale " + logitScale + " is not a logarithm whose exponential"
                    + " fits a float; CLIP's is ln 100 = 4.6052 once trained, ln(1/0.07) = 2.6593 at initialisation");
        }
    }

    /** {@code exp(logitScale)}: the factor between cosine similarities and logits. */
    public double scale() {
        return Math.exp(logitScale);
    }
}
