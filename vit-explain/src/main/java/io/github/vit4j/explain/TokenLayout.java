package io.github.vit4j.explain;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;

/** A model's token layout in words, for messages: which positions are CLS, the distillation token, registers, patches. */
final class TokenLayout {

    private TokenLayout() {
    }

    /** E.g. "0 is CLS, 1..4 the registers, 5..68 the patches of its 8×8 grid". */
    static String describe(VitConfig c) {
        Architecture a = c.architecture();
        StringBuilder s = new StringBuilder();
        if (a.hasCls()) {
            s.append("0 is CLS, ");
        }
        if (a.tokens() == Architecture.Tokens.CLS_AND_DISTILLATION) {
            s.append("1 the distillation token, ");
        }
        if (a.registers() > 0) {
            s.append(a.firstRegister()).append("..").append(c.prefixTokens() - 1).append(" the registers, ");
        }
        return s.append(c.prefixTokens()).append("..").append(c.tokens() - 1).append(" the patches of its ")
                .append(c.gridHeight()).append("×").append(c.gridWidth()).append(" grid").toString();
    }

    /**
     * The token rows the model's output reads, for the maps that follow a token's row of a token × token matrix
     * (rollout, Chefer's relevance): CLS {@code {0}}; distilled DeiT, whose output averages a head on CLS and one on
     * the distillation token, {@code {0, 1}}; a model without CLS (SigLIP) none: its attention probe reads every
     * token with weights that no block's pattern holds.
     */
    static int[] rowsRead(VitConfig c) {
        Architecture a = c.architecture();
        return !a.hasCls() ? new int[0]
                : a.tokens() == Architecture.Tokens.CLS_AND_DISTILLATION ? new int[] {0, 1} : new int[] {0};
    }

    /** Whether the model has a classifier: without one its output is its embedding, and softmax over it means nothing. */
    static boolean classifies(VitConfig c) {
        return c.architecture().head() != Architecture.Head.NONE;
    }

    /** Refuses a model without classifier for {@code method}, which reads class probabilities. */
    static void requireClassifier(VitConfig c, String method) {
        if (!classifies(c)) {
            throw new IllegalArgumentException(method + " reads class probabilities (a softmax over the output), but"
                    + " this model has no classifier: its output is its " + c.classes() + "-wide embedding"
                    + " (architecture " + c.architecture().pooling() + " pooling, head NONE), over which a softmax"
                    + " means nothing; give the model classes first (a linear head, or zero-shot classes), or use a"
                    + " method that reads one output component as a logit");
        }
    }
}
