package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of CLIP's text tower ({@link TextTower}): everything its forward pass needs besides the weights. The
 * names are Hugging Face's {@code CLIPTextConfig}'s.
 *
 * @param vocabSize     rows of the token embedding, 49408 for OpenAI's byte-level BPE
 * @param contextLength rows of the position embedding ({@code max_position_embeddings}), 77: the longest prompt
 * @param hiddenSize    width D of the residual stream, e.g. 512
 * @param layers        number of transformer blocks
 * @param heads         attention heads; must divide {@code hiddenSize}
 * @param mlpSize       width of the MLP's hidden layer ({@code intermediate_size}), e.g. 2048
 * @param layerNormEps  the epsilon of every LayerNorm, 1e-5 in CLIP
 * @param activation    the MLP's activation ({@code hidden_act}; quick GELU in OpenAI's CLIP)
 * @param projection    the width of {@code text_projection} (the site {@code text_embeds}); 0 for a tower without
 *                      one, whose output is then {@code pooled}
 * @param eosTokenId    the end-of-text token, where the tower pools ({@link #poolIndex}); 49407 in OpenAI's vocabulary.
 *                      {@value #LEGACY_EOS_TOKEN_ID} is what older Hugging Face configs state instead, and then,
 *                      as Hugging Face does, the tower pools at the largest id of each row (end-of-text is the
 *                      largest id of OpenAI's vocabulary)
 */
public record TextConfig(int vocabSize, int contextLength, int hiddenSize, int layers, int heads, int mlpSize,
                         double layerNormEps, Architecture.Activation activation, int projection, int eosTokenId) {

    /** The largest {@link #vocabSize} accepted. */
    public static final int MAX_VOCAB_SIZE = 1 << 24;
    /** The largest {@link #contextLength} accepted. */
    public static final int MAX_CONTEXT_LENGTH = 1 << 16;
    /**
     * The end-of-text id older Hugging Face CLIP configs state (a placeholder, not OpenAI's 49407); with it the tower
     * pools at each row's largest id, as Hugging Face's {@code CLIPTextTransformer} does.
     */
    public static final int LEGACY_EOS_TOKEN_ID = 2;

    /**
     * @throws IllegalArgumentException naming the value, for a size out of range, heads that do not divide the width,
     *                                  an epsilon outside (0, 1), no activation, or an end-of-text id outside the
     *                                  vocabulary
     */
    public TextConfig {
        VitConfig.positive("vocabSize", vocabSize);
        if (vocabSize > MAX_VOCAB_SIZE) {
            throw new IllegalArgumentException("vocabSize is " + vocabSize + ", more than TextConfig.MAX_VOCAB_SIZE = "
                    + MAX_VOCAB_SIZE + "; the config (or the file it came from) is wrong");
        }
        VitConfig.positive("contextLength", contextLength);
        if (contextLength > MAX_CONTEXT_LENGTH) {
            throw new IllegalArgumentException("contextLength is " + contextLength + ", more than"
                    + " TextConfig.MAX_CONTEXT_LENGTH = " + MAX_CONTEXT_LENGTH + "; CLIP reads 77 tokens");
        }
        VitConfig.bounded("hiddenSize", hiddenSize, VitConfig.MAX_HIDDEN_SIZE, "MAX_HIDDEN_SIZE");
        VitConfig.bounded("layers", layers, VitConfig.MAX_LAYERS, "MAX_LAYERS");
        VitConfig.bounded("heads", heads, VitConfig.MAX_HEADS, "MAX_HEADS");
        VitConfig.bounded("mlpSize", mlpSize, VitConfig.MAX_MLP_SIZE, "MAX_MLP_SIZE");
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not divisible by heads " + heads
                    + "; each head gets hiddenSize / heads dimensions");
        }
        VitConfig.layerNormEps(layerNormEps, "CLIP's is 1e-5");
        if (activation == null) {
            throw new IllegalArgumentException("activation must be named; OpenAI's CLIP uses"
                    + " Architecture.Activation.QUICK_GELU");
        }
        if (projection < 0 || projection > VitConfig.MAX_HIDDEN_SIZE) {
            throw new IllegalArgumentException("projection is " + projection + ", expected 0 (none).."
                    + VitConfig.MAX_HIDDEN_SIZE);
        }
        if (eosTokenId < 0 || eosTokenId >= vocabSize) {
            throw new IllegalArgumentException("eosTokenId " + eosTokenId + " is not a token of the " + vocabSize
                    + "-token vocabulary (0.." + (vocabSize - 1) + "); OpenAI's end-of-text is 49407");
        }
        VitConfig.fitsAnArray("token_embedding", vocabSize, hiddenSize);
        VitConfig.fitsAnArray("pos_embed", contextLength, hiddenSize);
        VitConfig.fitsAnArray("blocks.{i}.attn.qkv.weight", 3L * hiddenSize, hiddenSize);
        VitConfig.fitsAnArray("blocks.{i}.mlp.fc1.weight", mlpSize, hiddenSize);
        VitConfig.fitsAnArray("proj.weight", projection, hiddenSize);
    }

    /** Width of one attention head: hiddenSize / heads. */
    public int headDim() {
        return hiddenSize / heads;
    }

    /** Width of the tower's output: the projection's, else D ({@code pooled}). */
    public int embeddingSize() {
        return projection > 0 ? projection : hiddenSize;
    }

    /**
     * Where the tower pools a row of token ids, as Hugging Face's {@code CLIPTextTransformer} does: the first
     * position holding {@link #eosTokenId}; with the legacy id {@value #LEGACY_EOS_TOKEN_ID}, the position of the
     * row's largest id (the first, if it occurs twice), OpenAI's original rule. Padding after the end-of-text token,
     * 0 as OpenAI's {@code clip.tokenize} pads or end-of-text as Hugging Face's tokenizer pads, is never read: the
     * attention is causal.
     *
     * @throws IllegalArgumentException for an empty row, or one without the end-of-text token (Hugging Face would
     *                                  silently pool at position 0): tokenize with end-of-text last, as CLIP's
     *                                  tokenizers do, also when they truncate
     */
    public int poolIndex(long[] ids) {
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("a row of token ids must hold at least the end-of-text token "
                    + eosTokenId);
        }
        int at = 0;
        if (eosTokenId == LEGACY_EOS_TOKEN_ID) {
            for (int i = 1; i < ids.length; i++) {
                at = ids[i] > ids[at] ? i : at;
            }
            return at;
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == eosTokenId) {
                return i;
            }
        }
        throw new IllegalArgumentException("the row of " + ids.length + " token ids has no end-of-text token "
                + eosTokenId + ", where the text tower pools; tokenize with CLIP's tokenizer, which ends every row"
                + " with it (also when it truncates)");
    }

    /**
     * Every site a run of the tower produces, in order: embed (token + position embeddings, block 0's input), each
     * per-block kind at each layer, ln_final, pooled, text_embeds (with a projection), logits (the output: text_embeds,
     * else pooled).
     */
    public List<Site> sites() {
        List<Site> sites = new ArrayList<>();
        sites.add(Site.embed());
        for (int l = 0; l < layers; l++) {
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock()) {
                    sites.add(Site.of(l, kind));
                }
            }
        }
        for (Site.Kind kind : List.of(Site.Kind.LN_FINAL, Site.Kind.POOLED, Site.Kind.TEXT_EMBEDS,
                Site.Kind.LOGITS)) {
            if (hasSite(kind)) {
                sites.add(new Site(Site.NO_LAYER, kind));
            }
        }
        return sites;
    }

    /** Whether runs of the tower have the site kind {@code kind} (not the image tower's embed_ln, image_embeds, …). */
    public boolean hasSite(Site.Kind kind) {
        return switch (kind) {
            case EMBED_LN, IMAGE_EMBEDS, CLS_LOGITS, DISTILLATION_LOGITS -> false;
            case TEXT_EMBEDS -> projection > 0;
            default -> true;
        };
    }
}
