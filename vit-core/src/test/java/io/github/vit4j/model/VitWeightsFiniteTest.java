package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Weights with a NaN or an infinity give NaN logits for every image, so they are refused when built. */
class VitWeightsFiniteTest {

    @Test
    void aNanInOneTensorIsRefusedNamingTheTensorAndWhere() {
        Map<String, INDArray> tensors = new LinkedHashMap<>(VitWeights.random(VitConfig.cifar10(), 1).tensors());
        INDArray fc1 = tensors.get("blocks.2.mlp.fc1.weight").dup();
        fc1.putScalar(new long[] {3, 5}, Float.NaN);
        tensors.put("blocks.2.mlp.fc1.weight", fc1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VitWeights.fromTensors(VitConfig.cifar10(), tensors));

        assertTrue(e.getMessage().startsWith("tensor blocks.2.mlp.fc1.weight [256, 128] holds NaN at [3, 5]"),
                e.getMessage());
    }

    @Test
    void anInfinityInTheHeadIsRefusedByTheConstructorToo() {
        VitWeights w = VitWeights.random(VitConfig.cifar10(), 2);
        INDArray bias = w.head().bias().dup();
        bias.putScalar(7, Float.NEGATIVE_INFINITY);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VitWeights(w.config(),
                w.patchEmbed(), w.clsToken(), w.posEmbed(), w.blocks(), w.norm(),
                new VitWeights.Linear(w.head().weight(), bias)));

        assertTrue(e.getMessage().startsWith("tensor head.bias [10] holds -Infinity at [7]"), e.getMessage());
    }
}
