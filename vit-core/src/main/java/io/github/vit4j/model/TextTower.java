package io.github.vit4j.model;

import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.model.kernels.Ops;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CLIP's text transformer, as Hugging Face's {@code CLIPTextModelWithProjection} runs it: token ids → token
 * embeddings plus position embeddings → the image tower's pre-LN blocks with a causal mask → a final LayerNorm on
 * every token → the row of the first end-of-text token → {@code text_projection}. The blocks are
 * {@link ReferenceForward}'s own code, so every site of a text run is a site with the same name, kept with a
 * {@link Keep} and replaced with a {@link Substitution} exactly as in an image run:
 * <pre>
 * embed        [B, T, D]     token_embedding[ids] + pos_embed[0..T): what block 0 reads (= blocks.0.resid_pre)
 * blocks.{i}.… [B, (H,) T, ·] as in an image run; pattern [B, H, T, T] is exactly 0 above the diagonal (a token
 *                            attends to itself and the tokens before it)
 * ln_final     [B, T, D]     final_layer_norm, every token
 * pooled       [B, D]        ln_final at each row's end-of-text token ({@link TextConfig#poolIndex})
 * text_embeds  [B, P]        pooled · W_projᵀ (no bias)
 * logits       [B, P]        the tower's output: text_embeds (pooled without a projection)
 * </pre>
 * B prompts of T ≤ contextLength token ids each (77 from CLIP's tokenizers). Tokens after a row's end-of-text token
 * (padding) never reach its pooled row, whatever they are.
 *
 * <p>A text run has no backward pass, and it starts from token ids only (not from a cached {@code resid_pre}):
 * zero-shot classification ({@link ZeroShot}) differentiates the image tower, whose head the text embeddings are.
 * Safe to use from several threads at once.
 */
public final class TextTower {

    private final TextWeights weights;
    private final TextConfig config;
    private final KernelSet kernels;
    private final Ops ops;
    private final ReferenceForward.Encoder encoder;
    private final VitWeights.Linear projection;

    /** The tower on the kernel set {@link KernelSet#configured()} picks, as {@link Vit#Vit(VitWeights)}. */
    public TextTower(TextWeights weights) {
        this(weights, KernelSet.configured());
    }

    /**
     * The tower on the given kernel set ({@link KernelSet#PLAIN} for the reference arithmetic).
     *
     * @throws IllegalArgumentException for a kernel set that does not run here ({@link KernelSet#runsHere()})
     */
    public TextTower(TextWeights weights, KernelSet kernels) {
        this.weights = Objects.requireNonNull(weights, "weights: a TextWeights");
        this.config = weights.config();
        this.kernels = Objects.requireNonNull(kernels, "kernels: name one, e.g. KernelSet.configured()");
        this.ops = kernels.ops();
        this.encoder = new ReferenceForward.Encoder(ops, weights.blocks(), config.heads(), config.layerNormEps(),
                config.activation(), true);
        this.projection = config.projection() > 0 ? weights.projectionMap() : null;
    }

    public TextConfig config() {
        return config;
    }

    public TextWeights weights() {
        return weights;
    }

    /** The kernel set this tower runs on. */
    public KernelSet kernels() {
        return kernels;
    }

    /**
     * The tower's output for each prompt, {@code text_embeds} {@code [B, P]} (not normalised): a new array the
     * caller owns.
     *
     * @throws IllegalArgumentException as {@link #run(long[][], Keep, Map)}
     */
    public INDArray textEmbeds(long[][] ids) {
        try (Activations run = run(ids, Keep.logitsOnly())) {
            return run.logits().dup('c');
        }
    }

    /** A run keeping the sites {@code keep} selects. */
    public Activations run(long[][] ids, Keep keep) {
        return run(ids, keep, Map.of());
    }

    /**
     * A run over the prompts {@code ids} ({@code [B][T]}) in which each site of {@code substitutions} uses the
     * substituted array instead of the one computed; the returned activations hold the arrays actually used.
     *
     * @throws IllegalArgumentException for ids that are not B ≥ 1 rows of one length T in 1..contextLength, an id
     *                                  outside the vocabulary, a row without the end-of-text token, or a site in
     *                                  {@code keep} or {@code substitutions} that a text run does not have
     */
    public Activations run(long[][] ids, Keep keep, Map<Site, Substitution> substitutions) {
        int[] pool = checkIds(ids);
        for (Site s : substitutions.keySet()) {
            checkSite("a substitution", s);
        }
        for (Site s : keep.sites()) {
            checkSite("Keep", s);
        }
        ReferenceForward.Run run = new ReferenceForward.Run(keep, substitutions);
        INDArray resid = run.site(Site.embed(), embed(ids));                                    // [B, T, D]
        for (int l = 0; l < config.layers(); l++) {
            resid = ReferenceForward.block(run, encoder, l, resid);                             // [B, T, D]
        }
        INDArray lnFinal = run.site(Site.lnFinal(),
                ops.layerNorm(resid, weights.norm(), config.layerNormEps()));                   // [B, T, D]
        INDArray pooled = run.site(Site.pooled(), rows(lnFinal, pool));                         // [B, D]
        INDArray output = projection == null ? pooled
                : run.site(Site.textEmbeds(), ops.linear(pooled, projection));                   // [B, P]
        run.site(Site.logits(), output);                                                        // [B, P]
        return new Activations(run.kept(), ids.length, 0, false, run.owned(), substitutions, ops::release);
    }

    /** Token embeddings plus position embeddings: ids {@code [B][T]} → block 0's input {@code [B, T, D]}. */
    private INDArray embed(long[][] ids) {
        int b = ids.length;
        int t = ids[0].length;
        int d = config.hiddenSize();
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                flat[i * t + j] = (int) ids[i][j];
            }
        }
        INDArray tokens = Nd4j.pullRows(weights.tokenEmbedding(), 1, flat, 'c');                // [B·T, D]
        INDArray positions = weights.posEmbed().get(NDArrayIndex.interval(0, t), NDArrayIndex.all())
                .reshape('c', 1, (long) t * d);                                                  // [1, T·D]
        return tokens.reshape('c', b, (long) t * d).addiRowVector(positions).reshape('c', b, t, d);
    }

    /** Row {@code at[i]} of image i of {@code x} {@code [B, T, D]}: a new {@code [B, D]}. */
    private static INDArray rows(INDArray x, int[] at) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {x.size(0), x.size(2)}, 'c');
        for (int i = 0; i < at.length; i++) {
            out.putRow(i, x.get(NDArrayIndex.point(i), NDArrayIndex.point(at[i]), NDArrayIndex.all()));
        }
        return out;
    }

    /** Checks the prompts' ids and returns where each row pools. */
    private int[] checkIds(long[][] ids) {
        if (ids == null || ids.length == 0 || ids[0] == null) {
            throw new IllegalArgumentException("the text tower needs at least one row of token ids");
        }
        int t = ids[0].length;
        int[] pool = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null || ids[i].length != t) {
                throw new IllegalArgumentException("row " + i + " of the token ids has "
                        + (ids[i] == null ? "no ids" : ids[i].length + " ids") + " but row 0 has " + t
                        + "; pad every prompt to one length");
            }
            pool[i] = checkRow(config, ids[i], "row " + i);
        }
        return pool;
    }

    /**
     * Checks one prompt's ids, {@code which} naming it in the messages ("row 3"), and returns where it pools: 1 to
     * contextLength ids, each in the vocabulary, with an end-of-text token.
     */
    static int checkRow(TextConfig config, long[] row, String which) {
        if (row.length == 0 || row.length > config.contextLength()) {
            throw new IllegalArgumentException(which + " has " + row.length + " token ids; the text tower reads 1.."
                    + config.contextLength() + " (CLIP's tokenizers pad to " + config.contextLength() + ")");
        }
        for (int j = 0; j < row.length; j++) {
            if (row[j] < 0 || row[j] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + row[j] + " at " + which + ", position " + j
                        + " is outside the vocabulary of " + config.vocabSize() + " tokens (0.."
                        + (config.vocabSize() - 1) + "); was it tokenized for this model?");
            }
        }
        try {
            return config.poolIndex(row);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(which + ": " + e.getMessage(), e);
        }
    }

    private void checkSite(String who, Site site) {
        if (!config.hasSite(site.kind())) {
            throw new IllegalArgumentException(who + " names " + site + ", a site text runs do not have;"
                    + " TextConfig.sites() lists theirs");
        }
        if (site.kind().perBlock() && site.layer() >= config.layers()) {
            throw new IllegalArgumentException(who + " names " + site + " but the text tower has only "
                    + config.layers() + " layers (0.." + (config.layers() - 1) + ")");
        }
    }
}
