package io.github.vit4j.spark;

import io.github.vit4j.embed.EmbeddingRun;
import io.github.vit4j.model.Embedding;
import java.io.Serializable;

/**
 * What a Spark embedding job computes: {@link EmbeddingRun.Options} but the limit, plus the model's location. Plain,
 * serializable data that Spark ships to every task.
 *
 * @param model     where every executor loads the model from: a {@code .vit} file, a model folder or file, or
 *                  {@code hf:org/name} (a path on storage every executor reads)
 * @param kind      which vector
 * @param normalize L2-normalised rows
 * @param batch     images per forward; partitions hold whole batches, so the rows do not depend on the number of
 *                  partitions
 */
public record EmbedJob(String model, Embedding kind, boolean normalize, int batch) implements Serializable {

    /** @throws IllegalArgumentException naming the bad value */
    public EmbedJob {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a Spark embedding job needs a model: a .vit file, a model folder or "
                    + "file on storage every executor reads, or hf:org/name");
        }
        new EmbeddingRun.Options(kind, normalize, batch, 1);              // checked on the driver
    }

    /** The library's options for the first {@code limit} images of a source. */
    public EmbeddingRun.Options options(int limit) {
        return new EmbeddingRun.Options(kind, normalize, batch, limit);
    }
}
