package io.github.vit4j.patching;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.VitConfig;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One activation patch as plain data: at {@code site}, for the selected tokens (and heads), use {@code source}
 * instead of what the run computes. The source is usually the same site of a clean run ({@link #restore}); zero-
 * and mean-ablation are sources too ({@link #zero}, {@link #mean}).
 *
 * @param site   where to patch; any per-block site, {@code embed_ln} (which is {@code blocks.0.resid_pre}),
 *               {@code ln_final}, or a per-image vector of the head ({@code pooled}, {@code image_embeds},
 *               {@code cls_logits}, {@code distillation_logits}, {@code logits}) where the model has it (a corruption of
 *               {@code embed} is a {@code Corruption}, not a patch)
 * @param tokens which token positions to take from the source
 * @param heads  which heads to take (only for {@code q, k, v, z, pattern}; {@link Heads#all()} elsewhere)
 * @param source an array of the site's full shape with batch 1 or the run's batch
 */
public record Patch(Site site, Tokens tokens, Heads heads, INDArray source) {

    public Patch {
        if (site == null || tokens == null || heads == null || source == null) {
            throw new IllegalArgumentException("a patch needs a site, tokens, heads and a source");
        }
        if (site.kind() == Site.Kind.EMBED) {
            throw new IllegalArgumentException("embed cannot be patched: restore blocks.0.resid_pre instead (the same"
                    + " positions of it), or corrupt the embeddings with a Corruption");
        }
        if (!(heads instanceof Heads.All) && !site.kind().hasHeads()) {
            throw new IllegalArgumentException("site " + site + " has no head axis; heads can be chosen only for q, k,"
                    + " v, z and pattern");
        }
        if (!site.kind().hasTokens() && !(tokens instanceof Tokens.All)) {
            throw new IllegalArgumentException(site + " [B, ·] has no token axis; patch it with Tokens.all()");
        }
        if (source.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("patch source for " + site + " is " + source.dataType()
                    + "; cast it with castTo(DataType.FLOAT)");
        }
    }

    /** Restore every token of {@code site} from {@code clean}. */
    public static Patch restore(Site site, Activations clean) {
        return new Patch(site, Tokens.all(), Heads.all(), clean.get(site));
    }

    /** Restore the selected tokens of {@code site} from {@code clean}. */
    public static Patch restore(Site site, Tokens tokens, Activations clean) {
        return new Patch(site, tokens, Heads.all(), clean.get(site));
    }

    /** Zero-ablation of the selected tokens of {@code site} (batch-1 zeros, broadcast over the run's batch). */
    public static Patch zero(Site site, Tokens tokens, VitConfig config) {
        return new Patch(site, tokens, Heads.all(), Nd4j.zeros(DataType.FLOAT, site.shape(config, 1)));
    }

    /** Mean-ablation: the site's mean over every image of {@code runs} (each a run of any batch size). */
    public static Patch mean(Site site, Tokens tokens, List<Activations> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("mean-ablation of " + site + " needs at least one run to average");
        }
        INDArray sum = null;
        long count = 0;
        for (Activations run : runs) {
            INDArray a = run.get(site);
            INDArray s = a.sum(true, 0);
            sum = sum == null ? s : sum.add(s);
            count += a.size(0);
        }
        return new Patch(site, tokens, Heads.all(), sum.div(count));
    }

    /** The same patch restricted to some heads (for q, k, v, z, pattern). */
    public Patch withHeads(Heads newHeads) {
        return new Patch(site, tokens, newHeads, source);
    }

    /** Whether this patch replaces the whole site (every token and head) of a model of config {@code c}. */
    public boolean isWhole(VitConfig c) {
        return (tokens instanceof Tokens.All || tokens.positions(c).length == c.tokens()) && heads instanceof Heads.All;
    }

    /**
     * The patch's mask: 1 where the source is used. Its rank is the site's; its batch axis is 1 and every axis
     * that the selection does not vary along is 1 too, so it broadcasts (e.g. {@code [1, T, 1]} for
     * {@code [B, T, D]}, {@code [1, H, T, 1]} for {@code z}).
     */
    public INDArray mask(VitConfig c) {
        long[] full = site.shape(c, 1);
        int[] positions = tokens.positions(c);
        boolean[] tokenOn = new boolean[c.tokens()];
        for (int p : positions) {
            tokenOn[p] = true;
        }
        if (!site.kind().hasTokens()) {
            return Nd4j.ones(DataType.FLOAT, 1, 1);
        }
        if (site.kind().hasHeads()) {
            int h = c.heads();
            boolean[] headOn = new boolean[h];
            if (heads instanceof Heads.Only only) {
                for (int i : only.list()) {
                    if (i >= h) {
                        throw new IllegalArgumentException("head " + i + " is outside the model's " + h + " heads");
                    }
                    headOn[i] = true;
                }
            } else {
                Arrays.fill(headOn, true);
            }
            int t = c.tokens();
            float[] m = new float[h * t];
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < t; j++) {
                    m[i * t + j] = headOn[i] && tokenOn[j] ? 1f : 0f;
                }
            }
            return Nd4j.create(m, new long[] {1, h, t, 1}, 'c');
        }
        int t = (int) full[1];
        float[] m = new float[t];
        for (int j = 0; j < t; j++) {
            m[j] = tokenOn[j] ? 1f : 0f;
        }
        return Nd4j.create(m, new long[] {1, t, 1}, 'c');
    }

    @Override
    public String toString() {
        return "Patch[" + site + ", tokens " + tokens + ", heads " + heads + ", source "
                + Arrays.toString(source.shape()) + "]";
    }
}
