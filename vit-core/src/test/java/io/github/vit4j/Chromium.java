package io.github.vit4j;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The browser of the report pages' tests: Debian's {@code chromium}, run headless ({@code .ci/run} installs it).
 * Where it is missing, those tests are skipped saying why ({@link #MISSING}).
 */
public final class Chromium {

    /** Why a browser test was skipped. */
    public static final String MISSING = "skipped: no chromium on PATH (apt-get install -y chromium, or"
            + " -Dvit4j.chromium=PATH); the report's browser tests need one";

    private Chromium() {
    }

    /** {@code -Dvit4j.chromium}, else chromium (or chromium-browser) on PATH; empty if there is none. */
    public static Optional<String> find() {
        String configured = System.getProperty("vit4j.chromium");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(configured);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : new String[] {"chromium", "chromium-browser"}) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
        }
        return Optional.empty();
    }
}
