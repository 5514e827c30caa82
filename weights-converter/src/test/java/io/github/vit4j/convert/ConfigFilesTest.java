package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.VitConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {

    @TempDir
    Path dir;

    @Test
    void huggingFaceConfigOfTheCifarModelGivesItsArchitecture() throws IOException {
        ConfigFiles.Read read = ConfigFiles.read(SharedAssets.resolve("models/simplevit-cifar10/hf/config.json"));
        assertEquals(ConfigFiles.Kind.HUGGING_FACE, read.kind());
        PartialConfig c = read.config();
        VitConfig cifar = VitConfig.cifar10();
        assertEquals(cifar, new VitConfig(c.imageSize, c.patchSize, c.channels, c.hiddenSize, c.layers, c.heads,
                c.mlpSize, c.layerNormEps, c.labels));
    }

    @Test
    void timmConfigOfDeitTinyGivesItsArchitectureLabelsAndNormalisation() throws IOException {
        ConfigFiles.Read read = ConfigFiles.read(SharedAssets.resolve("models/deit-tiny-imagenet/timm/config.json"));
        assertEquals(ConfigFiles.Kind.TIMM, read.kind());
        PartialConfig c = read.config();
        VitConfig config = new VitConfig(c.imageSize, c.patchSize, c.channels, c.hiddenSize, c.layers, c.heads,
                c.mlpSize, c.layerNormEps, c.labels);
        assertEquals(VitConfig.deitTiny().withLabels(config.labels()), config);
        assertEquals(1e-6, config.layerNormEps());
        assertEquals("tench, Tinca tinca", config.labels().get(0));
        assertArrayEquals(new double[] {0.485, 0.456, 0.406}, read.preprocessing().mean);
        assertArrayEquals(new double[] {0.229, 0.224, 0.225}, read.preprocessing().std);
    }

    @Test
    void timmArchitectureNameFillsInMissingModelArgs() throws IOException {
        Path file = json("config.json", "{\"architecture\": \"vit_base_patch16_224.augreg2_in21k_ft_in1k\","
                + " \"num_classes\": 1000, \"global_pool\": \"token\"}");
        PartialConfig c = ConfigFiles.read(file).config();
        assertEquals(List.of(224, 16, 768, 12, 12, 3072), List.of(c.imageSize, c.patchSize, c.hiddenSize, c.layers,
                c.heads, c.mlpSize));
        assertEquals(1000, c.labels.size());
    }

    @Test
    void huggingFacePreprocessorConfigGivesSizeRescaleMeanAndStd() throws IOException {
        PartialPreprocessing p = ConfigFiles.huggingFacePreprocessor(
                SharedAssets.resolve("models/simplevit-cifar10/hf/preprocessor_config.json"));
        assertEquals(32, p.size);
        assertEquals(1 / 255.0, p.rescaleFactor);
        assertArrayEquals(new double[] {0.4914, 0.4822, 0.4465}, p.mean);
        assertArrayEquals(new double[] {0.247, 0.2435, 0.2616}, p.std);
    }

    @Test
    void aViTImageProcessorThatResizesBilinearlyRoundsTheResizedValuesAsPilDoes() throws IOException {
        // ViTImageProcessor resizes a uint8 image with PIL (resample 2 = BILINEAR) and gets uint8 back: Pillow's
        // bilinear filter, antialiased when shrinking, on the bytes.
        Path file = json("preprocessor_config.json", "{\"image_processor_type\": \"ViTImageProcessor\","
                + " \"do_resize\": true, \"size\": {\"height\": 224, \"width\": 224}, \"resample\": 2,"
                + " \"do_rescale\": true, \"rescale_factor\": 0.00392156862745098, \"do_normalize\": true,"
                + " \"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}");
        PartialPreprocessing p = ConfigFiles.huggingFacePreprocessor(file);

        assertEquals(224, p.size);
        assertEquals(true, p.roundResized);
        assertEquals(new Preprocessing(224, 1 / 255.0, new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5},
                true).withResizing(Resizing.square(224, Resample.BILINEAR)), p.complete(224));
    }

    @Test
    void roundingFollowsTheProcessorTypeAndDoResize() throws IOException {
        String rest = " \"size\": {\"height\": 64, \"width\": 64}}";
        assertEquals(true, ConfigFiles.huggingFacePreprocessor(json("a.json",
                "{\"feature_extractor_type\": \"ViTFeatureExtractor\"," + rest)).roundResized);
        assertEquals(true, ConfigFiles.huggingFacePreprocessor(json("b.json", "{" + rest)).roundResized,
                "no type named: read as ViTImageProcessor, whose do_resize defaults to true");
        assertEquals(null, ConfigFiles.huggingFacePreprocessor(json("c.json",
                "{\"do_resize\": false," + rest)).roundResized, "no resize, nothing to round");
        assertEquals(false, ConfigFiles.huggingFacePreprocessor(json("d.json",
                "{\"image_processor_type\": \"SomeOtherImageProcessor\"," + rest)).roundResized);
    }

    @Test
    void preprocessorWithoutRescaleOrNormalisationGivesIdentitySteps() throws IOException {
        Path file = json("preprocessor_config.json", "{\"do_resize\": true, \"size\": {\"height\": 64, \"width\": 64},"
                + " \"do_rescale\": false, \"rescale_factor\": 0.5, \"do_normalize\": false,"
                + " \"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}");
        PartialPreprocessing p = ConfigFiles.huggingFacePreprocessor(file);
        assertEquals(64, p.size);
        assertEquals(1.0, p.rescaleFactor);
        assertArrayEquals(new double[] {0, 0, 0}, p.mean);
        assertArrayEquals(new double[] {1, 1, 1}, p.std);
    }

    @Test
    void tanhGeluIsRefusedNamingTheFileAndKey() throws IOException {
        Path file = json("config.json", "{\"model_type\": \"vit\", \"hidden_act\": \"gelu_new\"}");
        assertMessage(file, file + ": hidden_act \"gelu_new\" is not supported: vit4j's MLP uses exact (erf) GELU");
    }

    @Test
    void attentionWithoutBiasIsRefused() throws IOException {
        Path file = json("config.json", "{\"model_type\": \"vit\", \"qkv_bias\": false}");
        assertMessage(file, file + ": qkv_bias false is not supported");
    }

    @Test
    void otherHuggingFaceModelsAreRefused() throws IOException {
        assertMessage(json("a.json", "{\"model_type\": \"deit\", \"architectures\": [\"DeiTModel\"]}"),
                "architectures [DeiTModel] is not supported: vit4j runs DeiT's classifiers");
        assertMessage(json("d.json", "{\"model_type\": \"dinov2\", \"use_swiglu_ffn\": true}"),
                "use_swiglu_ffn true is not supported: vit4j's MLP is fc1, activation, fc2");
        assertMessage(json("e.json", "{\"model_type\": \"siglip_vision_model\", \"hidden_act\": \"relu\"}"),
                "hidden_act \"relu\" is not supported");
        assertMessage(json("b.json", "{\"model_type\": \"vit\", \"architectures\": [\"ViTModel\"]}"),
                "architectures [\"ViTModel\"] is not supported: vit4j runs ViTForImageClassification");
        assertMessage(json("c.json", "{\"model_type\": \"swin\"}"), "model_type \"swin\" is not supported");
    }

    @Test
    void timmModelsWithOtherPoolingOrExtrasAreRefused() throws IOException {
        assertMessage(json("a.json", "{\"architecture\": \"vit_base_patch16_224\", \"global_pool\": \"avg\"}"),
                "global_pool \"avg\" is not supported: vit4j pools with the CLS token");
        assertMessage(json("b.json", "{\"architecture\": \"vit_base_patch16_rope_224\"}"),
                "vit4j does not know timm's \"rope\" variant");
        assertMessage(json("c.json", "{\"architecture\": \"vit_small_patch16_224\","
                + " \"model_args\": {\"fc_norm\": true}}"), "model_args.fc_norm true is not supported");
        assertMessage(json("d.json", "{\"architecture\": \"vit_small_patch16_224\","
                + " \"model_args\": {\"act_layer\": \"relu\"}}"), "model_args.act_layer \"relu\" is not supported");
        assertMessage(json("e.json", "{\"architecture\": \"vit_small_patch16_224\","
                + " \"model_args\": {\"frobnicate\": 3}}"), "model_args.frobnicate 3 is not supported");
        assertMessage(json("f.json", "{\"architecture\": \"convnext_tiny\"}"), "architecture \"convnext_tiny\" is not"
                + " supported");
    }

    @Test
    void malformedJsonNamesTheFileAndPosition() throws IOException {
        Path file = json("config.json", "{\"model_type\": \"vit\",\n  \"hidden_size\": }");
        assertMessage(file, file + " is not valid JSON");
        assertMessage(file, "(line 2, column");
        Path neither = json("x.json", "{\"foo\": 1}");
        assertMessage(neither, neither + " is neither a Hugging Face config");
        Path badType = json("y.json", "{\"model_type\": \"vit\", \"hidden_size\": \"wide\"}");
        assertMessage(badType, badType + ": hidden_size is \"wide\"; expected an integer");
    }

    @Test
    void aTimmNameWithASizePastAnIntOrJsonInUtf32IsRefusedNamingTheFile() throws IOException {
        // both found by ConfigFilesFuzzTest / SafetensorsFuzzTest: a NumberFormatException, and Jackson's
        // CharConversionException without the file's name
        assertMessage(json("big.json", "{\"architecture\": \"vit_tiny_patch16_99999999999\"}"),
                "its size 99999999999 is not a number of pixels");
        Path utf32 = json("utf32.json", "");
        Files.write(utf32, new byte[] {'{', 0, 0, 0, 0, 0, '!', 'n'}); // '{' in UTF-32LE, then 0x6e210000
        assertMessage(utf32, utf32 + " is not UTF-8 JSON");
    }

    @Test
    void jsonFilesAboveTheLimitAreRefusedBeforeTheyAreRead() throws IOException {
        long size = ConfigFiles.MAX_JSON_BYTES + 1;
        for (String name : List.of("config.json", "preprocessor_config.json")) {
            Path file = dir.resolve(name);
            try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
                sparse.setLength(size); // a sparse file: 16 MiB + 1 of zero bytes that take no disk and are never read
            }
            String expected = file + " is " + size + " bytes, more than the " + ConfigFiles.MAX_JSON_BYTES
                    + " bytes (16 MiB) a config file may have";
            assertMessage(file, expected);
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> ConfigFiles.huggingFacePreprocessor(file));
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    @Test
    void configDeclaringTenMillionLayersIsReadWithoutAllocatingForThem() throws IOException {
        Path file = json("config.json", "{\"model_type\": \"vit\", \"num_hidden_layers\": 10000000}");
        PartialConfig c = ConfigFiles.read(file).config();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VitConfig(32, 4, 3, 128,
                c.layers, 4, 256, 1e-5, VitConfig.CIFAR10_LABELS));
        assertTrue(e.getMessage().contains("layers is 10000000, more than VitConfig.MAX_LAYERS"), e.getMessage());
    }

    private Path json(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static void assertMessage(Path file, String expectedPart) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ConfigFiles.read(file));
        assertTrue(e.getMessage().contains(expectedPart), "message: " + e.getMessage() + "\nexpected to contain: "
                + expectedPart);
    }
}
