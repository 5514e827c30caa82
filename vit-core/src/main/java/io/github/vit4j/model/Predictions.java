package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a model predicts for a batch of images: the logits {@code [B, C]}, their softmax probabilities and each
 * image's top classes with their names ({@link Vit#classify}). Probabilities are computed in double with the largest
 * logit subtracted ({@link #softmax}); classes rank by logit, ties to the lower index.
 */
public final class Predictions {

    private final INDArray logits;            // [B, C] float32, our own copy
    private final double[][] rows;            // the logits per image, in double
    private final List<String> labels;        // class names in index order

    private Predictions(INDArray logits, double[][] rows, List<String> labels) {
        this.logits = logits;
        this.rows = rows;
        this.labels = labels;
    }

    /**
     * Predictions from logits {@code [B, C]} (any data type; copied) with the names of the C classes.
     *
     * @throws IllegalArgumentException when the logits are not {@code [B, C]} or the labels do not name C classes
     */
    public static Predictions of(INDArray logits, List<String> labels) {
        if (logits == null || logits.rank() != 2 || logits.size(0) < 1 || logits.size(1) < 1) {
            throw new IllegalArgumentException("expected logits [batch, classes] but got "
                    + (logits == null ? null : Arrays.toString(logits.shape()))
                    + "; the logits of a run are Activations.logits()");
        }
        if (labels == null || labels.size() != logits.size(1)) {
            throw new IllegalArgumentException((labels == null ? "no" : labels.size()) + " labels for logits of "
                    + logits.size(1) + " classes; give one name per class (VitConfig.labels(), or "
                    + "VitConfig.numberedLabels(n) when the names are unknown)");
        }
        INDArray own = logits.castTo(DataType.FLOAT).dup('c');
        double[][] rows = own.castTo(DataType.DOUBLE).toDoubleMatrix();
        return new Predictions(own, rows, List.copyOf(labels));
    }

    /** Predictions from logits {@code [B, C]} of classes without names: labels {@code "0", "1", …}. */
    public static Predictions of(INDArray logits) {
        return of(logits, logits == null || logits.rank() != 2 ? List.of()
                : VitConfig.numberedLabels((int) logits.size(1)));
    }

    /**
     * One class of one image.
     *
     * @param index       the class index
     * @param label       its name (the model's label, {@code "7"} when the names are unknown)
     * @param probability its softmax probability
     */
    public record Prediction(int index, String label, double probability) {
    }

    /** The number of images. */
    public int size() {
        return rows.length;
    }

    /** The number of classes. */
    public int classes() {
        return labels.size();
    }

    /** The logits {@code [B, C]} float32 (a copy). */
    public INDArray logits() {
        return logits.dup();
    }

    /** softmax of image {@code image}'s logits: a new array of C probabilities. */
    public double[] probabilities(int image) {
        return softmax(row(image));
    }

    /** softmax(logits)[y] of image {@code image}. */
    public double probability(int image, int y) {
        return probabilities(image)[checkClass(y)];
    }

    /** log softmax(logits)[y] of image {@code image} ({@link #logSoftmax}: exact where p is tiny). */
    public double logProbability(int image, int y) {
        return logSoftmax(row(image))[checkClass(y)];
    }

    /** The most likely class of image {@code image}. */
    public Prediction top1(int image) {
        return top(image, 1).get(0);
    }

    /**
     * The {@code k} most likely classes of image {@code image}, most likely first (ties: the lower index first);
     * all C when {@code k} is larger.
     *
     * @throws IllegalArgumentException when {@code k} is not positive or the image is outside the batch
     */
    public List<Prediction> top(int image, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
        }
        double[] l = row(image);
        double[] p = softmax(l);
        Integer[] order = new Integer[l.length];
        for (int j = 0; j < l.length; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> l[a] != l[b] ? Double.compare(l[b], l[a]) : Integer.compare(a, b));
        List<Prediction> top = new ArrayList<>();
        for (int j = 0; j < Math.min(k, l.length); j++) {
            top.add(new Prediction(order[j], labels.get(order[j]), p[order[j]]));
        }
        return top;
    }

    private double[] row(int image) {
        if (image < 0 || image >= rows.length) {
            throw new IllegalArgumentException("image " + image + " is outside the batch of " + rows.length
                    + " (0.." + (rows.length - 1) + ")");
        }
        return rows[image];
    }

    private int checkClass(int y) {
        if (y < 0 || y >= labels.size()) {
            throw new IllegalArgumentException("class " + y + " is outside the model's " + labels.size()
                    + " classes (0.." + (labels.size() - 1) + ")");
        }
        return y;
    }

    /** softmax of {@code l}, computed in double with the max subtracted: a new array. */
    public static double[] softmax(double[] l) {
        double max = max(l);
        double sum = 0;
        double[] p = new double[l.length];
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * log softmax of {@code l}: {@code l − max − log Σ exp(l − max)}, in double, a new array. Exact where p is too
     * small for {@code log(softmax(l))} (which gives −∞ below about e^−745).
     */
    public static double[] logSoftmax(double[] l) {
        double max = max(l);
        double sum = 0;
        for (double v : l) {
            sum += Math.exp(v - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = l[i] - log;
        }
        return out;
    }

    private static double max(double[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : l) {
            max = Math.max(max, v);
        }
        return max;
    }

    @Override
    public String toString() {
        return "Predictions[" + rows.length + " images, " + labels.size() + " classes]";
    }
}
