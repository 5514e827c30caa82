package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The architectures of a family that differ only in their config's {@code architectures}. */
class HuggingFaceFamiliesTest {

    @TempDir
    Path dir;

    @Test
    void aClipVisionModelWithoutProjectionOutputsItsPooledClsRow() throws IOException {
        Path shared = SharedAssets.resolve("models/families/clip-vision-tiny");
        Pretrained withProjection = ModelLoader.load(shared);
        Map<String, INDArray> tensors = new LinkedHashMap<>(HuggingFaceStateDicts.clipVision(withProjection.weights()));
        tensors.remove("visual_projection.weight");
        SafetensorsFiles.write(dir.resolve("model.safetensors"), tensors);
        Files.writeString(dir.resolve("config.json"), Files.readString(shared.resolve("config.json"))
                .replace("CLIPVisionModelWithProjection", "CLIPVisionModel"));
        Files.copy(shared.resolve("preprocessor_config.json"), dir.resolve("preprocessor_config.json"));

        Pretrained pooledOnly = ModelLoader.load(dir);
        assertEquals(new Architecture(Architecture.Tokens.CLS, 0, true, Architecture.Activation.QUICK_GELU, true,
                Architecture.Pooling.CLS, 0, Architecture.Head.NONE, false, 0, false),
                pooledOnly.config().architecture());
        assertEquals(64, pooledOnly.config().classes(), "the output is the 64-wide pooled vector");
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 224, 224).subi(0.5);
        try (Activations full = new Vit(withProjection.weights()).run(Input.normalized(x), Keep.all())) {
            INDArray output = new Vit(pooledOnly.weights()).logits(Input.normalized(x));
            assertArrayEquals(full.get(Site.pooled()).dup().data().asFloat(), output.dup().data().asFloat());
        }
    }

    @Test
    void theDinov2ClassifierWithRegistersIsReadUnderItsPrefixAndAPlainDeitClassifierIsAVit() throws IOException {
        Path config = Files.writeString(dir.resolve("config.json"), "{\"architectures\":"
                + " [\"Dinov2WithRegistersForImageClassification\"], \"model_type\": \"dinov2_with_registers\","
                + " \"hidden_size\": 32, \"num_attention_heads\": 2, \"num_hidden_layers\": 2, \"image_size\": 518,"
                + " \"id2label\": {\"0\": \"cat\", \"1\": \"dog\"}}");
        PartialConfig dinov2 = ConfigFiles.read(config).config();
        assertEquals(Architecture.dinov2Classifier(4, 0), dinov2.architecture);
        assertEquals(java.util.List.of("cat", "dog"), dinov2.labels);
        assertEquals("dinov2_with_registers.encoder.layer.3.norm1.weight",
                dinov2.layout.sources("blocks.3.norm1.weight").get(0));
        assertEquals(128, dinov2.mlpSize, "Dinov2Config: int(hidden_size * mlp_ratio 4)");

        Files.writeString(config, "{\"architectures\": [\"DeiTForImageClassification\"], \"model_type\": \"deit\"}");
        PartialConfig deit = ConfigFiles.read(config).config();
        assertEquals(Architecture.VIT, deit.architecture);
        assertEquals("deit.encoder.layer.0.attention.attention.query.weight",
                deit.layout.sources("blocks.0.attn.qkv.weight").get(0));
        assertEquals("classifier.weight", deit.layout.sources("head.weight").get(0));
        assertEquals(1e-12, deit.layerNormEps);
        assertNull(deit.labels);
    }

    @Test
    void registerAndProjectionCountsPastTheLimitsAreRefusedNamingTheKey() throws IOException {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"model_type\": \"dinov2_with_registers\", \"num_register_tokens\": 5000}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConfigFiles.read(config));
        assertTrue(e.getMessage().contains("num_register_tokens 5000 is not supported"), e.getMessage());
        Files.writeString(config, "{\"model_type\": \"clip\", \"projection_dim\": -1}");
        e = assertThrows(ModelFormatException.class, () -> ConfigFiles.read(config));
        assertTrue(e.getMessage().contains("projection_dim -1 is not supported"), e.getMessage());
    }
}
