package io.github.vit4j.spark;

import io.github.vit4j.embed.EmbeddingWriter;
import java.util.Optional;

/**
 * The embeddings of an {@link io.github.vit4j.embed.EmbeddingRun} as one Parquet file, written by parquet-java
 * (the Parquet library Spark itself writes with, on the class path beside Spark's jars) without starting Spark:
 * one row per image, columns {@code index} (int64), {@code name} (string), {@code label} (int32, null where
 * unknown; only where some image has a label) and {@code embedding} (a list of float32, Parquet's standard
 * three-level LIST, which Spark reads as {@code array<float>} and pandas / pyarrow as {@code list<float>}).
 * Snappy-compressed, rows in index order; written beside the target and moved into place when complete.
 *
 * <p>This class names no Parquet type, so that its callers load and run without parquet-java; the writer
 * ({@code ParquetEmbeddingFile}) loads it when it is made.
 */
public final class ParquetEmbeddings {

    private ParquetEmbeddings() {
    }

    /** The writer; check {@link #missing()} first. */
    public static EmbeddingWriter of() {
        return new ParquetEmbeddingFile();
    }

    /**
     * What this JVM lacks to write Parquet, in a sentence (parquet-java and Hadoop's client, which Spark's jars
     * bring); empty when it lacks nothing.
     */
    public static Optional<String> missing() {
        for (String c : new String[] {"org.apache.parquet.hadoop.ParquetWriter", "org.apache.hadoop.conf.Configuration"}) {
            try {
                Class.forName(c, false, ParquetEmbeddings.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                return Optional.of("parquet-java and Hadoop's client are not on the class path (" + c
                        + " not found)");
            }
        }
        return Optional.empty();
    }
}
