package io.github.vit4j.model;

import io.github.vit4j.image.Preprocessing;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a run starts: from pixels, or from a cached {@code resid_pre} of some layer. Pixels come in two forms, each
 * with a factory named for it: {@link #pixels(INDArray, Preprocessing)} takes them as images are read (resized,
 * rescaled to [0, 1], not normalised: {@code ImageSource.Batch#pixels()}) with the model's preprocessing, and
 * normalises them; {@link #normalized} takes model input already normalised. An {@code ImageSource.Batch} gives
 * its own with {@code batch.input()}.
 */
public sealed interface Input {

    /** The number of images in the batch. */
    int batch();

    /** The first block the run computes (0 for pixels). */
    int startLayer();

    /**
     * Pixels {@code [B, C, H, W]} as images are read, resized and rescaled but not normalised (in [0, 1] for the
     * usual 1/255), normalised here with {@code preprocessing} ({@link Preprocessing#normalize}, which also resizes
     * to the model's size).
     *
     * @throws IllegalArgumentException when a value lies outside the rescaled range (a negative value: the pixels
     *                                  were normalised already, pass them to {@link #normalized} instead)
     */
    static Input pixels(INDArray pixels, Preprocessing preprocessing) {
        if (pixels == null || preprocessing == null) {
            throw new IllegalArgumentException("Input.pixels needs pixels and their preprocessing, got " + pixels
                    + " and " + preprocessing);
        }
        return new Pixels(preprocessing.normalize(pixels));
    }

    /**
     * Model input {@code [B, C, H, W]} already normalised ({@code (x − mean) / std} per channel, e.g. by
     * {@link Preprocessing#normalize} or {@link Preprocessing#apply}), used as it is. Pixels in [0, 1] go to
     * {@link #pixels(INDArray, Preprocessing)} instead: here they would give wrong logits without an error.
     */
    static Input normalized(INDArray normalized) {
        return new Pixels(normalized);
    }

    /**
     * Resume at block {@code layer} from its {@code resid_pre} {@code [B, T, D]} (for example the one a previous run
     * recorded): blocks before {@code layer} are not computed. {@code layer} may equal L to run only the final
     * LayerNorm and head.
     */
    static Input residPre(int layer, INDArray residPre) {
        return new ResidPre(layer, residPre);
    }

    /** Normalised pixels {@code [B, C, H, W]}, the model's input (made by {@link #pixels} or {@link #normalized}). */
    record Pixels(INDArray pixels) implements Input {
        public Pixels {
            if (pixels == null) {
                throw new IllegalArgumentException("pixels must not be null");
            }
            if (pixels.rank() != 4) {
                throw new IllegalArgumentException("pixels must be [batch, channels, height, width], got rank "
                        + pixels.rank() + " " + java.util.Arrays.toString(pixels.shape())
                        + "; add a batch dimension with reshape(1, c, h, w)");
            }
        }

        @Override
        public int batch() {
            return (int) pixels.size(0);
        }

        @Override
        public int startLayer() {
            return 0;
        }
    }

    /** A block's input, to resume a run there. */
    record ResidPre(int layer, INDArray residPre) implements Input {
        public ResidPre {
            if (residPre == null) {
                throw new IllegalArgumentException("resid_pre must not be null");
            }
            if (layer < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + layer);
            }
            if (residPre.rank() != 3) {
                throw new IllegalArgumentException("resid_pre must be [batch, tokens, hidden], got "
                        + java.util.Arrays.toString(residPre.shape()));
            }
        }

        @Override
        public int batch() {
            return (int) residPre.size(0);
        }

        @Override
        public int startLayer() {
            return layer;
        }
    }
}
