/**
 * vit4j: a Vision Transformer whose forward pass exposes every intermediate as a named array. Start at
 * {@link io.github.vit4j.model}; {@link io.github.vit4j.SharedAssets} locates the shared weights, images and
 * reference outputs that tests, benchmarks and the CLI's defaults use.
 */
package io.github.vit4j;
