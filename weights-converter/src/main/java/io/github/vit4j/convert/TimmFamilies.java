package io.github.vit4j.convert;

import static io.github.vit4j.convert.NameLayout.BLOCK;

import io.github.vit4j.convert.DerivedWeights.Recipe;
import io.github.vit4j.convert.DerivedWeights.RowScaled;
import io.github.vit4j.convert.DerivedWeights.ZeroRowsFirst;
import io.github.vit4j.convert.DerivedWeights.Zeros;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Architecture.Activation;
import io.github.vit4j.model.Architecture.Head;
import io.github.vit4j.model.Architecture.Pooling;
import io.github.vit4j.model.Architecture.Tokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * timm's {@code VisionTransformer} families, as its model names and {@code model_args} describe them: CLIP image
 * towers ({@code vit_base_patch16_clip_224.openai}: {@code pre_norm}, LayerNorm eps 1e-5, {@code head} the
 * projection), DINOv2 ({@code vit_base_patch14_dinov2}, {@code vit_base_patch14_reg4_dinov2}: layer scale
 * {@code ls1/ls2.gamma}, registers {@code reg_token} with position embeddings for the patches alone), SigLIP
 * ({@code vit_base_patch16_siglip_224}: no class token, {@code attn_pool}) and distilled DeiT
 * ({@code deit_base_distilled_patch16_224}: {@code dist_token}, {@code head_dist}). The tensors are timm's canonical
 * names, so the layout is the timm one with layer scale folded, a missing patch bias zero, and zero position rows
 * for the tokens {@code no_embed_class} leaves without one.
 */
final class TimmFamilies {

    /** What a timm model name says, beyond the sizes. */
    record Named(boolean clip, boolean quickGelu, boolean siglip, boolean dinov2, int registers, boolean distilled) {
    }

    /** Sizes of timm's named widths: embed_dim, depth, num_heads, mlp width (0: 4 × embed_dim). */
    static final Map<String, int[]> MODEL_SIZES = Map.of(
            "tiny", new int[] {192, 12, 3, 0}, "small", new int[] {384, 12, 6, 0}, "base", new int[] {768, 12, 12, 0},
            "large", new int[] {1024, 24, 16, 0}, "huge", new int[] {1280, 32, 16, 0},
            "so400m", new int[] {1152, 27, 16, 4304});

    private static final Set<String> PLAIN_WORDS = Set.of("clip", "quickgelu", "siglip", "dinov2", "distilled");

    private TimmFamilies() {
    }

    /**
     * The family words of a timm model name such as {@code vit_base_patch14_reg4_dinov2} (its tag, after a dot,
     * removed); a word vit4j does not know ({@code gap}, {@code rope}, …) is refused naming it.
     */
    static Named named(JsonFields top, String base) throws ModelFormatException {
        String[] words = base.split("_");
        boolean clip = false;
        boolean quick = false;
        boolean siglip = false;
        boolean dinov2 = false;
        boolean distilled = false;
        int registers = 0;
        for (int i = 2; i < words.length; i++) {
            String w = words[i];
            if (w.matches("patch\\d+") || w.matches("\\d+") || PLAIN_WORDS.contains(w)) {
                clip |= w.equals("clip");
                quick |= w.equals("quickgelu");
                siglip |= w.equals("siglip");
                dinov2 |= w.equals("dinov2");
                distilled |= w.equals("distilled");
            } else if (w.matches("reg\\d{1,3}")) {
                registers = Integer.parseInt(w.substring(3));
            } else {
                throw top.unsupported("architecture", "\"" + base + "\"", "vit4j does not know timm's \"" + w
                        + "\" variant; it runs timm's plain, CLIP, SigLIP, DINOv2 (with registers) and distilled"
                        + " DeiT VisionTransformers");
            }
        }
        return new Named(clip, quick, siglip, dinov2, registers, distilled);
    }

