package io.github.vit4j.model;

/**
 * What differs between the ViT families vit4j runs, as data: a handful of orthogonal choices that switch on a few
 * named steps of the one forward pass ({@link ReferenceForward}). The original ViT/DeiT classifier is {@link #VIT};
 * the presets name the others as Hugging Face ships them.
 *
 * <pre>
 * family                tokens                      before blocks  activation  final norm  pooling              output
 * ViT, DeiT             [CLS, patches]              –              GELU        every token CLS row             linear head
 * DeiT distilled        [CLS, dist, patches]        –              GELU        every token CLS and dist rows   mean of two heads
 * CLIP image tower      [CLS, patches]              LayerNorm      quick GELU  pooled only CLS row             projection
 * DINOv2 (+ registers)  [CLS, registers, patches]   –              GELU        every token CLS (+ patch mean)  (linear head)
 * SigLIP image tower    [patches]                   –              tanh GELU   every token attention probe     pooled
 * </pre>
 *
 * <p>DINOv2's layer scale is not a choice here: it is folded into each block's output projections when the weights
 * are loaded ({@code attn.proj} and {@code mlp.fc2} scaled row by row by γ), so {@code attn_out} and
 * {@code mlp_out} are what is added to the residual stream, after the scale, and {@code resid_mid = resid_pre +
 * attn_out} holds for every family. A patch convolution without bias (CLIP) has a zero bias.
 *
 * @param tokens             the tokens before the patches: a CLS token, CLS and a distillation token, or none
 * @param registers          register tokens inserted after CLS, after the position embeddings were added (DINOv2
 *                           with registers, as Hugging Face does it); 0 for none
 * @param embedNorm          a LayerNorm on the embedded tokens before the first block (CLIP's {@code pre_layrnorm}):
 *                           the site {@code embed_ln}, which is block 0's {@code resid_pre}
 * @param activation         the MLP's activation
 * @param finalNormOnPooled  the final LayerNorm applies to the pooled token alone (CLIP's {@code post_layernorm}),
 *                           not to every token; the model then has no {@code ln_final} site
 * @param pooling            how the final tokens become one vector per image
 * @param projection         the width of a bias-free projection after pooling (CLIP's {@code visual_projection}),
 *                           the site {@code image_embeds}; 0 for none
 * @param head               what turns the pooled (or projected) vector into the output
 * @param cosineHead         the head reads its input divided by its L2 norm (zero-shot classes: logits =
 *                           exp(logit_scale) · cosine similarity, the scale folded into the head's weight)
 * @param positionGrid       the side of the patch grid the position embeddings were trained for, when it differs
 *                           from the input's (DINOv2: 37 for 518/14, run at 224); 0 when they are the same. The
 *                           embeddings are resized bicubically to the input's grid as Hugging Face does it
 * @param positionAntialias  that bicubic resize is antialiased (Hugging Face's DINOv2 with registers)
 */
