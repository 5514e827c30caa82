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

    private TraceFixture() {
    }

    static DatasetTrace trace(String corruption, long seed) throws IOException {
        return trace(corruption, seed, TraceMethod.exact());
    }

    static DatasetTrace trace(String corruption, long seed, TraceMethod method) throws IOException {
        Vit vit = new Vit(VitWeights.random(VitConfig.cifar10(), 11));
        ImageSource source = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        DatasetTrace.Options options = new DatasetTrace.Options(Corruption.parse(corruption),
                CausalTrace.Spec.defaults(), method, DatasetTrace.Target.TRUE_LABEL, seed, BATCH, IMAGES);
        return new DatasetTrace(vit, Preprocessing.cifar10(), source, options);
    }

    static DatasetTrace.Result run(Path out, String corruption, long seed, IntConsumer progress) throws IOException {
        return trace(corruption, seed).run(out, "model=random-cifar10-11\ncorruption.spec=" + corruption
                + "\nseed=" + seed, progress);
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
