package io.github.vit4j.convert;

import static io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the PyTorch checkpoint reader: {@link TorchCheckpoint#open} (the zip or legacy
 * container, the allow-list unpickler, every tensor against its storage), then {@link TorchCheckpoint#load} of every
 * tensor. Any file gives tensors or a {@link io.github.vit4j.format.ModelFormatException} naming the file; nothing is
 * executed. Seeds in {@code TorchCheckpointFuzzTestInputs/}: the two fixtures PyTorch 1.13 saved
 * ({@code src/test/resources/torch/make.py}: zip and legacy, views sharing a storage, float16, bfloat16, float64),
 * a zip checkpoint of the test writer, and a pickle calling {@code os.system}.
 */
class TorchCheckpointFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("torch-fuzz");

    @FuzzTest
    void anyBytesAreTensorsOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "fuzzed.pt", bytes);
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(file)) {
            for (String name : checkpoint.names()) {
                try {
                    checkpoint.load(name);
                } catch (IOException refusal) { // an unsupported dtype is refused per tensor
                    assertClearRefusal(refusal, file);
                }
            }
        } catch (IOException refusal) {
            assertClearRefusal(refusal, file);
        }
    }
}
