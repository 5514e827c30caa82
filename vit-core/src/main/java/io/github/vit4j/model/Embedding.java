package io.github.vit4j.model;

import java.util.Locale;

/**
 * Which vector of a run is an image's embedding, the vector image search and clustering are built on
 * ({@link Vit#embed}):
 * <ul>
 *   <li>{@link #POOLED}: the model's {@code pooled} site where it has one (CLIP's post-LayerNorm CLS row, DINOv2's
 *       CLS row or concat(CLS, patch mean), SigLIP's attention-pooled vector), else the CLS row of {@code ln_final}
 *       (the original ViT/DeiT and distilled DeiT: what their head reads, Hugging Face's
 *       {@code last_hidden_state[:, 0]});</li>
 *   <li>{@link #PROJECTED}: {@code image_embeds}, the projection after pooling (CLIP's {@code visual_projection},
 *       Hugging Face's {@code image_embeds}); only models with a projection have it.</li>
 * </ul>
 * {@link #defaultFor} picks what OpenCLIP's {@code encode_image} and Hugging Face's {@code get_image_features} give:
 * the projected vector where there is one, else the pooled one.
 */
public enum Embedding {
    /** The pooled vector, {@code [B, pooledSize]}. */
    POOLED,
    /** The projected vector {@code image_embeds}, {@code [B, projection]}. */
    PROJECTED;

    /** {@link #PROJECTED} for a model with a projection, else {@link #POOLED}. */
    public static Embedding defaultFor(VitConfig config) {
        return config.hasSite(Site.Kind.IMAGE_EMBEDS) ? PROJECTED : POOLED;
    }

    /**
     * The site this embedding is read from: {@code pooled}, {@code ln_final} (of which the CLS row) or
     * {@code image_embeds}.
     *
     * @throws IllegalArgumentException for {@link #PROJECTED} on a model without a projection, naming its
     *                                  architecture
     */
    public Site site(VitConfig config) {
        if (this == PROJECTED) {
            if (!config.hasSite(Site.Kind.IMAGE_EMBEDS)) {
                throw new IllegalArgumentException("the model has no projection, so no projected embedding "
                        + "(image_embeds): its architecture is " + config.architecture() + "; use Embedding.POOLED "
                        + "(Embedding.defaultFor picks what a model has)");
            }
            return Site.imageEmbeds();
        }
        return config.hasSite(Site.Kind.POOLED) ? Site.pooled() : Site.lnFinal();
    }

    /** The embedding's width: the projection's, or {@link VitConfig#pooledSize()} (D, or 2D for CLS + patch mean). */
    public int size(VitConfig config) {
        return site(config).kind() == Site.Kind.IMAGE_EMBEDS ? config.embeddingSize() : config.pooledSize();
    }

    /** The lower-case name, {@code pooled} or {@code projected}, as files record it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
