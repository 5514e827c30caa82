package io.github.vit4j.format;

import static io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@link Npy#read} and {@link Npy#readNpz}: any bytes give an array or an
 * {@link IOException} naming the file. The normal test run replays the seeds in {@code NpyFuzzTestInputs/} (valid
 * files of every supported dtype and order, a Fortran-order matrix, an {@code .npz}, and the inputs of bugs the
 * fuzzer found); {@code ./mvnw -Pfuzz} fuzzes (docs/fuzzing.md).
 */
class NpyFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("npy-fuzz");

    @FuzzTest
    void anyBytesAreAnArrayOrANamedRefusal(byte[] bytes) {
        boolean zip = bytes.length >= 2 && bytes[0] == 'P' && bytes[1] == 'K';
        Path file = FuzzedFiles.write(DIR, zip ? "fuzzed.npz" : "fuzzed.npy", bytes);
        try {
            if (zip) {
                Npy.readNpz(file);
            } else {
                Npy.read(file);
            }
        } catch (IOException refusal) {
            assertClearRefusal(refusal, file);
        }
    }
}
