package io.github.vit4j.trace;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.VitConfig;
import java.util.Locale;

/**
 * How a patched run's effect is measured, given the class y being tracked (the true label or the clean top-1).
 * Probabilities are softmax of the logits.
 *
 * <p>A model without a classifier (CLIP's or SigLIP's image tower, DINOv2's backbone) outputs its embedding, and y is
 * one of its components: a softmax over an embedding means nothing, so the metrics that take one ({@link #PROB},
 * {@link #LOG_PROB}, {@link #NORMALIZED}) are refused there ({@link #checkFits}) and {@link #LOGIT}, the change of
 * the component itself, is the default ({@link #defaultFor}).
 */
public enum Metric {
    /** Indirect effect IE = p_patched(y) − p_corrupt(y): the default, as in ROME. */
    PROB("prob"),
    /**
     * Change in logit difference: ld_patched − ld_corrupt, with ld = logit(y) − max over other classes of their
     * logit (the margin by which y wins or loses).
     */
    LOGIT_DIFF("logit-diff"),
    /**
     * Change in log-probability: log p_patched(y) − log p_corrupt(y). Unlike {@link #PROB} it does not flatten where
     * p(y) is near 0 or 1, which makes first-order estimates of it (attribution patching) far closer to the exact
     * value (docs/results.md).
     */
    LOG_PROB("logprob"),
    /** Normalised IE (p_patched − p_corrupt) / (p_clean − p_corrupt): 1 = fully restored, 0 = no effect. NaN when p_clean = p_corrupt. */
    NORMALIZED("normalized"),
    /**
     * Change in the tracked logit: logit_patched(y) − logit_corrupt(y). For a model without a classifier, the change
     * of its output's component y (what {@code Objective.logit(y)} differentiates): the default there.
     */
    LOGIT("logit");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Metric parse(String label) {
        for (Metric m : values()) {
            if (m.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + label + "'; expected prob, logprob, logit-diff,"
                + " normalized or logit");
    }

    /**
     * The effect of one patched run.
     *
     * @param clean     logits of the clean run
     * @param corrupt   logits of the corrupted run
     * @param patched   logits of the patched run
     * @param y         the class tracked
     */
    public double effect(float[] clean, float[] corrupt, float[] patched, int y) {
        return switch (this) {
            case PROB -> probability(patched, y) - probability(corrupt, y);
            case LOGIT_DIFF -> logitDiff(patched, y) - logitDiff(corrupt, y);
            case LOG_PROB -> logProbability(patched, y) - logProbability(corrupt, y);
            case LOGIT -> patched[y] - (double) corrupt[y];
            case NORMALIZED -> {
                double pc = probability(clean, y);
                double pk = probability(corrupt, y);
                yield pc == pk ? Double.NaN : (probability(patched, y) - pk) / (pc - pk);
            }
        };
    }

    /**
     * What a backward pass differentiates to estimate this metric's change, per image ({@code targets[i]} the class
     * of image i): prob and normalized differentiate p(y) (normalized's scale 1/(p_clean − p_corrupt) is applied to
     * the estimate afterwards), logprob log p(y), logit-diff the margin, logit the logit.
     */
    public Objective objective(int... targets) {
        return switch (this) {
            case LOGIT_DIFF -> Objective.logitDiff(targets);
            case LOG_PROB -> Objective.logProbability(targets);
            case PROB, NORMALIZED -> Objective.probability(targets);
            case LOGIT -> Objective.logit(targets);
        };
    }

    /** Whether the metric takes a softmax of the output (prob, logprob, normalized). */
    public boolean softmaxes() {
        return this == PROB || this == LOG_PROB || this == NORMALIZED;
    }

    /** The default metric for a model: {@link #PROB} for a classifier, {@link #LOGIT} for one without. */
    public static Metric defaultFor(VitConfig config) {
        return classifies(config) ? PROB : LOGIT;
    }

    /**
     * Refuses a metric that softmaxes the output of a model without classifier, saying why and what to use.
     *
     * @throws SettingException naming the metric and {@link #LOGIT}
     */
    public void checkFits(VitConfig config) {
        if (softmaxes() && !classifies(config)) {
            throw new SettingException("metric " + label + " takes a softmax of the model's output, but this model has"
                    + " no classifier: its output is its " + config.classes() + "-wide embedding, over which a"
                    + " softmax means nothing; use Metric.LOGIT (the change of the tracked component), or give the"
                    + " model classes (a linear head, zero-shot classes)", DatasetTrace.Setting.METRIC);
        }
    }

    /**
     * What a trace records as "p" of the tracked class y: p(y) for a classifier, the output's component y for a
     * model without one.
     */
    public static double tracked(VitConfig config, float[] logits, int y) {
        return classifies(config) ? probability(logits, y) : logits[y];
    }

    static boolean classifies(VitConfig config) {
        return config.architecture().head() != Architecture.Head.NONE;
    }

    /** softmax(logits)[y], computed in double with the max subtracted ({@link Predictions#softmax}). */
    public static double probability(float[] logits, int y) {
        return Predictions.softmax(toDoubles(logits))[y];
    }

    /** log softmax(logits)[y], in double ({@link Predictions#logSoftmax}: exact for tiny p). */
    public static double logProbability(float[] logits, int y) {
        return Predictions.logSoftmax(toDoubles(logits))[y];
    }

    private static double[] toDoubles(float[] logits) {
        double[] l = new double[logits.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = logits[i];
        }
        return l;
    }

    /** logit(y) − max over j ≠ y of logit(j). */
    public static double logitDiff(float[] logits, int y) {
        double other = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < logits.length; j++) {
            if (j != y) {
                other = Math.max(other, logits[j]);
            }
        }
        return logits[y] - other;
    }
}
