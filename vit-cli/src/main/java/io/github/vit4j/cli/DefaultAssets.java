package io.github.vit4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The folder of the {@code vit} command's default model and images (the project's shared assets): the system
 * property {@code vit4j.shared} (the {@code vit} launcher sets it to {@code ../shared} beside the checkout), else the
 * environment variable {@code VIT4J_SHARED}, else {@code ../shared} relative to the working directory.
 */
final class DefaultAssets {

    private DefaultAssets() {
    }

    /** A file inside the folder, which must exist; {@code flag} is the option that names another one instead. */
    static Path resolve(String relative, String flag) {
        String configured = System.getProperty("vit4j.shared");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("VIT4J_SHARED");
        }
        Path root = Path.of(configured == null || configured.isBlank() ? "../shared" : configured);
        Path p = root.resolve(relative).toAbsolutePath().normalize();
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("the default " + p + " does not exist; name one with " + flag
                    + ", or point VIT4J_SHARED=DIR (or -Dvit4j.shared=DIR) at the folder holding models/ and data/");
        }
        return p;
    }
}
