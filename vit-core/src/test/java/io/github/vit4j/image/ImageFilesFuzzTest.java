package io.github.vit4j.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@link ImageFiles#read}: any file gives an RGB image or an {@link java.io.IOException}
 * naming the file (whatever the JDK's ImageIO decoders throw inside). Seeds in {@code ImageFilesFuzzTestInputs/}:
 * 3×2 PNGs of every channel layout, a JPEG, a BMP, a GIF and a truncated JPEG. Only vit4j's code is instrumented, so
 * the fuzzer explores the decoders themselves little: this target guards the wrapping, not ImageIO.
 */
class ImageFilesFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("image-fuzz");

    @FuzzTest
    void anyBytesAreAnImageOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "fuzzed.img", bytes);
        FuzzedFiles.readOrRefuseClearly(file, ImageFiles::read);
    }
}
