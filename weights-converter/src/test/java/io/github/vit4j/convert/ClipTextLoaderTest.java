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

    @Test
    void aSiglipConfigWithATextConfigAsGooglesIsRefusedForItsTokenizerNotItsTensors() throws IOException {
        String google = "{\"architectures\": [\"SiglipModel\"], \"initializer_factor\": 1.0,"
                + " \"model_type\": \"siglip\", \"text_config\": {\"hidden_size\": 32, \"intermediate_size\": 64, \"model_type\":"
                + " \"siglip_text_model\", \"num_attention_heads\": 2, \"num_hidden_layers\": 2, \"vocab_size\": 40},"
                + " \"vision_config\": {\"model_type\": \"siglip_vision_model\", \"patch_size\": 16}}";
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(model(google, tensors(2, true))));
        assertTrue(e.getMessage().contains("SentencePiece"), e.getMessage());
    }

    /** OpenCLIP's names for the tensors of {@link #tensors}, under {@code prefix}; q, k, v fused, projection [D, P]. */
    private static Map<String, INDArray> openClip(Map<String, INDArray> hf, String prefix) {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put(prefix + "token_embedding.weight", hf.get("text_model.embeddings.token_embedding.weight"));
        t.put(prefix + "positional_embedding", hf.get("text_model.embeddings.position_embedding.weight"));
        for (int i = 0; hf.containsKey("text_model.encoder.layers." + i + ".mlp.fc1.weight"); i++) {
            String l = "text_model.encoder.layers." + i + ".";
            String o = prefix + "transformer.resblocks." + i + ".";
            for (String wb : new String[] {"weight", "bias"}) {
                t.put(o + "attn.in_proj_" + wb, Nd4j.concat(0, hf.get(l + "self_attn.q_proj." + wb),
                        hf.get(l + "self_attn.k_proj." + wb), hf.get(l + "self_attn.v_proj." + wb)));
                t.put(o + "attn.out_proj." + wb, hf.get(l + "self_attn.out_proj." + wb));
                t.put(o + "ln_1." + wb, hf.get(l + "layer_norm1." + wb));
                t.put(o + "ln_2." + wb, hf.get(l + "layer_norm2." + wb));
                t.put(o + "mlp.c_fc." + wb, hf.get(l + "mlp.fc1." + wb));
                t.put(o + "mlp.c_proj." + wb, hf.get(l + "mlp.fc2." + wb));
            }
        }
        t.put(prefix + "ln_final.weight", hf.get("text_model.final_layer_norm.weight"));
        t.put(prefix + "ln_final.bias", hf.get("text_model.final_layer_norm.bias"));
        t.put(prefix + "text_projection", hf.get("text_projection.weight").transpose().dup('c'));
        t.put(prefix + "attn_mask", Nd4j.zeros(DataType.FLOAT, 5, 5));
        t.put("visual.proj", hf.get("visual_projection.weight").transpose().dup('c'));
        t.put("logit_scale", hf.get("logit_scale"));
        return t;
    }

    /** open_clip_config.json for the stand-in: embed_dim 4, quick GELU, text_cfg as {@link #config}'s. */
    private static String openClipConfig(String extra) {
        return "{\"model_cfg\": {\"embed_dim\": 4, \"quick_gelu\": true, \"vision_cfg\": {\"width\": 6},"
                + " \"text_cfg\": {\"context_length\": 5, \"vocab_size\": 16, \"width\": 8, \"heads\": 2,"
                + " \"layers\": 2, \"mlp_ratio\": 2.0" + extra + "}}, \"preprocess_cfg\": {}}";
    }

    private Path openClipModel(String extra, Map<String, INDArray> tensors) throws IOException {
        Files.writeString(dir.resolve("open_clip_config.json"), openClipConfig(extra));
        SafetensorsFiles.write(dir.resolve("open_clip_model.safetensors"), tensors);
        return dir;
    }

    @Test
    void openClipsNamesGiveTheSameTowerAsHuggingFacesBitForBitAtTheTopOrUnderText() throws IOException {
        Map<String, INDArray> hf = tensors(2, true);
        Path hfDir = Files.createDirectory(dir.resolve("hf"));
        Files.writeString(hfDir.resolve("config.json"), config(2, "quick_gelu"));
        SafetensorsFiles.write(hfDir.resolve("model.safetensors"), hf);
        TextWeights want = ClipTextLoader.load(hfDir);
        for (String prefix : new String[] {"", "text."}) {
            TextWeights got = ClipTextLoader.load(openClipModel("", openClip(hf, prefix)));
            assertEquals(want.config(), got.config(), prefix);
            assertEquals(want.tensors().keySet(), got.tensors().keySet(), prefix);
            want.tensors().forEach((name, a) -> assertEquals(a, got.tensors().get(name), prefix + name));
        }
    }

    @Test
    void anOpenClipTextTowerOfAHuggingFaceModelOrAnUnknownKeyIsRefusedNamingTheKey() throws IOException {
        Map<String, INDArray> open = openClip(tensors(2, true), "");
        ModelFormatException hfModel = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(openClipModel(", \"hf_model_name\": \"xlm-roberta-base\"", open)));
        assertTrue(hfModel.getMessage().contains("model_cfg.text_cfg.hf_model_name \"xlm-roberta-base\" is not"
                + " supported"), hfModel.getMessage());
        ModelFormatException unknown = assertThrows(ModelFormatException.class,
                () -> ClipTextLoader.load(openClipModel(", \"rope\": true", open)));
        assertTrue(unknown.getMessage().contains("model_cfg.text_cfg.rope true"), unknown.getMessage());
    }

    @Test
    void aModelWithALogitBiasIsRefusedForClipsZeroShot() throws IOException {
        Map<String, INDArray> open = openClip(tensors(2, true), "");
        open.put("logit_bias", Nd4j.scalar(-10f));
        VitWeights image = VitWeights.random(new VitConfig(8, 4, 3, 6, 1, 2, 12, 1e-5, VitConfig.numberedLabels(4),
                Architecture.clipVision(4)), 1);
        Path model = openClipModel("", open);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ClipTextLoader.clip(model, image));
        assertTrue(e.getMessage().contains("logit_bias"), e.getMessage());
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex interval(int from, int to) {
        return org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
    }
}
