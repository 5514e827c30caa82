/**
 * The ViT itself: {@link io.github.vit4j.model.VitConfig} (shape), {@link io.github.vit4j.model.VitWeights}
 * (parameters), {@link io.github.vit4j.model.ReferenceForward} (the forward pass as the paper writes it),
 * {@link io.github.vit4j.model.Site} (the named intermediates) and {@link io.github.vit4j.model.Activations} (the
 * arrays of one run).
 *
 * <p>Read in that order. {@link io.github.vit4j.model.Vit}, the class users call, is the fast path: the same sites,
 * with shortcuts decided before each run (modules whose output is replaced whole are skipped, a logits-only run
 * computes the last block's CLS row alone) and its memory recycled, held equal to the reference by a test. A run can
 * keep any sites ({@link io.github.vit4j.model.Keep}), start from a cached {@code resid_pre}
 * ({@link io.github.vit4j.model.Input}) and use given arrays in place of computed ones
 * ({@link io.github.vit4j.model.Substitution}): everything activation patching needs, with no hooks. The arithmetic
 * of both goes through the kernels of a {@link io.github.vit4j.model.kernels.KernelSet} (package
 * {@link io.github.vit4j.model.kernels}), the one seam to the hardware: the reference runs on the plain kernels,
 * {@code Vit} on the fastest this machine runs unless told otherwise.
 */
package io.github.vit4j.model;
