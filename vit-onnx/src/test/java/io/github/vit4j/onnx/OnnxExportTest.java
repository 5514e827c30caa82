package io.github.vit4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exported models run in ONNX Runtime (1.22, CPU) and give vit4j's logits: within 1e-4 (absolute, float32 both;
 * observed at most 7.7e-6 here, DeiT-tiny's largest; different summation orders).
 */
class OnnxExportTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    @Test
    void theCifar10ModelRunsInOnnxRuntimeWithVit4jsLogits() throws Exception {
        assertSameLogits(ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf")), 0, 8);
    }

    @Test
    void deitTinyRunsInOnnxRuntimeWithVit4jsLogitsAt224Pixels() throws Exception {
        assertSameLogits(ModelLoader.load(SharedAssets.resolve("models/deit-tiny-imagenet/hf")), 3, 2);
    }

    @Test
    void theBatchSizeIsFreeAndTheSameModelGivesTheSameBytes() throws Exception {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        assertSameLogits(model, 5, 1);
        assertSameLogits(model, 9, 3);
        assertArrayEquals(OnnxExport.toBytes(model), OnnxExport.toBytes(model));
    }

    @Test
    void theGraphDeclaresOpset17PixelsInLogitsOutAndCarriesLabelsAndPreprocessing() throws Exception {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        Path file = dir.resolve("cifar.onnx");
        OnnxExport.write(model, file);
        Onnx.ModelProto m = Onnx.ModelProto.parseFrom(Files.readAllBytes(file));
        assertEquals(17, m.getOpsetImport(0).getVersion());
        assertEquals(OnnxExport.INPUT, m.getGraph().getInput(0).getName());
        assertEquals(OnnxExport.OUTPUT, m.getGraph().getOutput(0).getName());
        Map<String, String> meta = new java.util.HashMap<>();
        m.getMetadataPropsList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        assertEquals(model.config().labels(), labels(meta.get(OnnxExport.LABELS)));
        assertTrue(meta.get("vit4j.preprocessing").startsWith("size=32;"), meta.get("vit4j.preprocessing"));
        assertEquals(model.preprocessing().roundResized(), meta.get("vit4j.preprocessing").endsWith(
                ";roundResized=true"), meta.get("vit4j.preprocessing"));
    }

    @Test
    void labelsWithLineBreaksCommasQuotesAndBackslashesReadBackExactlyFromTheMetadata() throws Exception {
        List<String> names = List.of("air\nplane", "auto\r\nmobile", "bird, small", "\"cat\"", "de\\er", "", " dog ",
                "frog\u2028", "horse\u0000\u001b[2J", "truck 🚚");
        Pretrained model = new Pretrained(VitWeights.random(VitConfig.cifar10().withLabels(names), 1),
                Preprocessing.cifar10());
        Path file = dir.resolve("labels.onnx");
        OnnxExport.write(model, file);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
            String value = session.getMetadata().getCustomMetadata().get(OnnxExport.LABELS);
            assertEquals(names, labels(value), value);
            assertTrue(value.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), "printable ASCII: " + value);
        }
    }

    /** The class names of the metadata's JSON array. */
    private static List<String> labels(String json) throws IOException {
        return new ObjectMapper().readValue(json, new TypeReference<List<String>>() { });
    }

    /** Images {@code from .. from + count − 1} of the CIFAR-10 test set through vit4j and through ONNX Runtime. */
    private void assertSameLogits(Pretrained model, int from, int count) throws IOException, OrtException {
        Path file = dir.resolve("model-" + from + ".onnx");
        OnnxExport.write(model, file);
        ImageSource images = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        ImageSource.Batch batch = images.read(from, count, model.preprocessing());
        INDArray x = model.preprocessing().normalize(batch.pixels());
        float[][] expected = new Vit(model.weights()).logits(batch.input()).toFloatMatrix();

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.dup('c').data().asFloat()),
                     x.shape());
             OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            float[][] actual = (float[][]) result.get(0).getValue();
            assertEquals(count, actual.length);
            for (int i = 0; i < count; i++) {
                for (int j = 0; j < expected[i].length; j++) {
                    assertEquals(expected[i][j], actual[i][j], TOLERANCE, "image " + (from + i) + " class " + j);
                }
            }
        }
    }
}
