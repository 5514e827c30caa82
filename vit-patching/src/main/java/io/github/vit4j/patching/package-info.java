/**
 * Activation patching as plain data: a {@link io.github.vit4j.patching.Patch} says which site, tokens and heads to
 * take from which source array; {@link io.github.vit4j.patching.Patcher} turns patches into substitutions of a run
 * resumed from the corrupted run's cached {@code resid_pre}, one configuration at a time or many in one batched
 * forward.
 */
package io.github.vit4j.patching;
