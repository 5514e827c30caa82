package io.github.vit4j.corruption;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import java.io.Serializable;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A way to corrupt the input so that the model loses what causal tracing looks for (colour, detail, a region).
 * Built-ins: {@link Grayscale}, {@link GaussianNoise} (ROME's), {@link Blur}, {@link Occlusion}. To add one,
 * implement this interface (or {@link PixelCorruption} for a change of pixels) and pass it to the trace. A
 * corruption is plain data (the built-ins are records of numbers) and {@link Serializable}, so that a calibrated one
 * can be shipped to the workers of a distributed trace (vit-spark); an implementation should keep it so.
 */
public interface Corruption extends Serializable {

    /**
     * The corrupted run of a batch of images.
     *
     * @param vit    the model
     * @param images the batch, as [0, 1] pixels with their preprocessing and source indices, and the run's seed
     * @param clean  the clean run of the same batch (keeps {@code embed} when {@link #needsCleanEmbed()})
     * @param keep   what the corrupted run must keep
     */
    Activations run(Vit vit, Images images, Activations clean, Keep keep);

    /** Whether {@link #run} reads the clean run's {@code embed} site. */
    default boolean needsCleanEmbed() {
        return false;
    }

    /**
     * Whether {@link #calibrate} must still be called before {@link #run}: true for noise whose σ is not known yet;
     * false for every corruption that needs no calibration, or is calibrated already.
     */
    default boolean needsCalibration() {
        return false;
    }

    /**
     * This corruption fitted to a sample of clean runs (e.g. noise scaled to the embeddings' spread); by default
     * itself. Called once before a dataset trace so that every image is corrupted alike.
     */
    default Corruption calibrate(Activations cleanSample) {
        return this;
    }

    /** A short description with every parameter, for summaries and titles, e.g. {@code noise(k=3, σ=0.21)}. */
    String describe();

    /**
     * The corruption a user typed: {@code grayscale}, {@code noise[:k]} (default k = 3), {@code blur[:sigma]}
     * (pixels, default 1.5), {@code occlude[:cells]} (patch-grid cells, default a quarter of the grid).
     */
    static Corruption parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        String name = s.contains(":") ? s.substring(0, s.indexOf(':')) : s;
        String arg = s.contains(":") ? s.substring(s.indexOf(':') + 1) : "";
        try {
            return switch (name) {
                case "grayscale", "greyscale", "gray" -> {
                    if (!arg.isEmpty()) {
                        throw new IllegalArgumentException("grayscale takes no parameter");
                    }
                    yield new Grayscale();
                }
                case "noise" -> new GaussianNoise(arg.isEmpty() ? 3.0 : Double.parseDouble(arg), Double.NaN);
                case "blur" -> new Blur(arg.isEmpty() ? 1.5 : Double.parseDouble(arg));
                case "occlude" -> new Occlusion(arg.isEmpty() ? Occlusion.QUARTER : cells(arg));
                default -> throw new IllegalArgumentException("unknown corruption '" + name + "'");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("corruption '" + spec + "' has a parameter that is not a number: '"
                    + arg + "'; expected e.g. noise:3, blur:1.5, occlude:16", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " in '" + spec
                    + "'; expected grayscale, noise[:k], blur[:sigma] or occlude[:cells]", e);
        }
    }

    /** The cell count of {@code occlude:N}: at least 1 (Occlusion.QUARTER's -1 is not a count a user types). */
    private static int cells(String arg) {
        int n = Integer.parseInt(arg);
        if (n < 1) {
            throw new IllegalArgumentException("occlude:" + arg + " asks for " + n + " grid cells; the count must be 1"
                    + " to the patch grid's cell count (64 for a 32px image in 4px patches), or leave it out (occlude)"
                    + " for a quarter of the grid");
        }
        return n;
    }

    /**
     * A batch to corrupt, as a trace corrupts it.
     *
     * @param batch the images: {@code [B, 3, H, W]} resized pixels in [0, 1], not normalised, with the preprocessing
     *              that normalises them and each image's index in its source (corruptions seed per image, so results
     *              do not depend on how images are batched)
     * @param seed  the run's seed
     */
    record Images(ImageSource.Batch batch, long seed) {
        public Images {
            if (batch == null) {
                throw new IllegalArgumentException("no batch to corrupt; read one with ImageSource.read or make one "
                        + "with ImageSource.Batch.of(pixels, preprocessing)");
            }
        }

        /** The batch's pixels {@code [B, 3, H, W]} in [0, 1]. */
        public INDArray pixels() {
            return batch.pixels();
        }

        /** How the model normalises the pixels. */
        public Preprocessing preprocessing() {
            return batch.preprocessing();
        }

        /** A random stream for image {@code i} of the batch, fixed by the seed and the image's source index. */
        public SplittableRandom random(int i) {
            return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + batch.index(i));
        }
    }
}
