package io.github.vit4j;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Small random models of every family preset, for the other modules' tests that run a feature on each family (the
 * pattern of vit-core's {@code FamilyPresetsTest}): image 8, patch 4 (a 2×2 grid), width 16, 2 layers of 2 heads,
 * MLP 32, eps 1e-6. Weights come from {@code VitWeights.random(config, seed)}.
 */
public final class SmallFamilies {

    private SmallFamilies() {
    }

    /** A small model of architecture {@code a} with {@code classes} outputs (the embedding's width without a head). */
    public static VitConfig small(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
    }

    /**
     * (name, config) of each family: CLIP's image tower (projection 6, no classifier) and with three zero-shot
     * classes (cosine head), DINOv2 (no classifier), DINOv2 with 3 registers and its classifier on
     * concat(CLS, patch mean), DINOv2 with 2 registers and no classifier, SigLIP's image tower (no CLS, attention
     * pooling), distilled DeiT (two heads).
     */
    public static Stream<Arguments> all() {
        return Stream.of(
                Arguments.of("clip vision", small(Architecture.clipVision(6), 6)),
                Arguments.of("clip zero-shot", small(Architecture.clipVision(6).withCosineHead(), 3)),
                Arguments.of("dinov2", small(Architecture.dinov2(0, 0), 16)),
                Arguments.of("dinov2 registers classifier", small(Architecture.dinov2Classifier(3, 0), 5)),
                Arguments.of("dinov2 registers", small(Architecture.dinov2(2, 0), 16)),
                Arguments.of("siglip", small(Architecture.siglipVision(), 16)),
                Arguments.of("deit distilled", small(Architecture.deitDistilled(), 5)));
    }
}
