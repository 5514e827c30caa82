package io.github.vit4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --limit}, {@code --batch} and {@code --out}, shared by the commands that write one .npy per site. */
final class DumpOptions {

    @Option(names = "--limit", paramLabel = "N", defaultValue = "8",
            description = "Images to run, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder to write the .npy files to "
            + "(created if missing; files of the same name are replaced).")
    Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Images per run (default: ${DEFAULT-VALUE}).")
    int batch;
}
