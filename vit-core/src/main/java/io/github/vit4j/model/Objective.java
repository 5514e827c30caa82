package io.github.vit4j.model;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A scalar a backward pass differentiates: a function of one site's array, per image. The objective of a batch is
 * the sum of its images' values; since images never mix in a ViT, the gradient's row i is image i's own gradient.
 *
 * <p>Functions of the logits ({@link #logit}, {@link #probability}, {@link #logProbability}, {@link #logitDiff}) seed
 * the backward at {@code logits} with their derivative; {@link #direction} seeds it anywhere with a fixed direction
 * (one neuron of {@code mlp_post} at one token, one head's {@code z}, a direction in {@code resid_post}: what
 * feature visualisation maximises). Values and seeds are computed in double from the float32 array.
 */
public final class Objective {

    private enum Kind { LOGIT, PROBABILITY, LOG_PROBABILITY, LOGIT_DIFF, DIRECTION }

    private final Kind kind;
    private final Site site;
    private final int[] classes;
    private final INDArray direction;

    private Objective(Kind kind, Site site, int[] classes, INDArray direction) {
        this.kind = kind;
        this.site = site;
        this.classes = classes;
        this.direction = direction;
    }

    /**
     * The logit of class {@code classes[i]} for image i ({@code logits[i, y]}); one class applies to every image.
     * Derivative: 1 at {@code [i, y]}.
     */
    public static Objective logit(int... classes) {
        return new Objective(Kind.LOGIT, Site.logits(), checkClasses(classes), null);
    }

    /** softmax(logits)[y]. Derivative {@code p_y (1[j = y] − p_j)}. */
    public static Objective probability(int... classes) {
        return new Objective(Kind.PROBABILITY, Site.logits(), checkClasses(classes), null);
    }

    /** log softmax(logits)[y]. Derivative {@code 1[j = y] − p_j}. */
    public static Objective logProbability(int... classes) {
        return new Objective(Kind.LOG_PROBABILITY, Site.logits(), checkClasses(classes), null);
    }

    /**
     * logit(y) − the largest other logit: the margin by which y wins (the trace's {@code logit-diff} metric).
     * Derivative +1 at y and −1 at the runner-up (the first, if tied).
     */
    public static Objective logitDiff(int... classes) {
        return new Objective(Kind.LOGIT_DIFF, Site.logits(), checkClasses(classes), null);
    }

    /**
     * {@code ⟨site, direction⟩} per image: the sum of the site's elements weighted by {@code direction}, whose shape
     * is the site's with batch 1 (the same direction for every image) or the run's batch. At {@code logits} this is
     * any linear function of the logits, {@code direction} being its derivative.
     */
    public static Objective direction(Site site, INDArray direction) {
        if (site == null || direction == null) {
            throw new IllegalArgumentException("a direction objective needs a site and a direction");
        }
        if (direction.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("direction for " + site + " is " + direction.dataType()
                    + "; cast it with castTo(DataType.FLOAT)");
        }
        return new Objective(Kind.DIRECTION, site, null, direction.dup('c'));
    }

    /** Whether the objective takes a softmax of the logits ({@link #probability}, {@link #logProbability}). */
    boolean takesSoftmax() {
        return kind == Kind.PROBABILITY || kind == Kind.LOG_PROBABILITY;
    }

    /** The site whose array the objective is a function of (where the backward is seeded). */
    public Site site() {
        return site;
    }

    /** Each image's value of the objective, given the array of {@link #site()} {@code [B, …]}. */
    double[] values(INDArray array) {
        int b = (int) array.size(0);
        double[] v = new double[b];
        if (kind == Kind.DIRECTION) {
            try (INDArray a = array.castTo(DataType.DOUBLE); INDArray d = directionFor(array).castTo(DataType.DOUBLE)) {
                a.muli(d.size(0) == b ? d : d.broadcast(a.shape()));                   // a: the products
                for (int i = 0; i < b; i++) {
                    v[i] = a.slice(i).sumNumber().doubleValue();
                }
            }
            return v;                                   // the temporaries closed at once, not when the GC runs
        }
        for (int i = 0; i < b; i++) {
            double[] l = array.getRow(i).castTo(DataType.DOUBLE).toDoubleVector();
            int y = classFor(i, b, l.length);
            v[i] = switch (kind) {
                case LOGIT -> l[y];
                case PROBABILITY -> Predictions.softmax(l)[y];
                case LOG_PROBABILITY -> Predictions.logSoftmax(l)[y];
                case LOGIT_DIFF -> l[y] - l[runnerUp(l, y)];
                case DIRECTION -> throw new IllegalStateException();
            };
        }
        return v;
    }

    /** The derivative of the batch's objective with respect to the array of {@link #site()}: a new float array. */
    INDArray seed(INDArray array) {
        if (kind == Kind.DIRECTION) {
            INDArray d = directionFor(array);
            return d.size(0) == array.size(0) ? d.dup('c') : d.broadcast(array.shape()).dup('c');
        }
        int b = (int) array.size(0);
        int c = (int) array.size(1);
        float[] g = new float[b * c];
        for (int i = 0; i < b; i++) {
            double[] l = array.getRow(i).castTo(DataType.DOUBLE).toDoubleVector();
            int y = classFor(i, b, c);
            double[] p = Predictions.softmax(l);
            int second = kind == Kind.LOGIT_DIFF ? runnerUp(l, y) : -1;
            for (int j = 0; j < c; j++) {
                double hot = j == y ? 1 : 0;
                g[i * c + j] = (float) switch (kind) {
                    case LOGIT -> hot;
                    case PROBABILITY -> p[y] * (hot - p[j]);
                    case LOG_PROBABILITY -> hot - p[j];
                    case LOGIT_DIFF -> hot - (j == second ? 1 : 0);
                    case DIRECTION -> throw new IllegalStateException();
                };
            }
        }
        return Nd4j.create(g, new long[] {b, c}, 'c');
    }

    private INDArray directionFor(INDArray array) {
        long[] want = array.shape();
        long[] have = direction.shape();
        boolean ok = want.length == have.length && (have[0] == 1 || have[0] == want[0]);
        for (int i = 1; ok && i < want.length; i++) {
            ok = want[i] == have[i];
        }
        if (!ok) {
            long[] one = want.clone();
            one[0] = 1;
            throw new IllegalArgumentException("direction for " + site + " has shape " + Arrays.toString(have)
                    + " but the run's " + site + " is " + Arrays.toString(want) + "; give " + Arrays.toString(one)
                    + " (one direction for every image) or the run's shape");
        }
        return direction;
    }

    private int classFor(int image, int batch, int numClasses) {
        if (classes.length != 1 && classes.length != batch) {
            throw new IllegalArgumentException("objective has " + classes.length + " classes for a batch of " + batch
                    + " images; give one class per image, or one for all");
        }
        if (kind == Kind.LOGIT_DIFF && numClasses < 2) {
            throw new IllegalArgumentException("a logit difference needs at least 2 classes; the model has "
                    + numClasses + "; use Objective.logit instead");
        }
        int y = classes.length == 1 ? classes[0] : classes[image];
        if (y >= numClasses) {
            throw new IllegalArgumentException("class " + y + " (image " + image + ") is outside the model's "
                    + numClasses + " classes (0.." + (numClasses - 1) + ")");
        }
        return y;
    }

    private static int[] checkClasses(int[] classes) {
        if (classes == null || classes.length == 0) {
            throw new IllegalArgumentException("give a class per image (or one for all), got none");
        }
        for (int y : classes) {
            if (y < 0) {
                throw new IllegalArgumentException("class must be >= 0, got " + y + " in " + Arrays.toString(classes));
            }
        }
        return classes.clone();
    }

    private static int runnerUp(double[] l, int y) {
        int best = -1;
        for (int j = 0; j < l.length; j++) {
            if (j != y && (best < 0 || l[j] > l[best])) {
                best = j;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LOGIT -> "logit" + Arrays.toString(classes);
            case PROBABILITY -> "prob" + Arrays.toString(classes);
            case LOG_PROBABILITY -> "logprob" + Arrays.toString(classes);
            case LOGIT_DIFF -> "logit-diff" + Arrays.toString(classes);
            case DIRECTION -> "direction at " + site + " " + Arrays.toString(direction.shape());
        };
    }
}
