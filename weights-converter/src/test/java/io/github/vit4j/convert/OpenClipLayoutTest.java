package io.github.vit4j.convert;

import static io.github.vit4j.convert.FamilyHubModelsTest.assertRuns;
import static io.github.vit4j.convert.FamilyHubModelsTest.assertSameTensors;
import static io.github.vit4j.convert.FamilyHubModelsTest.layerScaled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
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
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * OpenCLIP's files ({@code open_clip_config.json} + {@code open_clip_model.safetensors}, as its Hub repositories hold
 * them): the image tower of {@code visual.*} with q|k|v fused in {@code in_proj_weight}, {@code proj} stored
 * {@code [D, P]} (transposed here), no patch bias; the text tower beside it is not read.
 */
class OpenClipLayoutTest {

    @TempDir
    Path dir;

    static String config(boolean quickGelu, String visionExtra) {
        return "{\"model_cfg\": {\"embed_dim\": 16," + (quickGelu ? " \"quick_gelu\": true," : "")
                + " \"vision_cfg\": {\"image_size\": 64, \"layers\": 2, \"width\": 32, \"head_width\": 16,"
                + " \"patch_size\": 16" + visionExtra + "}, \"text_cfg\": {\"context_length\": 77, \"vocab_size\": 40,"
                + " \"width\": 32, \"heads\": 2, \"layers\": 2}}, \"preprocess_cfg\": {\"mean\": [0.48145466,"
                + " 0.4578275, 0.40821073], \"std\": [0.26862954, 0.26130258, 0.27577711], \"interpolation\":"
                + " \"bicubic\", \"resize_mode\": \"shortest\"}}";
    }

    /** The canonical tensors under OpenCLIP's names, with its text tower's tensors beside them. */
    static Map<String, INDArray> openClip(VitWeights w) {
        Map<String, INDArray> t = w.tensors();
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put("visual.class_embedding", t.get("cls_token"));
        out.put("visual.positional_embedding", t.get("pos_embed"));
        out.put("visual.proj", t.get("proj.weight").transpose().dup('c'));
        out.put("visual.conv1.weight", HuggingFaceStateDicts.conv(w.config(), t.get("patch_embed.proj.weight")));
        out.put("visual.ln_pre.weight", t.get("norm_pre.weight"));
        out.put("visual.ln_pre.bias", t.get("norm_pre.bias"));
        for (int i = 0; i < w.config().layers(); i++) {
            String l = "visual.transformer.resblocks." + i + ".";
            String b = "blocks." + i + ".";
            for (String wb : new String[] {"weight", "bias"}) {
                out.put(l + "ln_1." + wb, t.get(b + "norm1." + wb));
                out.put(l + "attn.in_proj_" + wb, t.get(b + "attn.qkv." + wb));
                out.put(l + "attn.out_proj." + wb, t.get(b + "attn.proj." + wb));
                out.put(l + "ln_2." + wb, t.get(b + "norm2." + wb));
                out.put(l + "mlp.c_fc." + wb, t.get(b + "mlp.fc1." + wb));
                out.put(l + "mlp.c_proj." + wb, t.get(b + "mlp.fc2." + wb));
            }
        }
        out.put("visual.ln_post.weight", t.get("norm.weight"));
        out.put("visual.ln_post.bias", t.get("norm.bias"));
        out.put("token_embedding.weight", Nd4j.rand(DataType.FLOAT, 40, 32));
        out.put("positional_embedding", Nd4j.rand(DataType.FLOAT, 77, 32));
        out.put("transformer.resblocks.0.attn.in_proj_weight", Nd4j.rand(DataType.FLOAT, 96, 32));
        out.put("ln_final.weight", Nd4j.ones(DataType.FLOAT, 32));
        out.put("text_projection", Nd4j.rand(DataType.FLOAT, 32, 16));
        out.put("logit_scale", Nd4j.scalar(4.6052f));
        return out;
    }

    static VitConfig tiny(Activation activation) {
        Architecture a = new Architecture(Tokens.CLS, 0, true, activation, true, Pooling.CLS, 16, Head.NONE, false,
                0, false);
        return new VitConfig(64, 16, 3, 32, 2, 2, 128, 1e-5, VitConfig.numberedLabels(16), a);
    }

