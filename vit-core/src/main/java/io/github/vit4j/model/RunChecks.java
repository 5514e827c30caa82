package io.github.vit4j.model;

import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The checks of a run's arguments that {@link ReferenceForward} and {@link Vit} share, with the same messages. */
final class RunChecks {

    private RunChecks() {
    }

    /** {@code input} fits a model of config {@code config}: shape, start layer and float32. */
    static void input(VitConfig config, Input input) {
        if (input instanceof Input.Pixels p) {
            long[] want = {p.batch(), config.channels(), config.imageHeight(), config.imageWidth()};
            if (!Arrays.equals(want, p.pixels().shape())) {
                throw new IllegalArgumentException("expected pixels " + Arrays.toString(want) + " but got "
                        + Arrays.toString(p.pixels().shape()) + "; this model takes " + config.channels()
                        + "-channel " + config.imageHeight() + "×" + config.imageWidth() + " (height × width)"
                        + " images (resize with the model's Preprocessing, or use VitConfig.withImageSize for"
                        + " another size)");
            }
        } else {
            Input.ResidPre r = (Input.ResidPre) input;
            if (r.layer() > config.layers()) {
                throw new IllegalArgumentException("cannot resume at layer " + r.layer() + ": the model has "
                        + config.layers() + " layers (0.." + (config.layers() - 1) + ", or " + config.layers()
                        + " for the head alone)");
            }
            long[] want = Site.residPre(0).shape(config, r.batch());
            if (!Arrays.equals(want, r.residPre().shape())) {
                throw new IllegalArgumentException("expected resid_pre " + Arrays.toString(want) + " but got "
                        + Arrays.toString(r.residPre().shape()) + "; is it from a run of this model?");
            }
        }
        INDArray a = input instanceof Input.Pixels p ? p.pixels() : ((Input.ResidPre) input).residPre();
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("input is " + a.dataType()
                    + "; the forward pass is float32: castTo(DataType.FLOAT)");
        }
    }

    /** Every site of {@code substitutions} is one a run from {@code input} produces. */
    static void substitutions(VitConfig config, Input input, Map<Site, Substitution> substitutions) {
        for (Site s : substitutions.keySet()) {
            absent("a substitution", config, s);
            if (s.kind().perBlock() && s.layer() >= config.layers()) {
                throw new IllegalArgumentException("substitution at " + s + " but the model has only "
                        + config.layers() + " layers (0.." + (config.layers() - 1) + ")");
            }
            boolean embedding = s.kind() == Site.Kind.EMBED || s.kind() == Site.Kind.EMBED_LN;
            boolean before = embedding ? !(input instanceof Input.Pixels)
                    : s.kind().perBlock() && s.layer() < input.startLayer();
            if (before) {
                throw new IllegalArgumentException("substitution at " + s + " is never used: the run starts at layer "
                        + input.startLayer() + (embedding ? " from a resid_pre, after the embedding; start from pixels"
                        : "; start from an earlier layer's resid_pre"));
            }
        }
    }

    /** Every per-block site {@code keep} names is at a layer of the model: a run or backward could not keep it. */
    static void keep(VitConfig config, Keep keep) {
        for (Site s : keep.sites()) {
            absent("Keep", config, s);
            if (s.kind().perBlock() && s.layer() >= config.layers()) {
                throw new IllegalArgumentException("Keep names " + s + " but the model has only " + config.layers()
                        + " layers (0.." + (config.layers() - 1) + "); keep a site of one of those layers");
            }
        }
    }

    /** Refuses {@code site} when runs of this model never produce its kind (e.g. embed_ln without a pre-norm). */
    static void absent(String who, VitConfig config, Site site) {
        if (!config.hasSite(site.kind())) {
            throw new IllegalArgumentException(who + " names " + site + ", a site this model's runs do not have"
                    + " (architecture " + config.architecture() + "); VitConfig.hasSite says which they have");
        }
    }

    /**
     * A mask ({@link Substitution#masked}'s, or a backward's held one) broadcasts to its site's shape {@code want}:
     * the same rank, each dimension equal or 1.
     *
     * @param what what the mask is, for the message ("mask", "held mask")
     */
    static void maskShape(String what, Site site, long[] mask, long[] want) {
        boolean fits = mask.length == want.length;
        for (int i = 0; fits && i < mask.length; i++) {
            fits = mask[i] == want[i] || mask[i] == 1;
        }
        if (!fits) {
            throw new IllegalArgumentException(what + " for " + site + " has shape " + Arrays.toString(mask)
                    + " but must broadcast to the site's " + Arrays.toString(want)
                    + " (same rank, each dimension equal or 1; e.g. [1, T, 1] selects tokens)");
        }
    }
}
