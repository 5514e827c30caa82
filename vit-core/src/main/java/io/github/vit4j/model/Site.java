package io.github.vit4j.model;

/**
 * One named intermediate of the forward pass: a kind and, for per-block kinds, the block's index.
 *
 * <p>Names follow TransformerLens; shapes are batch first ({@code B} images, {@code T} tokens, {@code D} hidden,
 * {@code H} heads, {@code d} = D/H, {@code M} MLP width, {@code N} = T − 1 patches, {@code C} classes):
 * <pre>
 * embed       [B, N, D]     patch embeddings (the patchify convolution), before CLS and positions
 * embed_ln    [B, T, D]     LayerNorm(concat(cls, embed) + pos_embed), CLIP's pre_layrnorm; = resid_pre of block 0
 * resid_pre   [B, T, D]     block input; layer 0: concat(cls, embed) + pos_embed (then registers, then embed_ln)
 * ln1         [B, T, D]     LayerNorm1(resid_pre)
 * q, k, v     [B, H, T, d]  ln1 · W_q|k|v + b, split into heads
 * pattern     [B, H, T, T]  softmax(q kᵀ / √d) over the last axis
 * z           [B, H, T, d]  pattern · v
 * attn_out    [B, T, D]     concat heads of z · W_o + b_o: exactly what is added to the stream
 * resid_mid   [B, T, D]     resid_pre + attn_out
 * ln2         [B, T, D]     LayerNorm2(resid_mid)
 * mlp_pre     [B, T, M]     ln2 · W_fc1 + b
 * mlp_post    [B, T, M]     GELU(mlp_pre), exact erf form
 * mlp_out     [B, T, D]     mlp_post · W_fc2 + b
 * resid_post  [B, T, D]     resid_mid + mlp_out; equals resid_pre of the next block
 * ln_final    [B, T, D]     final LayerNorm(resid_post of the last block) (not in CLIP: its LayerNorm is on pooled)
 * pooled      [B, D']       what the head reads, where pooling is a step of its own: CLIP LayerNorm(CLS row),
 *                           DINOv2 classifier concat(CLS, mean of patches) (D' = 2D), SigLIP attention pooling;
 *                           the model's output when it has neither classifier nor projection
 * image_embeds [B, P]       pooled · W_projᵀ (CLIP's visual_projection)
 * cls_logits  [B, C]        distilled DeiT: the CLS head; distillation_logits: the distillation token's head
 * logits      [B, C]        the output: head(ln_final[:, 0]) for ViT; the mean of the two heads for distilled DeiT;
 *                           for a model without a classifier its final embedding (image_embeds, else pooled)
 * text_embeds [B, P]        CLIP's text tower: its pooled end-of-text row · W_projᵀ
 * </pre>
 * A run of CLIP's text tower ({@link TextTower}) has the same sites over B prompts of T token ids: {@code embed}
 * {@code [B, T, D]} is token embeddings plus position embeddings (block 0's input), every block's sites as above
 * (causal: {@code pattern} is 0 above the diagonal), {@code ln_final}, {@code pooled} (the end-of-text row),
 * {@code text_embeds} and {@code logits} (= text_embeds).
 * {@link VitConfig#hasSite} says which kinds a model's runs have; T counts the tokens before the patches too
 * ({@link VitConfig#prefixTokens()}: CLS, distillation token, registers; none for SigLIP).
 *
 * @param layer the block index for per-block kinds, or {@link #NO_LAYER} for embed, ln_final and logits
 * @param kind  what the array is
 */
public record Site(int layer, Kind kind) {

    /** The layer of sites that do not belong to a block. */
    public static final int NO_LAYER = -1;

    /** The two modules of a block, each read from the residual stream and adding its output to it; or neither. */
    public enum Module {
        /** ln1, q, k, v, pattern, z: between resid_pre and attn_out. */
        ATTENTION,
        /** ln2, mlp_pre, mlp_post: between resid_mid and mlp_out. */
        MLP,
        /** The residual stream, the module outputs, embed, ln_final and logits. */
        NONE;

        /** The kind of what the module adds to the residual stream: {@code attn_out} or {@code mlp_out}. */
        public Kind output() {
            return switch (this) {
                case ATTENTION -> Kind.ATTN_OUT;
                case MLP -> Kind.MLP_OUT;
                case NONE -> throw new IllegalStateException("NONE is not a module; it has no output");
            };
        }
    }

