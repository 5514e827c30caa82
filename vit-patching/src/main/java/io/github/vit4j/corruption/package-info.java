/**
 * Corruptions for causal tracing: {@link io.github.vit4j.corruption.Grayscale},
 * {@link io.github.vit4j.corruption.GaussianNoise} (ROME's noise on the embeddings),
 * {@link io.github.vit4j.corruption.Blur} and {@link io.github.vit4j.corruption.Occlusion}. Add your own by
 * implementing {@link io.github.vit4j.corruption.Corruption}, or {@link io.github.vit4j.corruption.PixelCorruption}
 * for a change of the [0, 1] pixels.
 */
package io.github.vit4j.corruption;