    /**
     * The architecture: tokens from {@code class_token}, registers and distillation; activation from
     * {@code act_layer} or the name; CLIP's pre-norm and pooled-only final norm; SigLIP's {@code map} pooling; the
     * head from {@code num_classes} (0: none; CLIP's {@code head} without a fine-tuning tag: its projection, unless
     * the file's {@code head.bias} is not all zeros, when {@link ModelLoader} reads it as a linear classifier).
     *
     * @param classes    the classifier's width, 0 for none, -1 when unstated (read off {@code head.weight})
     * @param projection whether {@code head} is CLIP's projection (an image tower, not a fine-tuned classifier)
     */
    static Architecture architecture(JsonFields m, Named named, boolean classToken, String pool, boolean preNorm,
                                     int registers, int classes, boolean projection) throws ModelFormatException {
        String act = m.string("act_layer", named.quickGelu() ? "quick_gelu" : "gelu");
        Activation activation = switch (act) {
            case "gelu" -> Activation.GELU;
            case "gelu_tanh" -> Activation.GELU_TANH;
            case "quick_gelu" -> Activation.QUICK_GELU;
            default -> throw m.unsupported("act_layer", "\"" + act + "\"", "vit4j's MLP runs \"gelu\", \"gelu_tanh\""
                    + " and \"quick_gelu\"");
        };
        if (named.distilled()) {
            return new Architecture(Tokens.CLS_AND_DISTILLATION, registers, false, activation, false,
                    Pooling.CLS_AND_DISTILLATION, 0, Head.DISTILLED, false, 0, true);
        }
        Tokens tokens = classToken ? Tokens.CLS : Tokens.NONE;
        Pooling pooling = pool.equals("map") ? Pooling.ATTENTION_PROBE : Pooling.CLS;
        if (classes == 0) {
            return new Architecture(tokens, registers, preNorm, activation, preNorm && pooling == Pooling.CLS,
                    pooling, 0, Head.NONE, false, 0, true);
        }
        if (projection) {
            return new Architecture(tokens, registers, preNorm, activation, pooling == Pooling.CLS, pooling, classes,
                    Head.NONE, false, 0, true);
        }
        Architecture linear = new Architecture(tokens, registers, preNorm, activation, false, pooling, 0,
                Head.LINEAR, false, 0, false);
        return linear.equals(Architecture.VIT) ? linear : new Architecture(tokens, registers, preNorm, activation,
                false, pooling, 0, Head.LINEAR, false, 0, true);       // timm resizes positions antialiased
    }

    /**
     * timm's names for {@code a}: canonical, with {@code ls1/ls2.gamma} folded where the file has them, a zero patch
     * bias where it has none (CLIP's {@code pre_norm} models), CLIP's {@code head} read as the projection, and with
     * {@code noEmbedClass} zero position rows for the CLS and distillation tokens.
     */
    static NameLayout layout(Architecture a, boolean noEmbedClass) {
        Map<String, List<String>> rules = new LinkedHashMap<>();
        Map<String, Recipe> derived = new LinkedHashMap<>();
        List<String> ignore = new ArrayList<>();
        derived.put("patch_embed.proj.bias", new Zeros("patch_embed.proj.weight"));
        String b = "blocks." + BLOCK + ".";
        for (String wb : List.of("weight", "bias")) {
            derived.put(b + "attn.proj." + wb, new RowScaled(b + "attn.proj." + wb, b + "ls1.gamma"));
            derived.put(b + "mlp.fc2." + wb, new RowScaled(b + "mlp.fc2." + wb, b + "ls2.gamma"));
        }
        int prefixRows = a.prefixTokens() - a.registers();
        if (noEmbedClass && prefixRows > 0) {
            derived.put("pos_embed", new ZeroRowsFirst("pos_embed", prefixRows));
        }
        if (a.projection() > 0) {
            rules.put("proj.weight", List.of("head.weight"));
            ignore.add("head.bias");                          // zeros: timm's conversion of the projection adds them
        }
        return new NameLayout("timm VisionTransformer", rules, ignore, derived);
    }
}
