/**
 * The ViT itself: {@link io.github.vit4j.model.VitConfig} (shape), {@link io.github.vit4j.model.VitWeights}
 * (parameters), {@link io.github.vit4j.model.Vit} (the forward pass), {@link io.github.vit4j.model.Site} (the named
 * intermediates) and {@link io.github.vit4j.model.Activations} (the arrays of one run).
 *
 * <p>Read in that order. A run can keep any sites ({@link io.github.vit4j.model.Keep}), start from a cached
 * {@code resid_pre} ({@link io.github.vit4j.model.Input}) and use given arrays in place of computed ones
 * ({@link io.github.vit4j.model.Substitution}): everything activation patching needs, with no hooks.
 */
package io.github.vit4j.model;
