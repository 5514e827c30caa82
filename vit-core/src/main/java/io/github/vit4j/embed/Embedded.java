package io.github.vit4j.embed;

import io.github.vit4j.image.ImageSource;
import java.util.Arrays;

/**
 * The embeddings of a batch of consecutive images, as {@link EmbeddingRun#embed} computes them.
 *
 * @param first  the index of the batch's first image in the source
 * @param labels each image's label, or {@link ImageSource#UNKNOWN_LABEL}
 * @param values the embeddings, row after row: {@code labels.length × width} float32 values
 * @param width  the embedding's width E
 */
public record Embedded(int first, int[] labels, float[] values, int width) {

    /** @throws IllegalArgumentException when the values are not one row of {@code width} per label */
    public Embedded {
        if (first < 0 || width <= 0 || values.length != (long) labels.length * width) {
            throw new IllegalArgumentException("embeddings of images from " + first + ": " + labels.length
                    + " labels, " + values.length + " values of width " + width + "; expected a first index >= 0 and "
                    + "labels × width values");
        }
        labels = labels.clone();
        values = values.clone();
    }

    /** Number of images. */
    public int size() {
        return labels.length;
    }

    /** A copy of the labels. */
    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** A copy of the values. */
    @Override
    public float[] values() {
        return values.clone();
    }

    /** The embedding of image {@code i} of the batch (a copy). */
    public float[] row(int i) {
        return Arrays.copyOfRange(values, i * width, (i + 1) * width);
    }

    /** The label of image {@code i} of the batch, {@link ImageSource#UNKNOWN_LABEL} where unknown. */
    public int label(int i) {
        return labels[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Embedded e && first == e.first && width == e.width && Arrays.equals(labels, e.labels)
                && Arrays.equals(values, e.values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * first + width) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "Embedded[first=" + first + ", images=" + labels.length + ", width=" + width + "]";
    }
}
