package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.hub.Hub;
import io.github.vit4j.hub.HubModel;
import io.github.vit4j.hub.HubSettings;
import io.github.vit4j.hub.HubTestServer;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The five Hub repositories the families are known by, as stand-ins on a loopback Hub: each with the real
 * repository's file names and a config.json with the real one's keys (sizes made tiny), seeded random weights under
 * Hugging Face's names, loaded through {@code hf:} ids. The architecture comes out as the preset for that model,
 * the weights as written (DINOv2's layer scale folded: diag(γ)·W), and a forward runs at the processor's crop size.
 */
class FamilyHubModelsTest {

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path dir;

    /** Downloads {@code repo} from a loopback Hub serving {@code files} and loads it. */
    Pretrained load(String repo, Map<String, byte[]> files) throws IOException {
        try (HubTestServer hub = new HubTestServer(repo).commit(COMMIT, files, "main")) {
            HubSettings settings = new HubSettings(hub.endpoint(), dir.resolve("hf-cache"), Optional.empty(), false);
            Path folder = Hub.of(settings).download(HubModel.parse("hf:" + repo), progress -> { });
            return ModelLoader.load(folder, Optional.empty());
        }
    }

    @Test
    void openaisClipVitBase16LoadsItsImageTowerWithTheProjection() throws IOException {
        VitConfig c = tiny(224, 16, 64, Architecture.clipVision(16), 1e-5, VitConfig.numberedLabels(16));
        VitWeights w = zeroPatchBias(VitWeights.random(c, 1));
        Map<String, INDArray> tensors = new LinkedHashMap<>(HuggingFaceStateDicts.clipVision(w));
        tensors.put("text_model.embeddings.token_embedding.weight", Nd4j.rand(DataType.FLOAT, 40, 32));
        tensors.put("text_model.final_layer_norm.weight", Nd4j.ones(DataType.FLOAT, 32));
        tensors.put("text_projection.weight", Nd4j.rand(DataType.FLOAT, 16, 32));
        tensors.put("logit_scale", Nd4j.scalar(2.6592f));
        Map<String, byte[]> repo = files(tensors, "model.safetensors");
        repo.put("config.json", utf8("{\"_name_or_path\": \"openai/clip-vit-base-patch16\", \"architectures\":"
                + " [\"CLIPModel\"], \"initializer_factor\": 1.0, \"logit_scale_init_value\": 2.6592, \"model_type\":"
                + " \"clip\", \"projection_dim\": 16, \"text_config\": {\"hidden_size\": 32, \"intermediate_size\":"
                + " 64, \"num_attention_heads\": 2, \"num_hidden_layers\": 2, \"projection_dim\": 16,"
                + " \"model_type\": \"clip_text_model\"}, \"text_config_dict\": {\"hidden_act\": \"quick_gelu\","
                + " \"projection_dim\": 16}, \"torch_dtype\": \"float32\", \"transformers_version\": null,"
                + " \"vision_config\": {\"dropout\": 0.0, \"hidden_act\": \"quick_gelu\", \"hidden_size\": 32,"
                + " \"image_size\": 224, \"intermediate_size\": 64, \"layer_norm_eps\": 1e-05, \"model_type\":"
                + " \"clip_vision_model\", \"num_attention_heads\": 2, \"num_hidden_layers\": 2, \"patch_size\": 16,"
                + " \"projection_dim\": 16}, \"vision_config_dict\": {\"hidden_act\": \"quick_gelu\","
                + " \"patch_size\": 16, \"projection_dim\": 16}}"));
        repo.put("preprocessor_config.json", utf8("{\"crop_size\": 224, \"do_center_crop\": true, \"do_normalize\":"
                + " true, \"do_resize\": true, \"feature_extractor_type\": \"CLIPFeatureExtractor\", \"image_mean\":"
                + " [0.48145466, 0.4578275, 0.40821073], \"image_std\": [0.26862954, 0.26130258, 0.27577711],"
                + " \"resample\": 3, \"size\": 224}"));
        for (String name : List.of("merges.txt", "vocab.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "README.md")) {
            repo.put(name, utf8("stand-in " + name));
        }
        Pretrained m = load("openai/clip-vit-base-patch16", repo);
        assertEquals(c, m.config());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertEquals(224, m.preprocessing().size());
        assertRuns(m, 16);
    }

    @Test
    void facebooksDinov2BaseLoadsWithLayerScaleFoldedAndItsPositionsForA37GridRunAt224() throws IOException {
        Pretrained m = loadDinov2("facebook/dinov2-base", 0, "Dinov2Model", "dinov2", "");
        assertEquals(Architecture.dinov2(0, 37), m.config().architecture());
        assertEquals(224, m.config().imageSize());
    }

    @Test
    void facebooksDinov2WithRegistersBaseLoadsItsFourRegistersAndAntialiasedResize() throws IOException {
        Pretrained m = loadDinov2("facebook/dinov2-with-registers-base", 4, "Dinov2WithRegistersModel",
                "dinov2_with_registers", " \"interpolate_antialias\": true, \"interpolate_offset\": 0.0,"
                        + " \"num_register_tokens\": 4, \"out_features\": [\"stage2\"], \"out_indices\": [2],");
        assertEquals(Architecture.dinov2(4, 37), m.config().architecture());
        assertTrue(m.config().architecture().positionAntialias());
    }

    /**
     * A DINOv2 repository (518/14, BitImageProcessor cropping 224) with {@code registers}, loaded: its config is the
     * trained one at 224, its weights as written with layer scale folded, and a forward runs.
     */
    Pretrained loadDinov2(String name, int registers, String architecture, String modelType, String extra)
            throws IOException {
        INDArray gamma = Nd4j.linspace(DataType.FLOAT, 0.5, 1.5, 32);
        VitConfig trained = tiny(518, 14, 128, Architecture.dinov2(registers, 0), 1e-6,
                VitConfig.numberedLabels(32));
        VitWeights w = VitWeights.random(trained, 2 + registers);
        Map<String, byte[]> repo = files(HuggingFaceStateDicts.dinov2(w, gamma), "model.safetensors");
        repo.put("config.json", utf8(dinov2Config(architecture, modelType, extra)));
        repo.put("preprocessor_config.json", utf8(BIT_PROCESSOR));
        repo.put("README.md", utf8("# " + name));
        Pretrained m = load(name, repo);
        assertEquals(trained.withImageSize(224), m.config());
        assertSameTensors(layerScaled(w.tensors(), gamma, 2), m.weights().tensors());
        assertRuns(m, 32);
        return m;
    }

    @Test
    void googlesSiglipBase16LoadsTheImageTowerOfTheWholeModelWithItsProbeSplitIntoQAndKv() throws IOException {
        VitConfig c = tiny(224, 16, 64, Architecture.siglipVision(), 1e-6, VitConfig.numberedLabels(32));
        VitWeights w = VitWeights.random(c, 4);
        Map<String, INDArray> tensors = new LinkedHashMap<>(HuggingFaceStateDicts.siglipVision(w));
        tensors.put("text_model.embeddings.token_embedding.weight", Nd4j.rand(DataType.FLOAT, 40, 32));
        tensors.put("text_model.head.weight", Nd4j.rand(DataType.FLOAT, 32, 32));
        tensors.put("logit_scale", Nd4j.rand(DataType.FLOAT, 1));
        tensors.put("logit_bias", Nd4j.rand(DataType.FLOAT, 1));
        Map<String, byte[]> repo = files(tensors, "model.safetensors");
        repo.put("config.json", utf8("{\"architectures\": [\"SiglipModel\"], \"initializer_factor\": 1.0,"
                + " \"model_type\": \"siglip\", \"text_config\": {\"hidden_size\": 32, \"intermediate_size\": 64,"
                + " \"model_type\": \"siglip_text_model\", \"num_attention_heads\": 2, \"num_hidden_layers\": 2,"
                + " \"vocab_size\": 40}, \"torch_dtype\": \"float32\", \"transformers_version\": \"4.37.0.dev0\","
                + " \"vision_config\": {\"hidden_size\": 32, \"intermediate_size\": 64, \"model_type\":"
                + " \"siglip_vision_model\", \"num_attention_heads\": 2, \"num_hidden_layers\": 2,"
                + " \"patch_size\": 16}}"));
        repo.put("preprocessor_config.json", utf8("{\"do_normalize\": true, \"do_rescale\": true, \"do_resize\":"
                + " true, \"image_mean\": [0.5, 0.5, 0.5], \"image_processor_type\": \"SiglipImageProcessor\","
                + " \"image_std\": [0.5, 0.5, 0.5], \"processor_class\": \"SiglipProcessor\", \"resample\": 3,"
                + " \"rescale_factor\": 0.00392156862745098, \"size\": {\"height\": 224, \"width\": 224}}"));
        for (String name : List.of("special_tokens_map.json", "spiece.model", "tokenizer_config.json", "README.md")) {
            repo.put(name, utf8("stand-in " + name));
        }
        Pretrained m = load("google/siglip-base-patch16-224", repo);
        assertEquals(c, m.config());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertRuns(m, 32);
    }

    @Test
    void facebooksDistilledDeitBaseLoadsBothHeadsAndItsLabelsFromPyTorchWeights() throws Exception {
        List<String> labels = List.of("tench", "goldfish", "great white shark", "tiger shark", "hammerhead");
        VitConfig c = tiny(224, 16, 64, Architecture.deitDistilled(), 1e-12, labels);
        VitWeights w = VitWeights.random(c, 5);
        Path bin = dir.resolve("pytorch_model.bin");
        TorchCheckpoints.write(bin, HuggingFaceStateDicts.deitDistilled(w));
        Map<String, byte[]> repo = new LinkedHashMap<>();
        repo.put("pytorch_model.bin", Files.readAllBytes(bin));
        StringBuilder id2label = new StringBuilder();
        StringBuilder label2id = new StringBuilder();
        for (int i = 0; i < labels.size(); i++) {
            id2label.append(i == 0 ? "" : ", ").append('"').append(i).append("\": \"").append(labels.get(i)).append('"');
            label2id.append(i == 0 ? "" : ", ").append('"').append(labels.get(i)).append("\": ").append(i);
        }
        repo.put("config.json", utf8("{\"architectures\": [\"DeiTForImageClassificationWithTeacher\"],"
                + " \"attention_probs_dropout_prob\": 0.0, \"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.0,"
                + " \"hidden_size\": 32, \"id2label\": {" + id2label + "}, \"image_size\": 224,"
                + " \"initializer_range\": 0.02, \"intermediate_size\": 64, \"label2id\": {" + label2id + "},"
                + " \"layer_norm_eps\": 1e-12, \"model_type\": \"deit\", \"num_attention_heads\": 2,"
                + " \"num_channels\": 3, \"num_hidden_layers\": 2, \"patch_size\": 16, \"qkv_bias\": true,"
                + " \"torch_dtype\": \"float32\", \"transformers_version\": \"4.13.0.dev0\"}"));
        repo.put("preprocessor_config.json", utf8("{\"crop_size\": 224, \"do_center_crop\": true, \"do_normalize\":"
                + " true, \"do_resize\": true, \"feature_extractor_type\": \"DeiTFeatureExtractor\", \"image_mean\":"
                + " [0.485, 0.456, 0.406], \"image_std\": [0.229, 0.224, 0.225], \"resample\": 3, \"size\": 256}"));
        repo.put("tf_model.h5", utf8("not read"));
        repo.put("README.md", utf8("# DeiT distilled"));
        Pretrained m = load("facebook/deit-base-distilled-patch16-224", repo);
        assertEquals(c, m.config());
        assertEquals("hammerhead", m.config().labels().get(4));
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertRuns(m, 5);
    }

    @Test
    void aSwinRepositoryIsRefusedNamingItsModelType() throws IOException {
        Map<String, byte[]> repo = files(Map.of("embeddings.norm.weight", Nd4j.ones(DataType.FLOAT, 4)),
                "model.safetensors");
        repo.put("config.json", utf8("{\"architectures\": [\"SwinForImageClassification\"], \"model_type\":"
                + " \"swin\", \"embed_dim\": 96, \"depths\": [2, 2, 6, 2]}"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> load("microsoft/swin-tiny-patch4-window7-224", repo));
        assertTrue(e.getMessage().contains("model_type \"swin\" is not supported"), e.getMessage());
    }

    @Test
    void dinov2WithTheSwiGluMlpIsRefusedNamingTheKey() throws IOException {
        VitWeights w = VitWeights.random(tiny(518, 14, 128, Architecture.dinov2(0, 0), 1e-6,
                VitConfig.numberedLabels(32)), 6);
        Map<String, byte[]> repo = files(HuggingFaceStateDicts.dinov2(w, Nd4j.ones(DataType.FLOAT, 32)),
                "model.safetensors");
        repo.put("config.json", utf8(dinov2Config("Dinov2Model", "dinov2", "").replace(
                "\"use_swiglu_ffn\": false", "\"use_swiglu_ffn\": true")));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load("facebook/dinov2-giant", repo));
        assertTrue(e.getMessage().contains("use_swiglu_ffn true is not supported"), e.getMessage());
    }

    static final String BIT_PROCESSOR = "{\"crop_size\": {\"height\": 224, \"width\": 224}, \"do_center_crop\": true,"
            + " \"do_convert_rgb\": true, \"do_normalize\": true, \"do_rescale\": true, \"do_resize\": true,"
            + " \"image_mean\": [0.485, 0.456, 0.406], \"image_processor_type\": \"BitImageProcessor\","
            + " \"image_std\": [0.229, 0.224, 0.225], \"resample\": 3, \"rescale_factor\": 0.00392156862745098,"
            + " \"size\": {\"shortest_edge\": 256}}";

    static String dinov2Config(String architecture, String modelType, String extra) {
        return "{\"architectures\": [\"" + architecture + "\"], \"attention_probs_dropout_prob\": 0.0,"
                + " \"drop_path_rate\": 0.0, \"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.0,"
                + " \"hidden_size\": 32, \"image_size\": 518, \"initializer_range\": 0.02," + extra
                + " \"layer_norm_eps\": 1e-06, \"layerscale_value\": 1.0, \"mlp_ratio\": 4, \"model_type\": \""
                + modelType + "\", \"num_attention_heads\": 2, \"num_channels\": 3, \"num_hidden_layers\": 2,"
                + " \"patch_size\": 14, \"qkv_bias\": true, \"torch_dtype\": \"float32\", \"transformers_version\":"
                + " \"4.31.0.dev0\", \"use_swiglu_ffn\": false}";
    }

    /** Width 32, 2 layers of 2 heads, 3 channels. */
    static VitConfig tiny(int image, int patch, int mlp, Architecture a, double eps, List<String> labels) {
        return new VitConfig(image, patch, 3, 32, 2, 2, mlp, eps, labels, a);
    }

    /** CLIP's patch convolution has no bias: the loader's is zero. */
    static VitWeights zeroPatchBias(VitWeights w) {
        Map<String, INDArray> t = new LinkedHashMap<>(w.tensors());
        t.put("patch_embed.proj.bias", Nd4j.zeros(DataType.FLOAT, w.config().hiddenSize()));
        return VitWeights.fromTensors(w.config(), t);
    }

    /** The tensors with attn.proj and mlp.fc2 (weights and biases) of each block scaled row by row by γ. */
    static Map<String, INDArray> layerScaled(Map<String, INDArray> tensors, INDArray gamma, int layers) {
        Map<String, INDArray> t = new LinkedHashMap<>(tensors);
        for (int i = 0; i < layers; i++) {
            for (String name : List.of("attn.proj.weight", "attn.proj.bias", "mlp.fc2.weight", "mlp.fc2.bias")) {
                INDArray a = t.get("blocks." + i + "." + name);
                INDArray matrix = a.reshape('c', a.size(0), a.length() / a.size(0));
                t.put("blocks." + i + "." + name, matrix.mulColumnVector(gamma.reshape(a.size(0), 1))
                        .reshape(a.shape()));
            }
        }
        return t;
    }

    static void assertSameTensors(Map<String, INDArray> expected, Map<String, INDArray> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, a) -> assertArrayEquals(a.dup('c').data().asFloat(),
                actual.get(name).dup('c').data().asFloat(), name));
    }

    /** A forward of one image at the model's input size gives {@code outputs} finite numbers. */
    static void assertRuns(Pretrained m, int outputs) {
        int size = m.preprocessing().size();
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, size, size).subi(0.5);
        INDArray logits = new Vit(m.weights()).logits(Input.normalized(x));
        assertArrayEquals(new long[] {1, outputs}, logits.shape());
        assertTrue(java.util.Arrays.stream(logits.toDoubleVector()).allMatch(Double::isFinite), logits.toString());
    }

    Map<String, byte[]> files(Map<String, INDArray> tensors, String name) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(name, Files.readAllBytes(SafetensorsFiles.write(dir.resolve(name), tensors)));
        return files;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
