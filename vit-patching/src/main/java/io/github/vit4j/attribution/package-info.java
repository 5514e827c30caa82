/**
 * Direct logit attribution (DLA): the model's output split exactly into what each part of the residual stream adds
 * to it along the linear path to the head, TransformerLens's {@code cache.apply_ln_to_stack} convention (the final
 * LayerNorm's scale taken from the run). Read {@link io.github.vit4j.attribution.DirectLogitAttribution} first, then
 * its result {@link io.github.vit4j.attribution.LogitAttribution}.
 */
package io.github.vit4j.attribution;