    /** The kinds of site, in the order the forward pass produces them. */
    public enum Kind {
        EMBED("embed", false, Module.NONE, false),
        EMBED_LN("embed_ln", false, Module.NONE, false),
        RESID_PRE("resid_pre", true, Module.NONE, false),
        LN1("ln1", true, Module.ATTENTION, false),
        Q("q", true, Module.ATTENTION, true),
        K("k", true, Module.ATTENTION, true),
        V("v", true, Module.ATTENTION, true),
        PATTERN("pattern", true, Module.ATTENTION, true),
        Z("z", true, Module.ATTENTION, true),
        ATTN_OUT("attn_out", true, Module.NONE, false),
        RESID_MID("resid_mid", true, Module.NONE, false),
        LN2("ln2", true, Module.MLP, false),
        MLP_PRE("mlp_pre", true, Module.MLP, false),
        MLP_POST("mlp_post", true, Module.MLP, false),
        MLP_OUT("mlp_out", true, Module.NONE, false),
        RESID_POST("resid_post", true, Module.NONE, false),
        LN_FINAL("ln_final", false, Module.NONE, false),
        POOLED("pooled", false, Module.NONE, false),
        IMAGE_EMBEDS("image_embeds", false, Module.NONE, false),
        CLS_LOGITS("cls_logits", false, Module.NONE, false),
        DISTILLATION_LOGITS("distillation_logits", false, Module.NONE, false),
        LOGITS("logits", false, Module.NONE, false),
        TEXT_EMBEDS("text_embeds", false, Module.NONE, false);

        private final String lensName;
        private final boolean perBlock;
        private final Module module;
        private final boolean hasHeads;

        Kind(String lensName, boolean perBlock, Module module, boolean hasHeads) {
            this.lensName = lensName;
            this.perBlock = perBlock;
            this.module = module;
            this.hasHeads = hasHeads;
        }

        /** The TransformerLens name, e.g. {@code attn_out}. */
        public String lensName() {
            return lensName;
        }

        /** Whether the kind exists once per block (and so needs a layer). */
        public boolean perBlock() {
            return perBlock;
        }

        /** The module the kind is computed inside ({@link Module#NONE} for the stream and the module outputs). */
        public Module module() {
            return module;
        }

        /** Whether the array has a head axis ({@code [B, H, T, …]}): q, k, v, pattern, z. */
        public boolean hasHeads() {
            return hasHeads;
        }

        /**
         * The axis of the array that runs over tokens: 2 for the kinds with heads, else 1 (embed's runs over the N
         * patches alone).
         *
         * @throws IllegalStateException for logits and the other per-image vectors, which have no token axis
         */
        public int tokenAxis() {
            if (!hasTokens()) {
                throw new IllegalStateException(lensName + " [B, ·] has no token axis");
            }
            return hasHeads ? 2 : 1;
        }

        /** Whether the array has a token axis: every kind but the per-image vectors (pooled and after). */
        public boolean hasTokens() {
            return ordinal() <= LN_FINAL.ordinal();
        }
    }

    public Site {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (kind.perBlock() && layer < 0) {
            throw new IllegalArgumentException("site " + kind.lensName() + " belongs to a block; layer must be >= 0, got "
                    + layer);
        }
        if (!kind.perBlock() && layer != NO_LAYER) {
            throw new IllegalArgumentException("site " + kind.lensName() + " is not per block; use Site."
                    + kind.lensName() + "() instead of layer " + layer);
        }
    }

    /** A per-block site, e.g. {@code Site.of(3, Kind.ATTN_OUT)}. */
    public static Site of(int layer, Kind kind) {
        return new Site(layer, kind);
    }

    /** {@code embed}. */
    public static Site embed() {
        return new Site(NO_LAYER, Kind.EMBED);
    }

    /** {@code ln_final}. */
    public static Site lnFinal() {
        return new Site(NO_LAYER, Kind.LN_FINAL);
    }

    /** {@code logits}. */
    public static Site logits() {
        return new Site(NO_LAYER, Kind.LOGITS);
    }

    /** {@code embed_ln}. */
    public static Site embedLn() {
        return new Site(NO_LAYER, Kind.EMBED_LN);
    }

