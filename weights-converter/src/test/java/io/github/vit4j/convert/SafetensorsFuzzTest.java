package io.github.vit4j.convert;

import static io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the safetensors reader: {@link Safetensors#open} (the header length, the JSON, every
 * tensor's dtype, shape and offsets, overlaps), then {@link Safetensors#load} of every tensor it lists. Any file
 * gives tensors or a {@link io.github.vit4j.format.ModelFormatException} naming the file. Seeds in
 * {@code SafetensorsFuzzTestInputs/}: small F32, F16 and BF16 files, metadata, empty and unsupported tensors.
 */
class SafetensorsFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("safetensors-fuzz");

    @FuzzTest
    void anyBytesAreTensorsOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "fuzzed.safetensors", bytes);
        try (Safetensors st = Safetensors.open(file)) {
            st.metadata();
            for (String name : st.tensors().keySet()) {
                try {
                    st.load(name);
                } catch (IOException refusal) { // an unsupported dtype is refused per tensor
                    assertClearRefusal(refusal, file);
                }
            }
        } catch (IOException refusal) {
            assertClearRefusal(refusal, file);
        }
    }
}
