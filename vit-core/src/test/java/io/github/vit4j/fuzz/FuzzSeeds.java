package io.github.vit4j.fuzz;

import io.github.vit4j.format.NpyFuzzSeeds;
import io.github.vit4j.format.VitFileFuzzSeeds;
import io.github.vit4j.image.ImageFilesFuzzSeeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Writes the binary seed corpora of vit-core's fuzz tests into the test class path, where Jazzer finds them
 * ({@code <package>/<Target>Inputs/<method>/}): the repository holds no data files, so the seeds are generated at
 * build time (the {@code process-test-classes} phase runs {@link #main} with {@code target/test-classes}). The text
 * seeds of {@code HeaderFuzzTest} stay in {@code src/test/resources}. Each target's seeds, and the inputs of the bugs
 * its campaigns found, are written by a class next to it: {@link NpyFuzzSeeds}, {@link VitFileFuzzSeeds},
 * {@link ImageFilesFuzzSeeds}. A new finding is added there (docs/fuzzing.md).
 */
public final class FuzzSeeds {

    /** The modification time of zip entries, so that the same build writes the same bytes (2026-01-01 UTC). */
    public static final long TIME = 1767225600000L;

    private FuzzSeeds() {
    }

    /** {@code args[0]}: the test class path's root folder, e.g. {@code target/test-classes}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FuzzSeeds <test-classes folder>");
        }
        Path root = Paths.get(args[0]);
        NpyFuzzSeeds.write(root);
        VitFileFuzzSeeds.write(root);
        ImageFilesFuzzSeeds.write(root);
    }

    /** The folder Jazzer reads {@code target}'s {@code method} seeds from, under {@code root}, created. */
    public static Path inputs(Path root, Class<?> target, String method) throws IOException {
        Path dir = root.resolve(target.getPackageName().replace('.', '/'))
                .resolve(target.getSimpleName() + "Inputs").resolve(method);
        return Files.createDirectories(dir);
    }

    /** Writes one seed (replacing an older one of that name). */
    public static void write(Path dir, String name, byte[] bytes) throws IOException {
        Files.write(dir.resolve(name), bytes);
    }

    /** Where {@code needle} first starts in {@code haystack}; fails where it does not occur. */
    public static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("not found");
    }
}
