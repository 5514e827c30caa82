package io.github.vit4j.spark;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.io.Serializable;
import java.util.List;

/**
 * What a Spark trace computes: {@code vit trace}'s options, as the words a user types, plus the model's location.
 * Plain, serializable data that Spark ships to every task; each task turns it into {@link DatasetTrace.Options}.
 *
 * @param model      where every executor loads the model from: a {@code .vit} file, a model folder or file, or
 *                   {@code hf:org/name} (a path on storage every executor reads)
 * @param corruption the corruption, calibrated ({@link Corruption#needsCalibration()} false) before the job runs
 * @param kinds      kinds of site restored: {@code resid}, {@code attn}, {@code mlp}
 * @param window     layers restored around each layer
 * @param tokens     {@code all}, {@code cls} or {@code patches}
 * @param metric     {@code prob}, {@code logprob}, {@code logit-diff} or {@code normalized}
 * @param method     {@code exact}, {@code atp} or {@code atp-ig[:K]}
 * @param label      {@code true} or {@code clean-top1}
 * @param seed       seed of the corruption's randomness
 * @param batch      images per clean/corrupted batch; partitions hold whole batches, so the rows do not depend on
 *                   the number of partitions
 */
public record TraceJob(String model, Corruption corruption, List<String> kinds, int window, String tokens,
                       String metric, String method, String label, long seed, int batch) implements Serializable {

    /** @throws IllegalArgumentException naming the bad value, as {@code vit trace} would */
    public TraceJob {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a Spark trace needs a model: a .vit file, a model folder or file on "
                    + "storage every executor reads, or hf:org/name");
        }
        if (batch <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batch);
        }
        kinds = List.copyOf(kinds);
        spec(kinds, window, tokens, metric);                 // every word checked on the driver, before the job
        TraceMethod.parse(method);
        DatasetTrace.Target.parse(label);
    }

    /** The same job with another corruption (e.g. the calibrated one). */
    public TraceJob withCorruption(Corruption c) {
        return new TraceJob(model, c, kinds, window, tokens, metric, method, label, seed, batch);
    }

    /** The kinds, in trace order. */
    public List<SweepKind> sweepKinds() {
        return sweepKinds(kinds);
    }

    private static List<SweepKind> sweepKinds(List<String> kinds) {
        return kinds.stream().map(SweepKind::parse).distinct().toList();
    }

    private static CausalTrace.Spec spec(List<String> kinds, int window, String tokens, String metric) {
        return new CausalTrace.Spec(sweepKinds(kinds), window, Tokens.parse(tokens), Metric.parse(metric));
    }

    /** The trace's method. */
    public TraceMethod traceMethod() {
        return TraceMethod.parse(method);
    }

    /** The library's options for a trace of the first {@code limit} images of a source. */
    public DatasetTrace.Options options(int limit) {
        return new DatasetTrace.Options(corruption, spec(kinds, window, tokens, metric), traceMethod(), DatasetTrace.Target.parse(label), seed, batch,
                limit);
    }
}
