package io.github.vit4j.model;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a run uses at a site instead of the array it computed: plain data, looked up where the site is produced.
 * The array a run actually uses is the one it records, so a patched run's {@link Activations} show the patch.
 */
public sealed interface Substitution {

    /** The array to use given the one the run produced ({@code produced} is never modified). */
    INDArray apply(Site site, INDArray produced);

    /**
     * Use {@code array} itself (no copy) in place of the whole site. Its shape must be the site's shape. At
     * {@code attn_out} or {@code mlp_out} the run then skips computing that module unless it keeps a site inside it.
     */
    static Substitution whole(INDArray array) {
        return new Whole(array);
    }

    /**
     * Use {@code source} where {@code mask} is 1 and the produced value where it is 0:
     * {@code produced + mask · (source − produced)}, a new array. {@code mask} has the site's rank and each of its
     * dimensions is the site's or 1 (e.g. {@code [B, T, 1]} selects tokens of a {@code [B, T, D]} site; {@code
     * [B, H, 1, 1]} selects heads of {@code z}).
     */
    static Substitution masked(INDArray source, INDArray mask) {
        return new Masked(source, mask);
    }

    /** The whole site replaced by an array. */
    record Whole(INDArray array) implements Substitution {
        public Whole {
            if (array == null) {
                throw new IllegalArgumentException("substitution array must not be null");
            }
        }

        @Override
        public INDArray apply(Site site, INDArray produced) {
            checkShape(site, "substitution", array, produced);
            return array;
        }
    }

    /** Part of a site (a mask over its elements, broadcast) replaced by the same part of {@code source}. */
    record Masked(INDArray source, INDArray mask) implements Substitution {
        public Masked {
            if (source == null || mask == null) {
                throw new IllegalArgumentException("masked substitution needs a source and a mask");
            }
        }

        @Override
        public INDArray apply(Site site, INDArray produced) {
            checkShape(site, "substitution source", source, produced);
            long[] want = produced.shape();
            long[] m = mask.shape();
            RunChecks.maskShape("mask", site, m, want);
            INDArray fullMask = Arrays.equals(m, want) ? mask : mask.broadcast(want);
            INDArray delta = source.sub(produced).muli(fullMask.castTo(produced.dataType()));
            return produced.add(delta);
        }
    }

    private static void checkShape(Site site, String what, INDArray given, INDArray produced) {
        if (!Arrays.equals(given.shape(), produced.shape())) {
            throw new IllegalArgumentException(what + " for " + site + " has shape " + Arrays.toString(given.shape())
                    + " but the run produces " + Arrays.toString(produced.shape())
                    + "; is it from a run of the same model with the same batch size?");
        }
        if (given.dataType() != produced.dataType()) {
            throw new IllegalArgumentException(what + " for " + site + " is " + given.dataType() + " but the run is "
                    + produced.dataType() + "; cast it with castTo(DataType.FLOAT)");
        }
    }
}
