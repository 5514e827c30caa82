package io.github.vit4j.cli;

import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --images}, shared by the commands that read images. */
final class ImagesOption {

    /** The default images, inside the shared folder. */
    static final String DEFAULT_IMAGES = "data/cifar10/test_batch_first1017.bin";

    @Option(names = "--images", paramLabel = "SRC",
            description = {"cifar10:FILE.bin (CIFAR-10 binary records, with labels), an image file, or a folder of "
                    + "images (sorted by name).",
                "Default: cifar10:../shared/" + DEFAULT_IMAGES + " (the first 1017 CIFAR-10 test images)."})
    String images;

    /** The spec as given, or the shared CIFAR-10 test images. */
    String spec() {
        return images != null ? images : ImageSource.CIFAR10_PREFIX + DefaultAssets.resolve(DEFAULT_IMAGES, "--images");
    }

    ImageSource open() throws IOException {
        return ImageSource.parse(spec());
    }

    /** {@code min(limit, size)}, checking that the limit is positive. */
    static int count(ImageSource source, Integer limit) {
        if (limit == null) {
            return source.size();
        }
        positive("--limit", limit);
        return Math.min(limit, source.size());
    }

    /** Refuses a count option ({@code --limit}, {@code --batch}, {@code --top}) below 1, naming it. */
    static void positive(String option, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + " must be positive, got " + value);
        }
    }

    /** The batch's dataset labels; refuses an image without one, naming it, with {@code hint} (what to do instead). */
    int[] labels(ImageSource.Batch b, String hint) {
        int[] y = new int[b.size()];
        for (int i = 0; i < y.length; i++) {
            int image = i;
            y[i] = b.label(i).orElseThrow(() -> new IllegalArgumentException(spec() + " has no label for image "
                    + b.index(image) + " (" + b.names().get(image) + "); " + hint));
        }
        return y;
    }
}
