package io.github.vit4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Where a run starts: from preprocessed pixels, or from a cached {@code resid_pre} of some layer. */
public sealed interface Input {

    /** The number of images in the batch. */
    int batch();

    /** The first block the run computes (0 for pixels). */
    int startLayer();

    /** Preprocessed pixels {@code [B, C, H, W]}. */
    static Input pixels(INDArray pixels) {
        return new Pixels(pixels);
    }

    /**
     * Resume at block {@code layer} from its {@code resid_pre} {@code [B, T, D]} (for example the one a previous run
     * recorded): blocks before {@code layer} are not computed. {@code layer} may equal L to run only the final
     * LayerNorm and head.
     */
    static Input residPre(int layer, INDArray residPre) {
        return new ResidPre(layer, residPre);
    }

    /** Preprocessed pixels {@code [B, C, H, W]}. */
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
