package io.github.vit4j.embed;

import io.github.vit4j.image.ImageSource;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rows of a finished {@link EmbeddingRun}, as an {@link EmbeddingWriter} reads them: image by image, in index
 * order, each image's index, name, label and embedding. Read from the run's partial folder, never held in memory
 * whole.
 */
public final class EmbeddingTable {

    /** What a writer does with one image's index, name and label. */
    @FunctionalInterface
    public interface ImageVisitor {
        /** @param label the image's label, or {@link ImageSource#UNKNOWN_LABEL} */
        void accept(int index, String name, int label) throws IOException;
    }

    /** What a writer does with one image's row. */
    @FunctionalInterface
    public interface RowVisitor {
        /** @param label the image's label, or {@link ImageSource#UNKNOWN_LABEL} */
        void accept(int index, String name, int label, float[] embedding) throws IOException;
    }

    private final Path values;
    private final Path index;
    private final int images;
    private final int width;

    EmbeddingTable(Path values, Path index, int images, int width) {
        this.values = values;
        this.index = index;
        this.images = images;
        this.width = width;
    }

    /** Number of images N. */
    public int images() {
        return images;
    }

    /** The embedding's width E. */
    public int width() {
        return width;
    }

    /** Whether any image has a label. */
    public boolean labelled() throws IOException {
        boolean[] any = new boolean[1];
        forEachImage((i, name, label) -> any[0] |= label != ImageSource.UNKNOWN_LABEL);
        return any[0];
    }

    /** Visits every image's index, name and label, in index order. */
    public void forEachImage(ImageVisitor visitor) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            for (int i = 0; i < images; i++) {
                String[] f = EmbeddingFolder.parseIndexLine(in.readLine(), i, index);
                visitor.accept(i, EmbeddingFolder.unescape(f[2]), Integer.parseInt(f[1]));
            }
        }
    }

    /** Visits every image's row, in index order. */
    public void forEach(RowVisitor visitor) throws IOException {
        try (BufferedReader names = Files.newBufferedReader(index, StandardCharsets.UTF_8);
             DataInputStream rows = new DataInputStream(Files.newInputStream(values))) {
            byte[] bytes = new byte[4 * width];
            for (int i = 0; i < images; i++) {
                String[] f = EmbeddingFolder.parseIndexLine(names.readLine(), i, index);
                rows.readFully(bytes);
                float[] row = new float[width];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(row);
                visitor.accept(i, EmbeddingFolder.unescape(f[2]), Integer.parseInt(f[1]), row);
            }
        }
    }

    /** Copies the N × E float32 values, little-endian, row after row, to {@code out}. */
    public void copyValues(OutputStream out) throws IOException {
        try (InputStream in = Files.newInputStream(values)) {
            long copied = in.transferTo(out);
            if (copied != 4L * images * width) {
                throw new IOException(values + " holds " + copied + " bytes, expected " + 4L * images * width
                        + " (" + images + " rows of " + width + " float32); it changed while the run finished");
            }
        }
    }
}
