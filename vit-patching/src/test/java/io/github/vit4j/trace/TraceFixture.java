package io.github.vit4j.trace;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * A dataset trace small enough for unit tests: a random-weight model of the CIFAR-10 model's shape on the first
 * CIFAR-10 test images of ../shared. Also the main class of the child JVM that the SIGKILL test kills.
 */
final class TraceFixture {

    static final int IMAGES = 24;
    static final int BATCH = 5;
    static final String CIFAR10 = "data/cifar10/test_batch_first1017.bin";

    private TraceFixture() {
    }

    static DatasetTrace trace(String corruption, long seed) throws IOException {
        return trace(corruption, seed, TraceMethod.exact());
    }

    static DatasetTrace trace(String corruption, long seed, TraceMethod method) throws IOException {
        return trace(11, cifar10(), options(corruption, seed, method));
    }

    /** A trace of a random-weight model ({@code weightSeed}) over {@code source}. */
    static DatasetTrace trace(long weightSeed, ImageSource source, DatasetTrace.Options options) {
        return new DatasetTrace(new Vit(VitWeights.random(VitConfig.cifar10(), weightSeed)), Preprocessing.cifar10(),
                source, options);
    }

    static ImageSource cifar10() throws IOException {
        return ImageSource.cifar10(SharedAssets.resolve(CIFAR10));
    }

    static DatasetTrace.Options options(String corruption, long seed, TraceMethod method) {
        return new DatasetTrace.Options(Corruption.parse(corruption), CausalTrace.Spec.defaults(), method,
                DatasetTrace.Target.TRUE_LABEL, seed, BATCH, IMAGES);
    }

    static DatasetTrace.Result run(Path out, String corruption, long seed, IntConsumer progress) throws IOException {
        return trace(corruption, seed).run(out, progress);
    }

    /** Child JVM: traces slowly (a pause per image) into args[0] so that the parent can kill it mid-run. */
    public static void main(String[] args) throws Exception {
        run(Path.of(args[0]), args[1], Long.parseLong(args[2]), done -> {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