    /** {@code pooled}. */
    public static Site pooled() {
        return new Site(NO_LAYER, Kind.POOLED);
    }

    /** {@code image_embeds}. */
    public static Site imageEmbeds() {
        return new Site(NO_LAYER, Kind.IMAGE_EMBEDS);
    }

    /** {@code text_embeds}. */
    public static Site textEmbeds() {
        return new Site(NO_LAYER, Kind.TEXT_EMBEDS);
    }

    /** {@code cls_logits}. */
    public static Site clsLogits() {
        return new Site(NO_LAYER, Kind.CLS_LOGITS);
    }

    /** {@code distillation_logits}. */
    public static Site distillationLogits() {
        return new Site(NO_LAYER, Kind.DISTILLATION_LOGITS);
    }

    /** {@code blocks.<layer>.resid_pre}. */
    public static Site residPre(int layer) {
        return new Site(layer, Kind.RESID_PRE);
    }

    /** {@code blocks.<layer>.ln1}. */
    public static Site ln1(int layer) {
        return new Site(layer, Kind.LN1);
    }

    /** {@code blocks.<layer>.q}. */
    public static Site q(int layer) {
        return new Site(layer, Kind.Q);
    }

    /** {@code blocks.<layer>.k}. */
    public static Site k(int layer) {
        return new Site(layer, Kind.K);
    }

    /** {@code blocks.<layer>.v}. */
    public static Site v(int layer) {
        return new Site(layer, Kind.V);
    }

    /** {@code blocks.<layer>.pattern}. */
    public static Site pattern(int layer) {
        return new Site(layer, Kind.PATTERN);
    }

    /** {@code blocks.<layer>.z}. */
    public static Site z(int layer) {
        return new Site(layer, Kind.Z);
    }

    /** {@code blocks.<layer>.attn_out}. */
    public static Site attnOut(int layer) {
        return new Site(layer, Kind.ATTN_OUT);
    }

    /** {@code blocks.<layer>.resid_mid}. */
    public static Site residMid(int layer) {
        return new Site(layer, Kind.RESID_MID);
    }

    /** {@code blocks.<layer>.ln2}. */
    public static Site ln2(int layer) {
        return new Site(layer, Kind.LN2);
    }

    /** {@code blocks.<layer>.mlp_pre}. */
    public static Site mlpPre(int layer) {
        return new Site(layer, Kind.MLP_PRE);
    }

    /** {@code blocks.<layer>.mlp_post}. */
    public static Site mlpPost(int layer) {
        return new Site(layer, Kind.MLP_POST);
    }

    /** {@code blocks.<layer>.mlp_out}. */
    public static Site mlpOut(int layer) {
        return new Site(layer, Kind.MLP_OUT);
    }

    /** {@code blocks.<layer>.resid_post}. */
    public static Site residPost(int layer) {
        return new Site(layer, Kind.RESID_POST);
    }

    /** The shape of this site's array for a batch of {@code batch} images of a model of config {@code c}. */
    public long[] shape(VitConfig c, int batch) {
        long b = batch;
        return switch (kind) {
            case EMBED -> new long[] {b, c.patches(), c.hiddenSize()};
            case EMBED_LN, RESID_PRE, LN1, ATTN_OUT, RESID_MID, LN2, MLP_OUT, RESID_POST, LN_FINAL ->
                    new long[] {b, c.tokens(), c.hiddenSize()};
            case POOLED -> new long[] {b, c.pooledSize()};
            case IMAGE_EMBEDS, TEXT_EMBEDS -> new long[] {b, c.architecture().projection()};
            case CLS_LOGITS, DISTILLATION_LOGITS -> new long[] {b, c.classes()};
            case Q, K, V, Z -> new long[] {b, c.heads(), c.tokens(), c.headDim()};
            case PATTERN -> new long[] {b, c.heads(), c.tokens(), c.tokens()};
            case MLP_PRE, MLP_POST -> new long[] {b, c.tokens(), c.mlpSize()};
            case LOGITS -> new long[] {b, c.classes()};
        };
    }

    /** TransformerLens-style name for logs and file names: {@code blocks.3.attn_out}, {@code embed}, {@code logits}. */
    @Override
    public String toString() {
        return kind.perBlock() ? "blocks." + layer + "." + kind.lensName() : kind.lensName();
    }
}
