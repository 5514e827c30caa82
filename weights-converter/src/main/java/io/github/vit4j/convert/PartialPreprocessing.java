package io.github.vit4j.convert;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resizing;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What preprocessor_config.json, a timm config or the mapping file say about the pixel pipeline; {@code null} for
 * what nobody stated. Package-private plumbing for {@link ModelLoader}.
 */
final class PartialPreprocessing {

    Integer size;
    /** The processor's centre crop, the size the model runs at (preprocessor_config.json's {@code crop_size}). */
    Integer cropSize;
    Double rescaleFactor;
    double[] mean;
    double[] std;
    /** Whether resized values are rounded to whole levels (PIL, as Hugging Face's ViTImageProcessor resizes). */
    Boolean roundResized;
    /** Pillow's resize and the centre crop, where the processor config states them. */
    Resizing resizing;
    /** Where the stated fields came from, for messages. */
    final List<String> sources = new ArrayList<>();

    void overrideWith(PartialPreprocessing other) {
        if (other.size != null) {
            size = other.size;
        }
        if (other.cropSize != null) {
            cropSize = other.cropSize;
        }
        if (other.rescaleFactor != null) {
            rescaleFactor = other.rescaleFactor;
        }
        if (other.mean != null) {
            mean = other.mean.clone();
        }
        if (other.std != null) {
            std = other.std.clone();
        }
        if (other.roundResized != null) {
            roundResized = other.roundResized;
        }
        if (other.resizing != null) {
            resizing = other.resizing;
        }
        sources.addAll(other.sources);
    }

    boolean hasNormalisation() {
        return mean != null && std != null;
    }

    /**
     * The preprocessing, with the size defaulting to the model's image size, the rescale factor to 1/255,
     * rounding of resized values to off and the resize to the bilinear one (no {@link Resizing}).
     *
     * @throws IllegalArgumentException when mean or std is missing or the values are invalid
     */
    Preprocessing complete(int imageSize) {
        if (!hasNormalisation()) {
            throw new IllegalArgumentException("mean and std are unknown");
        }
        return new Preprocessing(size == null ? imageSize : size, rescaleFactor == null ? 1 / 255.0 : rescaleFactor,
                mean, std, roundResized != null && roundResized, Optional.ofNullable(resizing));
    }
}
