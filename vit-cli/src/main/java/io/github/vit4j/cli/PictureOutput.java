package io.github.vit4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --out} and {@code --zoom}, shared by the commands that draw pictures (filters, visualize). */
final class PictureOutput {

    @Option(names = "--zoom", paramLabel = "Z",
            description = "Screen pixels per image pixel in the PNGs (default: 8 for filters; 256 / the image size, "
                    + "at least 1, for pictures of inputs).")
    Integer zoom;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "The folder to write to.")
    Path out;

    /** The zoom given, else {@code otherwise}; refuses one below 1. */
    int zoom(int otherwise) {
        int z = zoom != null ? zoom : otherwise;
        ImagesOption.positive("--zoom", z);
        return z;
    }
}
