package io.github.vit4j.report;

import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.TraceMethod;

/**
 * What a trace was made of, as every figure's title states it.
 *
 * @param model      a short model name, e.g. {@code simplevit-cifar10/hf}
 * @param corruption the corruption as calibrated, e.g. {@code grayscale} or {@code noise(k=3, σ=0.21)}
 * @param images     number of images traced
 * @param window     ROME's window width
 * @param tokens     the tokens restored at each patched site: {@code all}, {@code cls} or {@code patches}
 * @param metric     how effects are measured
 * @param label      which class is tracked: {@code true} (the dataset's label) or {@code clean-top1}
 * @param method     exact patched runs, or an attribution-patching estimate (which titles say)
 */
public record TraceInfo(String model, String corruption, int images, int window, String tokens, Metric metric,
                        String label, TraceMethod method) {

    public TraceInfo {
        if (model == null || corruption == null || tokens == null || metric == null || label == null
                || method == null) {
            throw new IllegalArgumentException("trace info needs model, corruption, tokens, metric, label and method");
        }
        if (images < 0 || window < 1) {
            throw new IllegalArgumentException("trace info needs images >= 0 and window >= 1, got images " + images
                    + " and window " + window);
        }
    }

    /** The headline: model, corruption and number of images (and, for an estimate, the method). */
    public String title() {
        return "Causal trace of " + model + " under " + corruption + ", n = " + images + (images == 1 ? " image"
                : " images") + (method.estimated() ? ", estimated by " + method.label() : "");
    }

    /** The settings line: window, tokens, tracked class, metric. */
    public String settings() {
        return "window " + window + " · tokens restored: " + tokens + " · y = " + labelText() + " · metric "
                + metric.label();
    }

    /** What y is, in words. */
    public String labelText() {
        return switch (label) {
            case "true" -> "true label";
            case "clean-top1" -> "clean top-1 class";
            default -> label;
        };
    }

    /** The colour scale's label: the metric as a formula. */
    public String scaleLabel() {
        return scaleLabel(metric);
    }

    /** The formula of {@code metric}, e.g. {@code IE = p_patched(y) − p_corrupt(y)}. */
    public static String scaleLabel(Metric metric) {
        return switch (metric) {
            case PROB -> "IE = p_patched(y) − p_corrupt(y)";
            case LOG_PROB -> "IE = log p_patched(y) − log p_corrupt(y)";
            case LOGIT_DIFF -> "IE = LD_patched − LD_corrupt,  LD = logit(y) − max_{j≠y} logit(j)";
            case NORMALIZED -> "IE = (p_patched(y) − p_corrupt(y)) / (p_clean(y) − p_corrupt(y))";
            case LOGIT -> "IE = logit_patched(y) − logit_corrupt(y)";
        };
    }
}
