package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What {@link VitWeights#fromTensors} says about tensors the config does not expect. */
class VitWeightsFromTensorsTest {

    private static final VitConfig CLIP = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(6),
            Architecture.clipVision(6));

    @Test
    void headTensorsGivenWithAHeadlessConfigAreRefusedNamingTheArchitectureNotTheLayerCount() {
        VitConfig withHead = CLIP.withArchitecture(CLIP.architecture().withCosineHead());
        Map<String, INDArray> tensors = new LinkedHashMap<>(VitWeights.random(withHead, 3).tensors());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VitWeights.fromTensors(CLIP, tensors));
        assertTrue(e.getMessage().contains("head.weight") && e.getMessage().contains("has no such part")
                && !e.getMessage().contains("layer count"), e.getMessage());
    }

    @Test
    void aBlockBeyondTheConfigsLayersStillAsksWhetherTheLayerCountIsRight() {
        VitConfig three = new VitConfig(8, 4, 3, 16, 3, 2, 32, 1e-6, VitConfig.numberedLabels(6),
                Architecture.clipVision(6));
        Map<String, INDArray> tensors = VitWeights.random(three, 3).tensors();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VitWeights.fromTensors(CLIP, tensors));
        assertTrue(e.getMessage().contains("blocks.2.") && e.getMessage().contains("layer count"), e.getMessage());
    }
}