    @Test
    void anOpenAiTowerWithQuickGeluLoadsItsVisualTensorsAndTransposedProjection() throws IOException {
        VitConfig c = tiny(Activation.QUICK_GELU);
        VitWeights w = FamilyHubModelsTest.zeroPatchBias(VitWeights.random(c, 12));
        Files.writeString(dir.resolve("open_clip_config.json"), config(true, ""));
        SafetensorsFiles.write(dir.resolve("open_clip_model.safetensors"), openClip(w));
        Pretrained m = ModelLoader.load(dir);
        assertEquals(c, m.config());
        assertEquals(Architecture.clipVision(16), m.config().architecture());
        assertSameTensors(w.tensors(), m.weights().tensors());
        assertArrayEquals(OpenClipConfig.OPENAI_MEAN, m.preprocessing().mean());
        assertEquals(64, m.preprocessing().size());
        assertEquals(Optional.of(Resizing.shortestEdge(64, Resample.BICUBIC)), m.preprocessing().resizing(),
                "OpenCLIP resizes the shortest edge bicubically, then crops the centre");
        assertRuns(m, 16);
    }

    @Test
    void preprocessCfgsInterpolationAndSquashResizeModeAreHonouredAndLongestIsRefused() throws IOException {
        Path file = dir.resolve("open_clip_config.json");
        Files.writeString(file, config(false, "").replace("\"bicubic\"", "\"bilinear\""));
        assertEquals(Resizing.shortestEdge(64, Resample.BILINEAR),
                OpenClipConfig.read(file).preprocessing().resizing);
        Files.writeString(file, config(false, "").replace("\"shortest\"", "\"squash\""));
        assertEquals(Resizing.square(64, Resample.BICUBIC),
                OpenClipConfig.read(file).preprocessing().resizing);
        Files.writeString(file, config(false, "").replace("\"shortest\"", "\"longest\""));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OpenClipConfig.read(file));
        assertTrue(e.getMessage().contains("preprocess_cfg.resize_mode \"longest\" is not supported"),
                e.getMessage());
    }

    @Test
    void anEmbedDimPastTheLimitIsRefusedNamingTheKey() throws IOException {
        Path file = dir.resolve("open_clip_config.json");
        Files.writeString(file, config(false, "").replace("\"embed_dim\": 16", "\"embed_dim\": 100000"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OpenClipConfig.read(file));
        assertTrue(e.getMessage().contains("model_cfg.embed_dim 100000 is not supported"), e.getMessage());
    }

    @Test
    void aLaionTowerRunsExactGeluAndFoldsItsLayerScale() throws IOException {
        VitConfig c = tiny(Activation.GELU);
        VitWeights w = FamilyHubModelsTest.zeroPatchBias(VitWeights.random(c, 13));
        INDArray gamma = Nd4j.linspace(DataType.FLOAT, 0.1, 1.0, 32);
        Map<String, INDArray> tensors = openClip(w);
        for (int i = 0; i < 2; i++) {
            tensors.put("visual.transformer.resblocks." + i + ".ls_1.gamma", gamma);
            tensors.put("visual.transformer.resblocks." + i + ".ls_2.gamma", gamma);
        }
        Files.writeString(dir.resolve("open_clip_config.json"), config(false, ", \"ls_init_value\": 1e-5"));
        SafetensorsFiles.write(dir.resolve("open_clip_model.safetensors"), tensors);
        Pretrained m = ModelLoader.load(dir);
        assertEquals(c, m.config());
        assertSameTensors(layerScaled(w.tensors(), gamma, 2), m.weights().tensors());
    }

    @Test
    void anAttentionalPoolerOrATimmTrunkIsRefusedNamingTheKey() throws IOException {
        Files.writeString(dir.resolve("open_clip_config.json"), config(false, ", \"attentional_pool\": true"));
        SafetensorsFiles.write(dir.resolve("open_clip_model.safetensors"),
                openClip(VitWeights.random(tiny(Activation.GELU), 14)));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir));
        assertTrue(e.getMessage().contains("model_cfg.vision_cfg.attentional_pool true is not supported"),
                e.getMessage());
        Files.writeString(dir.resolve("open_clip_config.json"), config(false, ", \"timm_model_name\": \"eva\""));
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(dir));
        assertTrue(e.getMessage().contains("model_cfg.vision_cfg.timm_model_name \"eva\" is not supported"),
                e.getMessage());
    }
}