public record Architecture(Tokens tokens, int registers, boolean embedNorm, Activation activation,
                           boolean finalNormOnPooled, Pooling pooling, int projection, Head head, boolean cosineHead,
                           int positionGrid, boolean positionAntialias) {

    /** The largest number of {@link #registers} accepted. */
    public static final int MAX_REGISTERS = 1024;

    /** The tokens in front of the patches, in order. */
    public enum Tokens {
        /** {@code [CLS, patches]}: ViT, DeiT, CLIP, DINOv2. */
        CLS,
        /** {@code [CLS, distillation, patches]}: distilled DeiT. */
        CLS_AND_DISTILLATION,
        /** {@code [patches]}: SigLIP. */
        NONE
    }

    /** The MLP's activation. */
    public enum Activation {
        /** Exact GELU {@code x · Φ(x)} (ViT, DeiT, DINOv2; Hugging Face's {@code gelu}). */
        GELU,
        /** GELU's tanh approximation (SigLIP; {@code gelu_pytorch_tanh}, {@code gelu_new}). */
        GELU_TANH,
        /** {@code x · σ(1.702 x)} (OpenAI's CLIP; {@code quick_gelu}). */
        QUICK_GELU
    }

    /** How the final tokens become one vector per image. */
    public enum Pooling {
        /** The CLS token's row. */
        CLS,
        /** {@code concat(CLS row, mean of the patch rows)} {@code [B, 2D]} (DINOv2's classifier). */
        CLS_AND_PATCH_MEAN,
        /**
         * Attention pooling with a learned probe (SigLIP's head): one query, the probe, attends over every token with
         * the model's head count; then {@code x + mlp(LayerNorm(x))}.
         */
        ATTENTION_PROBE,
        /** The CLS and the distillation token's rows, one for each of two heads (distilled DeiT). */
        CLS_AND_DISTILLATION
    }

    /** What turns the pooled (or projected) vector into the model's output, the site {@code logits}. */
    public enum Head {
        /** A linear classifier. */
        LINEAR,
        /** Two linear classifiers, on the CLS and the distillation row; the output is their mean. */
        DISTILLED,
        /** None: the output is the final embedding itself ({@code image_embeds} if projected, else {@code pooled}). */
        NONE
    }

    /** The original ViT/DeiT classifier: CLS, exact GELU, LayerNorm on every token, a linear head on the CLS row. */
    public static final Architecture VIT = new Architecture(Tokens.CLS, 0, false, Activation.GELU, false,
            Pooling.CLS, 0, Head.LINEAR, false, 0, false);

    /**
     * @throws IllegalArgumentException naming the value, for a null choice, a count out of range, or choices that
     *                                  do not go together (a distillation head without a distillation token)
     */
    public Architecture {
        if (tokens == null || activation == null || pooling == null || head == null) {
            throw new IllegalArgumentException("tokens, activation, pooling and head must be named, got " + tokens
                    + ", " + activation + ", " + pooling + ", " + head + "; start from Architecture.VIT");
        }
        if (registers < 0 || registers > MAX_REGISTERS) {
            throw new IllegalArgumentException("registers is " + registers + ", expected 0.." + MAX_REGISTERS);
        }
        if (registers > 0 && tokens == Tokens.NONE) {
            throw new IllegalArgumentException("registers are inserted after the CLS token, but tokens is NONE");
        }
        if (projection < 0 || projection > VitConfig.MAX_HIDDEN_SIZE) {
            throw new IllegalArgumentException("projection is " + projection + ", expected 0 (none).."
                    + VitConfig.MAX_HIDDEN_SIZE);
        }
        if (positionGrid < 0 || positionGrid > VitConfig.MAX_IMAGE_SIZE) {
            throw new IllegalArgumentException("positionGrid is " + positionGrid + ", expected 0 (the input's grid).."
                    + VitConfig.MAX_IMAGE_SIZE);
        }
        boolean distilled = tokens == Tokens.CLS_AND_DISTILLATION;
        if (distilled != (pooling == Pooling.CLS_AND_DISTILLATION) || distilled != (head == Head.DISTILLED)) {
            throw new IllegalArgumentException("a distillation token, CLS_AND_DISTILLATION pooling and the DISTILLED"
                    + " head go together, got tokens " + tokens + ", pooling " + pooling + ", head " + head);
        }
        if (tokens == Tokens.NONE && pooling != Pooling.ATTENTION_PROBE) {
            throw new IllegalArgumentException("pooling " + pooling + " reads the CLS token, but tokens is NONE;"
                    + " a model without CLS pools with ATTENTION_PROBE");
        }
        if (cosineHead && head != Head.LINEAR) {
            throw new IllegalArgumentException("cosineHead needs a LINEAR head, got " + head);
        }
        if (finalNormOnPooled && pooling != Pooling.CLS) {
            throw new IllegalArgumentException("finalNormOnPooled normalises the CLS row alone; pooling is " + pooling);
        }
        if (projection > 0 && distilled) {
            throw new IllegalArgumentException("a projection reads one pooled vector; the distilled head reads two");
        }
    }

    /**
     * OpenAI's CLIP image tower as Hugging Face's {@code CLIPVisionModelWithProjection} runs it: LayerNorm before
     * the blocks, quick GELU, LayerNorm on the CLS row only, a projection to {@code projection} dimensions, no
     * classifier.
     */
    public static Architecture clipVision(int projection) {
        return new Architecture(Tokens.CLS, 0, true, Activation.QUICK_GELU, true, Pooling.CLS, projection,
                Head.NONE, false, 0, false);
    }

    /**
     * DINOv2 ({@code Dinov2Model}, or {@code Dinov2WithRegistersModel} with {@code registers > 0}): exact GELU,
     * layer scale (folded), position embeddings for {@code positionGrid} (37 for 518/14) resized to the input's
     * grid, antialiased with registers as Hugging Face does; the output is the CLS row after the final LayerNorm.
     */
    public static Architecture dinov2(int registers, int positionGrid) {
        return new Architecture(Tokens.CLS, registers, false, Activation.GELU, false, Pooling.CLS, 0, Head.NONE,
                false, positionGrid, registers > 0);
    }

    /** DINOv2's classifier ({@code Dinov2ForImageClassification}): a linear head on concat(CLS, mean of patches). */
    public static Architecture dinov2Classifier(int registers, int positionGrid) {
        return new Architecture(Tokens.CLS, registers, false, Activation.GELU, false, Pooling.CLS_AND_PATCH_MEAN, 0,
                Head.LINEAR, false, positionGrid, registers > 0);
    }

    /** SigLIP's image tower ({@code SiglipVisionModel}): no CLS, tanh GELU, attention pooling, no classifier. */
    public static Architecture siglipVision() {
        return new Architecture(Tokens.NONE, 0, false, Activation.GELU_TANH, false, Pooling.ATTENTION_PROBE, 0,
                Head.NONE, false, 0, false);
    }

    /** Distilled DeiT ({@code DeiTForImageClassificationWithTeacher}): CLS and distillation tokens, two heads. */
    public static Architecture deitDistilled() {
        return new Architecture(Tokens.CLS_AND_DISTILLATION, 0, false, Activation.GELU, false,
                Pooling.CLS_AND_DISTILLATION, 0, Head.DISTILLED, false, 0, false);
    }

    /** This architecture with a linear head in place of its output. */
    public Architecture withLinearHead() {
        return new Architecture(tokens, registers, embedNorm, activation, finalNormOnPooled, pooling, projection,
                Head.LINEAR, false, positionGrid, positionAntialias);
    }

    /**
     * This architecture with a cosine head in place of its output (zero-shot classes: the head reads its input
     * divided by its L2 norm, and its weight carries exp(logit_scale)).
     */
    public Architecture withCosineHead() {
        return new Architecture(tokens, registers, embedNorm, activation, finalNormOnPooled, pooling, projection,
                Head.LINEAR, true, positionGrid, positionAntialias);
    }

    /** This architecture without a head: the output is the final embedding. */
    public Architecture withoutHead() {
        return new Architecture(tokens, registers, embedNorm, activation, finalNormOnPooled, pooling, projection,
                Head.NONE, false, positionGrid, positionAntialias);
    }

    /** This architecture with position embeddings trained for {@code grid} (0: the input's grid). */
    Architecture withPositionGrid(int grid) {
        return new Architecture(tokens, registers, embedNorm, activation, finalNormOnPooled, pooling, projection,
                head, cosineHead, grid, positionAntialias);
    }

    /** Whether the model has a CLS token (at position 0). */
    public boolean hasCls() {
        return tokens != Tokens.NONE;
    }

    /** The tokens before the patches: CLS, the distillation token, the registers. */
    public int prefixTokens() {
        return switch (tokens) {
            case CLS -> 1;
            case CLS_AND_DISTILLATION -> 2;
            case NONE -> 0;
        } + registers;
    }

    /** The position of the first register token (after CLS and the distillation token). */
    public int firstRegister() {
        return prefixTokens() - registers;
    }

    /**
     * Whether the model has a {@code pooled} site: where pooling is a step of its own (more than reading the CLS row
     * of {@code ln_final}) or the pooled vector is the model's output.
     */
    public boolean hasPooled() {
        return pooling == Pooling.CLS_AND_PATCH_MEAN || pooling == Pooling.ATTENTION_PROBE || finalNormOnPooled
                || (head == Head.NONE && projection == 0);
    }
}
