package io.github.vit4j.convert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@link MappingFile#read}: any file gives a mapping or a {@link ModelFormatException}
 * naming the mapping file (or, for {@code config.labelsFile}, the labels file it names: here {@code labels.txt},
 * beside it). Seeds in {@code MappingFileFuzzTestInputs/}: mappings like the committed ones, and refused variants.
 */
class MappingFileFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("mapping-fuzz");
    private static final Path LABELS = FuzzedFiles.write(DIR, "labels.txt",
            "cat\ndog\n".getBytes(StandardCharsets.UTF_8));

    @FuzzTest
    void anyTextIsAMappingOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "fuzzed.properties", bytes);
        try {
            MappingFile.read(file);
        } catch (IOException refusal) {
            String message = String.valueOf(refusal.getMessage());
            if (!message.contains(LABELS.getFileName().toString())) {
                io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal(refusal, file);
            }
        }
    }
}
