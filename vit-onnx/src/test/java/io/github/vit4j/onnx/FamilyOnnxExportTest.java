package io.github.vit4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.github.vit4j.SmallFamilies;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every family's forward exported and run in ONNX Runtime (1.22, CPU), on a small model of seeded random weights
 * whose matrices are 5 times larger than {@code VitWeights.random}'s (so that the outputs are not all near 0): the
 * output equals vit4j's within {@code OnnxExportTest}'s 1e-4 absolute, and within 1e-4 of the largest |value|.
 */
class FamilyOnnxExportTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    static Stream<Arguments> families() {
        return SmallFamilies.all();
    }

    private static VitWeights weights(VitConfig c) {
        Map<String, INDArray> t = new java.util.LinkedHashMap<>(VitWeights.random(c, 3).tensors());
        t.replaceAll((name, a) -> name.endsWith(".bias") || name.contains("norm") ? a : a.mul(5));
        return VitWeights.fromTensors(c, t);
    }

    private static INDArray pixels(int batch) {
        SplittableRandom rng = new SplittableRandom(4);
        float[] v = new float[batch * 3 * 8 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, new long[] {batch, 3, 8, 8}, 'c');
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyFamilysExportRunsInOnnxRuntimeWithVit4jsOutput(String name, VitConfig c) throws Exception {
        Pretrained model = new Pretrained(weights(c), Preprocessing.unitRange(8));
        Path file = dir.resolve("model.onnx");
        OnnxExport.write(model, file);
        INDArray x = pixels(3);
        float[][] expected = new Vit(model.weights()).logits(Input.normalized(x)).toFloatMatrix();
        double largest = 0;
        for (float[] row : expected) {
            for (float v : row) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        assertTrue(largest > 0.1, name + ": outputs that are not all near 0: " + largest);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()),
                     x.shape());
             OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            assertEquals(OnnxExport.OUTPUT, session.getOutputNames().iterator().next());
            float[][] actual = (float[][]) result.get(0).getValue();
            assertEquals(3, actual.length);
            for (int i = 0; i < 3; i++) {
                assertEquals(c.classes(), actual[i].length);
                for (int j = 0; j < c.classes(); j++) {
                    assertEquals(expected[i][j], actual[i][j], Math.min(TOLERANCE, TOLERANCE * largest),
                            name + ": image " + i + " output " + j);
                }
            }
        }
    }

    /** The family steps are the operators the issue names: a reader of the graph finds each family's own step. */
    @Test
    void eachFamilysStepIsWrittenWithItsOwnOperators() {
        assertTrue(ops(Architecture.clipVision(6), 6).containsAll(Set.of("Sigmoid", "LayerNormalization")));
        assertTrue(ops(Architecture.siglipVision(), 16).containsAll(Set.of("Tanh", "Pow")));
        assertTrue(ops(Architecture.clipVision(6).withCosineHead(), 3).contains("ReduceL2"));
        assertTrue(ops(Architecture.dinov2Classifier(3, 0), 5).contains("ReduceMean"));
        Set<String> vit = ops(Architecture.VIT, 5);
        assertTrue(vit.contains("Erf") && !vit.contains("Tanh") && !vit.contains("Sigmoid"), vit.toString());
    }

    /** DINOv2 with 3 registers: the constant rows before the patches are CLS + its position, then the registers. */
    @Test
    void theRegistersFollowClsWithoutPositionsInTheTokenTable() {
        VitWeights w = weights(SmallFamilies.small(Architecture.dinov2(3, 0), 16));
        INDArray table = w.tokenTable();                                                          // [8, 16]
        assertArrayEquals(w.clsToken().add(w.posEmbed().getRow(0)).toFloatVector(), table.getRow(0).toFloatVector(),
                0f);
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(w.extras().registers().getRow(r).toFloatVector(), table.getRow(1 + r).toFloatVector(),
                    0f, "register " + r);
        }
        assertArrayEquals(w.posEmbed().getRow(1).toFloatVector(), table.getRow(4).toFloatVector(), 0f, "patch 0");
    }

    private static Set<String> ops(Architecture a, int classes) {
        Onnx.ModelProto m = OnnxExport.modelProto(new Pretrained(weights(SmallFamilies.small(a, classes)),
                Preprocessing.unitRange(8)));
        return m.getGraph().getNodeList().stream().map(Onnx.NodeProto::getOpType).collect(Collectors.toSet());
    }
}
