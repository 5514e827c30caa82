package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.TextConfig;
import io.github.vit4j.model.TextWeights;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Loading CLIP's text tower from Hugging Face's names, on small stand-ins written here: q, k and v fused in that
 * order, the config's sizes and defaults, and each kind of mismatch refused naming the file and the key or tensor.
 */
class ClipTextLoaderTest {

    @TempDir
    Path dir;

    /** A text config.json of a CLIPModel: vocabulary 16, 5 positions, width 8, 2 heads, MLP 16, end-of-text 15. */
    private static String config(int layers, String act) {
        return "{\"architectures\": [\"CLIPModel\"], \"model_type\": \"clip\", \"projection_dim\": 4, \"text_config\":"
                + " {\"vocab_size\": 16, \"max_position_embeddings\": 5, \"hidden_size\": 8, \"num_hidden_layers\": "
                + layers + ", \"num_attention_heads\": 2, \"intermediate_size\": 16, \"hidden_act\": \"" + act
                + "\", \"eos_token_id\": 15}}";
    }

    /** Hugging Face's text tensors for {@code layers} layers, seeded, plus a vision tensor and logit_scale. */
    private static Map<String, INDArray> tensors(int layers, boolean logitScale) {
        SplittableRandom rng = new SplittableRandom(5);
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("text_model.embeddings.token_embedding.weight", random(rng, 16, 8));
        t.put("text_model.embeddings.position_embedding.weight", random(rng, 5, 8));
        t.put("text_model.embeddings.position_ids", Nd4j.arange(5).castTo(DataType.FLOAT).reshape(1, 5));
        for (int i = 0; i < layers; i++) {
            String l = "text_model.encoder.layers." + i + ".";
            for (String p : new String[] {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                    "self_attn.out_proj"}) {
                t.put(l + p + ".weight", random(rng, 8, 8));
                t.put(l + p + ".bias", random(rng, 8));
            }
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                t.put(l + n + ".weight", random(rng, 8));
                t.put(l + n + ".bias", random(rng, 8));
            }
            t.put(l + "mlp.fc1.weight", random(rng, 16, 8));
            t.put(l + "mlp.fc1.bias", random(rng, 16));
            t.put(l + "mlp.fc2.weight", random(rng, 8, 16));
            t.put(l + "mlp.fc2.bias", random(rng, 8));
        }
        t.put("text_model.final_layer_norm.weight", random(rng, 8));
        t.put("text_model.final_layer_norm.bias", random(rng, 8));
        t.put("text_projection.weight", random(rng, 4, 8));
        t.put("visual_projection.weight", random(rng, 4, 6));
        if (logitScale) {
            t.put("logit_scale", Nd4j.scalar(4.6052f));
        }
        return t;
    }

    private static INDArray random(SplittableRandom rng, long... shape) {
        INDArray a = Nd4j.create(DataType.FLOAT, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, rng.nextGaussian());
        }
        return a;
    }

    private Path model(String config, Map<String, INDArray> tensors) throws IOException {
        Files.writeString(dir.resolve("config.json"), config);
        SafetensorsFiles.write(dir.resolve("model.safetensors"), tensors);
        return dir;
    }

    @Test
    void huggingFacesQueryKeyAndValueAreFusedInThatOrderAndEveryOtherTensorKeepsItsPlace() throws IOException {
        Map<String, INDArray> hf = tensors(2, true);
        TextWeights w = ClipTextLoader.load(model(config(2, "quick_gelu"), hf));
        assertEquals(new TextConfig(16, 5, 8, 2, 2, 16, 1e-5, Architecture.Activation.QUICK_GELU, 4, 15), w.config());
        INDArray qkv = w.blocks().get(1).qkv().weight();                                         // [24, 8]
        String l = "text_model.encoder.layers.1.self_attn.";
        assertEquals(hf.get(l + "q_proj.weight"), qkv.get(interval(0, 8)));
        assertEquals(hf.get(l + "k_proj.weight"), qkv.get(interval(8, 16)));
        assertEquals(hf.get(l + "v_proj.weight"), qkv.get(interval(16, 24)));
        assertEquals(hf.get(l + "v_proj.bias"), w.blocks().get(1).qkv().bias().get(interval(16, 24)));
        assertEquals(hf.get("text_model.embeddings.token_embedding.weight"), w.tokenEmbedding());
        assertEquals(hf.get("text_model.final_layer_norm.bias"), w.norm().bias());
        assertEquals(hf.get("text_projection.weight"), w.projection());
    }

    @Test
    void aWholeClipTakesItsLogitScaleAndATextModelAloneIsRefusedForZeroShot() throws IOException {
        VitWeights image = VitWeights.random(new VitConfig(8, 4, 3, 6, 1, 2, 12, 1e-5, VitConfig.numberedLabels(4),
                Architecture.clipVision(4)), 1);
        assertEquals(4.6052, ClipTextLoader.clip(model(config(1, "quick_gelu"), tensors(1, true)), image)
                .logitScale(), 1e-6);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.clip(model(config(1, "quick_gelu"), tensors(1, false)), image));
        assertTrue(e.getMessage().contains("has no tensor logit_scale"), e.getMessage());
    }

    @Test
    void aConfigWithMoreLayersThanTheFileNamesTheFirstMissingTensor() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model(config(3, "quick_gelu"), tensors(2, true))));
        assertTrue(e.getMessage().contains("has no tensor text_model.encoder.layers.2.layer_norm1.weight"),
                e.getMessage());
    }

    @Test
    void aConfigWithFewerLayersThanTheFileNamesTheUnusedTensors() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model(config(1, "quick_gelu"), tensors(2, true))));
        assertTrue(e.getMessage().contains("text tensors the tower does not use: [text_model.encoder.layers.1."),
                e.getMessage());
    }

    @Test
    void aWidthTheConfigDoesNotStateIsRefusedWithBothShapes() throws IOException {
        String wide = config(2, "quick_gelu").replace("\"hidden_size\": 8", "\"hidden_size\": 16");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model(wide, tensors(2, true))));
        assertTrue(e.getMessage().contains("expected text_model.embeddings.token_embedding.weight [16, 16] but the"
                + " file has [16, 8]"), e.getMessage());
    }

    @Test
    void anActivationVitDoesNotRunAndSiglipsTextTowerAreRefusedNamingTheKey() throws IOException {
        ModelFormatException act = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model(config(2, "relu"), tensors(2, true))));
        assertTrue(act.getMessage().contains("text_config.hidden_act \"relu\" is not supported"), act.getMessage());
        ModelFormatException siglip = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model("{\"model_type\": \"siglip\"}", tensors(2, true))));
        assertTrue(siglip.getMessage().contains("SentencePiece"), siglip.getMessage());
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex interval(int from, int to) {
        return org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
    }
}
