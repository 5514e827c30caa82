package io.github.vit4j.spark;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** What the tests trace: ../shared's CIFAR-10 model and test images, and {@code vit trace}'s trace of them. */
final class Fixtures {

    private Fixtures() {
    }

    /** The CIFAR-10 model's folder. */
    static String model() {
        return SharedAssets.resolve("models/simplevit-cifar10/hf").toString();
    }

    /** Kinds restored over a window, at all tokens, the effect in probability. */
    static CausalTrace.Spec spec(int window, String... kinds) {
        return new CausalTrace.Spec(Arrays.stream(kinds).map(SweepKind::parse).toList(), window, Tokens.all(),
                Metric.PROB);
    }

    /** A CIFAR-10 file in {@code dir} holding the first {@code images} test images. */
    static Path cifarFirst(Path dir, int images) throws IOException {
        byte[] all = Files.readAllBytes(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        return Files.write(dir.resolve("test_batch_first" + images + ".bin"),
                Arrays.copyOf(all, images * Cifar10.RECORD_BYTES));
    }

    /** {@code vit trace}'s trace (the library's {@link DatasetTrace}) of the first {@code limit} images. */
    static DatasetTrace.Traced vitTrace(ImageSource images, TraceJob job, int limit) throws IOException {
        ExecutorModels.Loaded m = ExecutorModels.get(job.model());
        return new DatasetTrace(m.vit(), m.pretrained().preprocessing(), images, job.options(limit))
                .trace(done -> { });
    }
}
