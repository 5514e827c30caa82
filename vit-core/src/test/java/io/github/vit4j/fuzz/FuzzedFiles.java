package io.github.vit4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every parser fuzz test shares: the fuzzer's bytes as a file (the readers take a {@link Path}), and the one
 * acceptable failure, a refusal whose message names the file. Anything else a reader throws (an
 * {@code ArrayIndexOutOfBoundsException}, {@code NegativeArraySizeException}, {@code OutOfMemoryError}, a
 * {@code StackOverflowError}, …) escapes the fuzz test, and Jazzer reports it as a finding with its input.
 *
 * <p>How to run the campaigns and what they found: {@code docs/fuzzing.md}.
 */
public final class FuzzedFiles {

    private FuzzedFiles() {
    }

    /**
     * A file holding {@code bytes}, in a folder made once per fuzz test class (each execution overwrites the same
     * file: hundreds of thousands of executions leave one file behind, which the JVM deletes on exit).
     */
    public static Path write(Path folder, String name, byte[] bytes) {
        Path file = folder.resolve(name);
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** A fresh folder for one fuzz test class's input files. */
    public static Path folder(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One reader of outside bytes, e.g. {@code ConfigFiles::read}. */
    @FunctionalInterface
    public interface Reader {
        void read(Path file) throws IOException;
    }

    /** Runs {@code reader} on {@code file}: it reads it, or refuses it clearly (anything else escapes). */
    public static void readOrRefuseClearly(Path file, Reader reader) {
        try {
            reader.read(file);
        } catch (IOException refusal) {
            assertClearRefusal(refusal, file);
        }
    }

    /**
     * Checks that a reader's refusal is a clear one: a message that names {@code file}, so that a user can tell
     * which of their files is bad.
     */
    public static void assertClearRefusal(IOException refusal, Path file) {
        String message = refusal.getMessage();
        assertNotNull(message, () -> "a refusal without a message: " + refusal);
        assertFalse(message.isBlank(), () -> "a refusal with a blank message: " + refusal);
        assertTrue(message.contains(file.getFileName().toString()),
                () -> "the refusal does not name the file " + file + ": " + message);
    }
}
