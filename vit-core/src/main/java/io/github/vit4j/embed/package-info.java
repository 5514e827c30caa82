/**
 * Embeddings at scale: {@link io.github.vit4j.embed.EmbeddingRun} computes every image's
 * {@link io.github.vit4j.model.Embedding} in fixed batches and appends them to a resumable partial folder beside
 * the output, which an {@link io.github.vit4j.embed.EmbeddingWriter} ({@code .npy} here, Parquet in vit-spark)
 * turns into the output file once every image is done.
 */
package io.github.vit4j.embed;
