package io.github.vit4j.cli;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --corruption}, {@code --metric}, {@code --label}, {@code --seed} and {@code --batch}: how the clean and
 * corrupted runs of a dataset study are made and measured, shared by {@code vit trace} and {@code vit circuit}.
 */
final class RunsOptions {

    @Option(names = "--corruption", paramLabel = "C", defaultValue = "grayscale",
            description = {"grayscale | noise[:k] (Gaussian noise of k × the embeddings' sd on the patch embeddings, "
                    + "k = 3 by default) | blur[:sigma] (pixels, 1.5) | occlude[:cells] (patch-grid cells, a quarter "
                    + "of the grid) (default: ${DEFAULT-VALUE})."})
    String corruption;

    @Option(names = "--metric", paramLabel = "M",
            description = {"prob: IE = p_patched(y) − p_corrupt(y) | logprob: log p_patched(y) − log p_corrupt(y) "
                    + "| logit-diff: change of logit(y) − max other logit "
                    + "| normalized: (p_patched − p_corrupt) / (p_clean − p_corrupt) "
                    + "| logit: change of logit(y), for a model without classifier the change of its output's "
                    + "component y, and there the default, as a softmax of an embedding means nothing "
                    + "(default: prob)."})
    String metric;

    @Option(names = "--label", paramLabel = "L", defaultValue = "true",
            description = "The class y tracked: true (the images' labels) | clean-top1 (the clean run's top class; "
                    + "for unlabelled images) (default: ${DEFAULT-VALUE}).")
    String label;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the corruption's randomness (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Images per clean/corrupted batch (default: ${DEFAULT-VALUE}).")
    int batch;

    /** {@code --corruption}, parsed. */
    Corruption parsedCorruption() {
        return Corruption.parse(corruption);
    }

    /** {@code --label}, parsed. */
    DatasetTrace.Target target() {
        return DatasetTrace.Target.parse(label);
    }

    /** {@code --metric}, parsed, when given. */
    Optional<Metric> givenMetric() {
        return metric == null ? Optional.empty() : Optional.of(Metric.parse(metric));
    }

    /** {@code --batch}, checked to be positive. */
    int checkedBatch() {
        ImagesOption.positive("--batch", batch);
        return batch;
    }

    /**
     * The metric for {@code config}'s model: {@code --metric}, refused when it takes a softmax of a model without
     * classifier, or the model's default ({@link Metric#defaultFor}).
     */
    Metric metricFor(VitConfig config) {
        Optional<Metric> given = givenMetric();
        if (given.isEmpty()) {
            return Metric.defaultFor(config);
        }
        if (given.get().softmaxes()) {
            ArchitectureText.refuseSoftmax(config, "--metric " + metric, "use --metric logit (the change of the "
                    + "tracked component y, given by --label K or the clean run's largest)");
        }
        return given.get();
    }
}
