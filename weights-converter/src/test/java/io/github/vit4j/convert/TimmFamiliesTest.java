package io.github.vit4j.convert;

import static io.github.vit4j.convert.FamilyHubModelsTest.assertRuns;
import static io.github.vit4j.convert.FamilyHubModelsTest.assertSameTensors;
import static io.github.vit4j.convert.FamilyHubModelsTest.layerScaled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Architecture.Activation;
import io.github.vit4j.model.Architecture.Head;
import io.github.vit4j.model.Architecture.Pooling;
import io.github.vit4j.model.Architecture.Tokens;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * timm's checkpoints of the same families ({@code model.safetensors} + {@code config.json} as timm's Hub repositories
 * ship them, sizes made tiny through {@code model_args}): the family is read off the model name, the tensors under
 * timm's names and shapes ({@code cls_token [1, 1, D]}, {@code pos_embed [1, T, D]}, {@code ls1.gamma},
 * {@code reg_token}, {@code attn_pool.latent [1, 1, D]}, CLIP's projection in {@code head}) come out as written.
 */
class TimmFamiliesTest {

    @TempDir
    Path dir;

    static final String TINY_ARGS = "\"model_args\": {\"embed_dim\": 32, \"depth\": 2, \"num_heads\": 2}";

    Pretrained load(Map<String, INDArray> tensors, String config) throws IOException {
        Files.writeString(dir.resolve("config.json"), config);
        SafetensorsFiles.write(dir.resolve("model.safetensors"), tensors);
        return ModelLoader.load(dir);
    }

    static String config(String architecture, int numClasses, int inputSize, String extra) {
        return "{\"architecture\": \"" + architecture + "\", \"num_classes\": " + numClasses + ", \"num_features\":"
                + " 32, " + TINY_ARGS + ", " + extra + "\"pretrained_cfg\": {\"custom_load\": false, \"input_size\":"
                + " [3, " + inputSize + ", " + inputSize + "], \"fixed_input_size\": true, \"interpolation\":"
                + " \"bicubic\", \"crop_pct\": 1.0, \"crop_mode\": \"center\", \"mean\": [0.5, 0.5, 0.5], \"std\":"
                + " [0.5, 0.5, 0.5], \"num_classes\": " + numClasses + ", \"pool_size\": null, \"first_conv\":"
                + " \"patch_embed.proj\", \"classifier\": \"head\"}}";
    }

    /** The canonical tensors in timm's shapes: 3-D tokens and positions, 4-D patch convolution. */
    static Map<String, INDArray> timmShapes(VitWeights w) {
        Map<String, INDArray> t = new LinkedHashMap<>(w.tensors());
        t.put("patch_embed.proj.weight", HuggingFaceStateDicts.conv(w.config(), t.get("patch_embed.proj.weight")));
        for (String token : List.of("cls_token", "dist_token", "attn_pool.latent", "pos_embed", "reg_token")) {
            if (t.containsKey(token)) {
                INDArray a = t.get(token);
                t.put(token, a.reshape(1, a.rank() == 1 ? 1 : a.size(0), a.size(a.rank() - 1)));
            }
        }
        return t;
    }

    @Test
    void anOpenAiClipTowerWithQuickGeluReadsItsHeadAsTheProjectionAndHasNoPatchBias() throws IOException {
        Architecture a = new Architecture(Tokens.CLS, 0, true, Activation.QUICK_GELU, true, Pooling.CLS, 16,
                Head.NONE, false, 0, true);
        VitConfig c = new VitConfig(64, 16, 3, 32, 2, 2, 128, 1e-5, VitConfig.numberedLabels(16), a);
        VitWeights w = FamilyHubModelsTest.zeroPatchBias(VitWeights.random(c, 8));
        Map<String, INDArray> t = timmShapes(w);
        t.remove("patch_embed.proj.bias");
        t.put("head.weight", t.remove("proj.weight"));
        t.put("head.bias", Nd4j.zeros(DataType.FLOAT, 16));
        Pretrained m = load(t, config("vit_base_patch16_clip_quickgelu_224.openai", 16, 64, "\"global_pool\":"
                + " \"token\", "));
        assertEquals(c, m.config());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertRuns(m, 16);
    }

