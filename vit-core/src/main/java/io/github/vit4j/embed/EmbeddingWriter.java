package io.github.vit4j.embed;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes the output of a finished {@link EmbeddingRun} from its rows, atomically (a reader never sees half a file):
 * {@link #npy()} here, Parquet in vit-spark ({@code ParquetEmbeddings}).
 */
public interface EmbeddingWriter {

    /** Writes {@code target} from {@code table}'s rows, in place of any file there. */
    void write(Path target, EmbeddingTable table) throws IOException;

    /**
     * A float32 {@code .npy} of shape {@code [N, E]} (NumPy's {@code np.load} reads it), and beside it
     * {@link #indexOf the index}: a CSV of {@code index,name,label} per row (label empty where unknown; names quoted
     * as RFC 4180 says where they hold a comma, quote or line break).
     */
    static EmbeddingWriter npy() {
        return new NpyEmbeddings();
    }

    /** The index CSV that {@link #npy()} writes beside {@code npy}: {@code NAME.index.csv} for {@code NAME.npy}. */
    static Path indexOf(Path npy) {
        String name = npy.getFileName().toString();
        String stem = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        return npy.resolveSibling(stem + ".index.csv");
    }
}
