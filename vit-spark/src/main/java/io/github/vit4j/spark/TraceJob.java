package io.github.vit4j.spark;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.io.Serializable;
import java.util.List;

/**
 * What a Spark trace computes: a dataset trace's options ({@link DatasetTrace.Options} but the limit, which the job
 * is given with the images), typed as the library has them, plus the model's location. Plain, serializable data
 * that Spark ships to every task; each task turns it into {@link DatasetTrace.Options}. Words a user types are parsed
 * where they are typed ({@code vit trace}, {@link TraceApp}), once.
 *
 * @param model      where every executor loads the model from: a {@code .vit} file, a model folder or file, or
 *                   {@code hf:org/name} (a path on storage every executor reads)
 * @param corruption the corruption, calibrated ({@link Corruption#needsCalibration()} false) before the job runs
 * @param spec       kinds, window, tokens and metric
 * @param method     exact patched runs, or an attribution-patching estimate
 * @param target     the class tracked
 * @param seed       seed of the corruption's randomness
 * @param batch      images per clean/corrupted batch; partitions hold whole batches, so the rows do not depend on
 *                   the number of partitions
 */
public record TraceJob(String model, Corruption corruption, CausalTrace.Spec spec, TraceMethod method,
                       DatasetTrace.Target target, long seed, int batch) implements Serializable {

    /** @throws IllegalArgumentException naming the bad value, as {@link DatasetTrace.Options} would */
    public TraceJob {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a Spark trace needs a model: a .vit file, a model folder or file on "
                    + "storage every executor reads, or hf:org/name");
        }
        new DatasetTrace.Options(corruption, spec, method, target, seed, batch, 1);     // checked on the driver
    }

    /** The same job with another corruption (e.g. the calibrated one). */
    public TraceJob withCorruption(Corruption c) {
        return new TraceJob(model, c, spec, method, target, seed, batch);
    }

    /** The kinds, in trace order. */
    public List<SweepKind> sweepKinds() {
        return spec.kinds();
    }

    /** The library's options for a trace of the first {@code limit} images of a source. */
    public DatasetTrace.Options options(int limit) {
        return new DatasetTrace.Options(corruption, spec, method, target, seed, batch, limit);
    }
}