    @Test
    void aDinov2WithFourRegistersFoldsLayerScaleAndGivesTheClsTokenAZeroPositionRow() throws IOException {
        VitConfig c = new VitConfig(56, 14, 3, 32, 2, 2, 128, 1e-6, VitConfig.numberedLabels(32),
                Architecture.dinov2(4, 0));
        VitWeights w = VitWeights.random(c, 9);
        INDArray gamma = Nd4j.linspace(DataType.FLOAT, 0.25, 2.0, 32);
        Map<String, INDArray> t = timmShapes(w);
        for (int i = 0; i < 2; i++) {
            t.put("blocks." + i + ".ls1.gamma", gamma);
            t.put("blocks." + i + ".ls2.gamma", gamma);
        }
        INDArray patchPositions = w.posEmbed().get(NDArrayIndex.interval(1, 17), NDArrayIndex.all());
        t.put("pos_embed", patchPositions.reshape(1, 16, 32));      // no_embed_class: the CLS row folded away
        Pretrained m = load(t, config("vit_base_patch14_reg4_dinov2.lvd142m", 0, 56, ""));
        assertEquals(c, m.config());
        Map<String, INDArray> expected = layerScaled(w.tensors(), gamma, 2);
        expected.put("pos_embed", Nd4j.concat(0, Nd4j.zeros(DataType.FLOAT, 1, 32), patchPositions));
        assertSameTensors(expected, m.weights().tensors());
        assertRuns(m, 32);
    }

    @Test
    void aSiglipTowerPoolsWithTimmsAttnPoolAndTimmsExactGelu() throws IOException {
        Architecture a = new Architecture(Tokens.NONE, 0, false, Activation.GELU, false, Pooling.ATTENTION_PROBE, 0,
                Head.NONE, false, 0, true);
        VitConfig c = new VitConfig(64, 16, 3, 32, 2, 2, 128, 1e-6, VitConfig.numberedLabels(32), a);
        VitWeights w = VitWeights.random(c, 10);
        Pretrained m = load(timmShapes(w), config("vit_base_patch16_siglip_224.webli", 0, 64,
                "\"global_pool\": \"map\", "));
        assertEquals(c, m.config());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertRuns(m, 32);
    }

    @Test
    void aDistilledDeitReadsItsDistillationTokenAndSecondHead() throws IOException {
        Architecture a = new Architecture(Tokens.CLS_AND_DISTILLATION, 0, false, Activation.GELU, false,
                Pooling.CLS_AND_DISTILLATION, 0, Head.DISTILLED, false, 0, true);
        VitConfig c = new VitConfig(64, 16, 3, 32, 2, 2, 128, 1e-6, VitConfig.numberedLabels(7), a);
        VitWeights w = VitWeights.random(c, 11);
        Pretrained m = load(timmShapes(w), config("deit_base_distilled_patch16_224.fb_in1k", 7, 64, ""));
        assertEquals(c, m.config());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertRuns(m, 7);
    }

    @Test
    void aClipHeadWithANonZeroBiasIsALinearClassifierNotTheProjection() throws IOException {
        Architecture a = new Architecture(Tokens.CLS, 0, true, Activation.GELU, false, Pooling.CLS, 0, Head.LINEAR,
                false, 0, true);
        VitConfig c = new VitConfig(64, 16, 3, 32, 2, 2, 128, 1e-5, VitConfig.numberedLabels(5), a);
        VitWeights w = FamilyHubModelsTest.zeroPatchBias(VitWeights.random(c, 15));
        Map<String, INDArray> t = timmShapes(w);
        t.remove("patch_embed.proj.bias");
        Pretrained m = load(t, config("vit_base_patch16_clip_224.openai", 5, 64, "\"global_pool\": \"token\", "));
        assertEquals(c, m.config(), "head.bias is not all zeros: a fine-tuned classifier, its bias kept");
        assertSameTensors(w.tensors(), m.weights().tensors());
    }

    @Test
    void aSiglipNameWithRegistersOrTooManyRegistersIsRefusedNamingTheKey() throws IOException {
        Map<String, INDArray> none = Map.of("cls_token", Nd4j.zeros(DataType.FLOAT, 1, 1, 32));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(none,
                "{\"architecture\": \"vit_base_patch16_siglip_reg4_224\"}"));
        assertTrue(e.getMessage().contains("architecture \"vit_base_patch16_siglip_reg4_224\" is not supported"),
                e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> load(none,
                "{\"architecture\": \"vit_base_patch14_dinov2\", \"model_args\": {\"reg_tokens\": 5000}}"));
        assertTrue(e.getMessage().contains("model_args.reg_tokens 5000 is not supported"), e.getMessage());
    }
}
