package io.github.vit4j.cli;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Tokens;
import java.util.ArrayList;
import java.util.List;

/** A model's architecture in words, for {@code vit inspect} and the commands that print or read token positions. */
final class ArchitectureText {

    private ArchitectureText() {
    }

    /** The family whose preset the architecture is, e.g. {@code DINOv2 with registers}; {@code custom} for none. */
    static String family(Architecture a) {
        if (a.equals(Architecture.VIT)) {
            return "ViT";
        }
        if (a.equals(Architecture.deitDistilled())) {
            return "distilled DeiT";
        }
        if (a.equals(Architecture.clipVision(a.projection()))) {
            return "CLIP image tower";
        }
        if (a.equals(Architecture.clipVision(a.projection()).withCosineHead())) {
            return "CLIP image tower with zero-shot classes";
        }
        if (a.equals(Architecture.siglipVision())) {
            return "SigLIP image tower";
        }
        String registers = a.registers() > 0 ? " with registers" : "";
        if (a.equals(Architecture.dinov2(a.registers(), a.positionGrid()))) {
            return "DINOv2" + registers;
        }
        if (a.equals(Architecture.dinov2Classifier(a.registers(), a.positionGrid()))) {
            return "DINOv2" + registers + " classifier";
        }
        return "custom";
    }

    /**
     * The architecture in one line: family, token layout, the steps that differ between families, and the output,
     * e.g. {@code CLIP image tower: tokens 0 = CLS, 1..196 = patches; LayerNorm before the blocks; quick GELU; final
     * LayerNorm on the CLS row; pooling: CLS row; projection to 512; output: the 512-wide embedding (no classifier)}.
     */
    static String describe(VitConfig c) {
        Architecture a = c.architecture();
        List<String> parts = new ArrayList<>();
        parts.add("tokens " + Tokens.layout(c));
        if (a.embedNorm()) {
            parts.add("LayerNorm before the blocks");
        }
        parts.add(switch (a.activation()) {
            case GELU -> "GELU";
            case GELU_TANH -> "tanh GELU";
            case QUICK_GELU -> "quick GELU";
        });
        parts.add(a.finalNormOnPooled() ? "final LayerNorm on the CLS row" : "final LayerNorm on every token");
        parts.add("pooling: " + switch (a.pooling()) {
            case CLS -> "CLS row";
            case CLS_AND_PATCH_MEAN -> "concat(CLS row, mean of the patches)";
            case ATTENTION_PROBE -> "attention pooling with a learned probe";
            case CLS_AND_DISTILLATION -> "CLS and distillation rows";
        });
        if (a.projection() > 0) {
            parts.add("projection to " + a.projection());
        }
        if (a.positionGrid() > 0) {
            parts.add("positions trained for a " + a.positionGrid() + "×" + a.positionGrid() + " grid, resized"
                    + (a.positionAntialias() ? " (antialiased)" : ""));
        }
        parts.add("output: " + switch (a.head()) {
            case LINEAR -> (a.cosineHead() ? "a zero-shot head (cosine similarity) over " : "a linear head over ")
                    + c.classes() + " classes";
            case DISTILLED -> "the mean of two linear heads over " + c.classes() + " classes";
            case NONE -> "the " + c.classes() + "-wide embedding (no classifier)";
        });
        return family(a) + ": " + String.join("; ", parts);
    }

    /**
     * Refuses {@code what} (a flag and its value) on a model without a classifier, as it takes a softmax of the
     * output, saying why and what to do {@code instead}.
     */
    static void refuseSoftmax(VitConfig c, String what, String instead) {
        if (c.architecture().head() == Architecture.Head.NONE) {
            throw new IllegalArgumentException(what + " takes a softmax of the model's output, but this model has no "
                    + "classifier: its output is its " + c.classes() + "-wide embedding, over which a softmax means "
                    + "nothing; " + instead);
        }
    }
}
