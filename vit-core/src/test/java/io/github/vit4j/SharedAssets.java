package io.github.vit4j;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the shared test assets live (trained weights, CIFAR-10 images, reference activations): the one
 * configurable path the tests, benchmarks and the CLI's defaults read from. In order: the system property
 * {@code vit4j.shared}, the environment variable {@code VIT4J_SHARED}, else {@code ../shared} relative to the
 * working directory (the folder beside the project checkout).
 */
public final class SharedAssets {

    /** The system property that names the folder. */
    public static final String PROPERTY = "vit4j.shared";
    /** The environment variable that names the folder. */
    public static final String ENV = "VIT4J_SHARED";

    private SharedAssets() {
    }

    /** The folder, as configured; it may not exist. */
    public static Path root() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENV);
        }
        if (p == null || p.isBlank()) {
            p = "../shared";
        }
        return Path.of(p).toAbsolutePath().normalize();
    }

    /**
     * A file or folder inside the shared folder, which must exist.
     *
     * @throws IllegalStateException naming the path and how to configure the folder, when it does not exist
     */
    public static Path resolve(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("shared asset " + p + " does not exist; point -D" + PROPERTY + "=DIR or "
                    + ENV + "=DIR at the folder holding models/, data/ and reference/ (default ../shared)");
        }
        return p;
    }
}
