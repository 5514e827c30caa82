package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.format.Npy;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ModelLoaderTest {

    static final Path SIMPLEVIT_MAPPING = Path.of("src/test/resources/mappings/simplevit-cifar10-pytorch.properties");
    static final Path TINYVIT_MAPPING = Path.of("src/test/resources/mappings/tinyvit-cifar10-custom-names.properties");

    @TempDir
    Path dir;

    @Test
    void deitTinyInHuggingFaceAndTimmLayoutsGivesIdenticalTensors() throws IOException {
        List<String> notes = new ArrayList<>();
        Pretrained hf = ModelLoader.load(shared("models/deit-tiny-imagenet/hf"), Optional.empty(), notes::add);
        Pretrained timm = ModelLoader.load(shared("models/deit-tiny-imagenet/timm"), Optional.empty(), notes::add);

        assertEquals(VitConfig.deitTiny().withLabels(hf.config().labels()), hf.config());
        assertEquals(hf.config(), timm.config());
        assertEquals("Egyptian cat", timm.config().labels().get(285));
        assertEquals(Preprocessing.imagenet(224).withResizing(Resizing.square(224, Resample.BICUBIC)),
                hf.preprocessing(), "ViTImageProcessor resizes with PIL into bytes, bicubic as its resample 3 says");
        assertEquals(Preprocessing.imagenet(224), timm.preprocessing(), "timm resizes float tensors, unrounded");
        assertBitIdentical(hf.weights(), timm.weights());
        assertTrue(notes.contains("names: Hugging Face ViTForImageClassification layout, detected from the tensor"
                + " names"), notes.toString());
        assertTrue(notes.contains("names: timm VisionTransformer layout, detected from the tensor names"),
                notes.toString());
    }

    @Test
    void simpleVitInHuggingFaceLayoutAndUnderItsAuthorsNamesWithAMappingGivesIdenticalTensors() throws IOException {
        Pretrained hf = ModelLoader.load(shared("models/simplevit-cifar10/hf"), Optional.empty());
        Pretrained mapped = ModelLoader.load(shared("models/simplevit-cifar10/pytorch/model.safetensors"),
                Optional.of(SIMPLEVIT_MAPPING));
        assertEquals(VitConfig.cifar10(), hf.config());
        assertEquals(hf.config(), mapped.config());
        assertEquals(Preprocessing.cifar10().withResizing(Resizing.square(32, Resample.BILINEAR)), hf.preprocessing(),
                "ViTImageProcessor with resample 2: Pillow's bilinear filter on bytes");
        assertEquals(hf.preprocessing(), mapped.preprocessing(), "the mapping says preprocessing.resizing the same");
        assertBitIdentical(hf.weights(), mapped.weights());
    }

    @Test
    void convertingEachFormToVitAndReadingItBackIsBitIdentical() throws IOException {
        Map<String, Pretrained> loaded = new LinkedHashMap<>();
        Map<String, byte[]> written = new LinkedHashMap<>();
        // DeiT's Hugging Face copy resizes as ViTImageProcessor does (PIL bicubic, rounded to bytes), its timm copy
        // does not; stating that in a mapping makes the two the same model.
        Path pil = Files.writeString(dir.resolve("pil.properties"), "preprocessing.roundResized = true\n"
                + "preprocessing.resizing = SQUARE 224 BICUBIC\n");
        Object[][] sources = {
                {"deit-hf", shared("models/deit-tiny-imagenet/hf"), Optional.empty()},
                {"deit-timm", shared("models/deit-tiny-imagenet/timm/model.safetensors"), Optional.of(pil)},
                {"simplevit-hf", shared("models/simplevit-cifar10/hf"), Optional.empty()},
                {"simplevit-pytorch", shared("models/simplevit-cifar10/pytorch"), Optional.of(SIMPLEVIT_MAPPING)},
                {"tinyvit", shared("models/tinyvit-cifar10-custom-names"), Optional.of(TINYVIT_MAPPING)},
        };
        for (Object[] s : sources) {
            String name = (String) s[0];
            @SuppressWarnings("unchecked")
            Optional<Path> mapping = (Optional<Path>) s[2];
            Path out = dir.resolve(name + ".vit");
            Pretrained original = Converter.convert((Path) s[1], out, mapping);
            Pretrained back = ModelLoader.load(out, Optional.empty());
            assertEquals(original.config(), back.config(), name);
            assertEquals(original.preprocessing(), back.preprocessing(), name);
            assertBitIdentical(original.weights(), back.weights());
            assertTrue(VitFile.inspect(out).ok(), name);
            loaded.put(name, back);
            written.put(name, Files.readAllBytes(out));
        }
        // The same model from two layouts is the same native file, byte for byte.
        assertArrayEquals(written.get("deit-hf"), written.get("deit-timm"));
        assertArrayEquals(written.get("simplevit-hf"), written.get("simplevit-pytorch"));
    }

    @Test
    void tinyVitUnderItsTrainersNamesWithAMappingGivesTheReferenceLogits() throws IOException {
        for (String weights : List.of("model.safetensors", "vit_model.pth")) {
            Pretrained tiny = ModelLoader.load(shared("models/tinyvit-cifar10-custom-names/" + weights),
                    Optional.of(TINYVIT_MAPPING));
            assertEquals(new VitConfig(32, 4, 3, 64, 4, 4, 256, 1e-5, VitConfig.CIFAR10_LABELS), tiny.config());
            assertEquals(Preprocessing.unitRange(32), tiny.preprocessing());
            ImageSource.Batch batch = ImageSource.cifar10(shared("data/cifar10/test_batch_first1017.bin"))
                    .read(0, 16, tiny.preprocessing());
            INDArray logits = new Vit(tiny.weights()).logits(batch.input());
            INDArray reference = Npy.read(shared("reference/tinyvit-cifar10-custom-names/logits_first1017_float32.npy"))
                    .get(NDArrayIndex.interval(0, 16), NDArrayIndex.all());
            double worst = logits.castTo(DataType.DOUBLE).sub(reference.castTo(DataType.DOUBLE)).amaxNumber()
                    .doubleValue();
            assertTrue(worst < 1e-4, weights + ": logits differ by " + worst);
        }
    }

    @Test
    void simpleVitPyTorchCheckpointThroughItsMappingIsTheHuggingFaceModelBitForBit() throws IOException {
        Pretrained hf = ModelLoader.load(shared("models/simplevit-cifar10/hf"), Optional.empty());
        Pretrained pt = ModelLoader.load(shared("models/simplevit-cifar10/pytorch/vit.pt"),
                Optional.of(SIMPLEVIT_MAPPING));
        assertEquals(hf.config(), pt.config());
        assertEquals(hf.preprocessing(), pt.preprocessing());
        assertBitIdentical(hf.weights(), pt.weights());
    }

    @Test
    void huggingFaceFolderWithPytorchModelBinLoadsLikeItsSafetensorsAndLeavesTrainingArgsUnopened()
            throws IOException {
        Path hfFolder = shared("models/simplevit-cifar10/hf");
        Pretrained hf = ModelLoader.load(hfFolder, Optional.empty());
        Path folder = Files.createDirectories(dir.resolve("hub-like"));
        Files.copy(hfFolder.resolve("config.json"), folder.resolve("config.json"));
        Files.copy(hfFolder.resolve("preprocessor_config.json"), folder.resolve("preprocessor_config.json"));
        TorchCheckpoints.write(folder.resolve("pytorch_model.bin"),
                TorchCheckpoints.huggingFaceStateDict(hf.weights()));
        Files.write(folder.resolve("training_args.bin"), new PickleBytes().proto(2).global("os", "system").mark()
                .string("touch pwned").tuple().reduce().stop().toByteArray()); // opening it would be refused
        List<String> notes = new ArrayList<>();
        Pretrained bin = ModelLoader.load(folder, Optional.empty(), notes::add);
        assertEquals(hf.config(), bin.config());
        assertEquals(hf.preprocessing(), bin.preprocessing());
        assertBitIdentical(hf.weights(), bin.weights());
        assertTrue(notes.contains("names: Hugging Face ViTForImageClassification layout, detected from the tensor"
                + " names"), notes.toString());
    }

    @Test
    void theOneArgumentLoadIsTheLoadWithNoMapping() throws IOException {
        Path folder = shared("models/deit-tiny-imagenet/timm");
        Pretrained plain = ModelLoader.load(folder);
        Pretrained noMapping = ModelLoader.load(folder, Optional.empty());
        assertEquals(noMapping.weights().config(), plain.weights().config());
        assertEquals(noMapping.preprocessing(), plain.preprocessing());
        assertEquals(noMapping.weights().head().weight(), plain.weights().head().weight());
    }

    @Test
    void namesOfNoKnownLayoutAreListedWithTheLayoutsTriedAndAMappingSuggested() {
        Path file = shared("models/simplevit-cifar10/pytorch/model.safetensors");
        assertMessage(() -> ModelLoader.load(shared("models/simplevit-cifar10/pytorch"), Optional.empty()),
                file + ": cannot tell how its 56 tensors are named (e.g. [blocks.0.attn.in_proj_bias,",
                "tried Hugging Face ViTForImageClassification (no tensor vit.embeddings.patch_embeddings.projection"
                        + ".weight), timm VisionTransformer (no tensor blocks.0.attn.qkv.weight)",
                "ModelLoader.load(path, mapping)");
    }

    @Test
    void mappingToATensorTheFileLacksNamesItAndTheRestMissing() throws IOException {
        Path mapping = Files.writeString(dir.resolve("typo.properties"), Files.readString(SIMPLEVIT_MAPPING)
                .replace("= blocks.{i}.mlp.3.weight", "= blocks.{i}.mlp.4.weight"));
        Path file = shared("models/simplevit-cifar10/pytorch/model.safetensors");
        assertMessage(() -> ModelLoader.load(file, Optional.of(mapping)),
                file + " has no tensor blocks.0.mlp.4.weight (for blocks.0.mlp.fc2.weight) (and 3 more missing:"
                        + " [blocks.1.mlp.4.weight (for blocks.1.mlp.fc2.weight)",
                "Check the layout, the mapping file or the layer count");
    }

    @Test
    void configWhoseImageSizeDoesNotFitTheWeightsSuggestsTheRightSize() throws IOException {
        Path folder = folderWith("models/simplevit-cifar10/hf", json -> json.replace("\"image_size\": 32",
                "\"image_size\": 224"));
        assertMessage(() -> ModelLoader.load(folder, Optional.empty()),
                folder.resolve("model.safetensors") + ": expected pos_embed [1, 3137, 128] but the file has [1, 65,"
                        + " 128] (as vit.embeddings.position_embeddings); is this a 32px model?");
    }

    @Test
    void configWithAnotherLayerCountThanTheWeightsIsCaught() throws IOException {
        Path folder = folderWith("models/simplevit-cifar10/hf", json -> json.replace("\"num_hidden_layers\": 4",
                "\"num_hidden_layers\": 12"));
        assertMessage(() -> ModelLoader.load(folder, Optional.empty()),
                "model.safetensors has blocks 0..3 but config.json says 12 layers");
    }

    @Test
    void folderWithoutPreprocessorConfigFallsBackToViTImageProcessorDefaults() throws IOException {
        Path folder = dir.resolve("nopre");
        Files.createDirectories(folder);
        Files.createSymbolicLink(folder.resolve("model.safetensors"),
                shared("models/simplevit-cifar10/hf/model.safetensors"));
        Files.copy(shared("models/simplevit-cifar10/hf/config.json"), folder.resolve("config.json"));
        List<String> notes = new ArrayList<>();
        Pretrained model = ModelLoader.load(folder, Optional.empty(), notes::add);
        assertEquals(new Preprocessing(32, 1 / 255.0, new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5},
                true), model.preprocessing());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("no preprocessor_config.json beside")), notes.toString());
    }

    @Test
    void nativeFileIsReadDirectlyAndRefusesAMapping() throws IOException {
        Path out = dir.resolve("cifar.vit");
        VitFile.write(out, new Pretrained(VitWeights.random(VitConfig.cifar10(), 7), Preprocessing.cifar10()));
        assertEquals(VitConfig.cifar10(), ModelLoader.load(out, Optional.empty()).config());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelLoader.load(out, Optional.of(SIMPLEVIT_MAPPING)));
        assertTrue(e.getMessage().contains("is a native .vit file"), e.getMessage());
    }

    @Test
    void vitFileWithAFlippedMagicByteIsReportedAsADamagedVitFileNotAsSafetensors() throws IOException {
        Path out = dir.resolve("cifar.vit");
        VitFile.write(out, new Pretrained(VitWeights.random(VitConfig.cifar10(), 7), Preprocessing.cifar10()));
        byte[] bytes = Files.readAllBytes(out);
        bytes[1] ^= 0x01; // 'I' (0x49) becomes 'H' (0x48)
        Files.write(out, bytes);
        String badMagic = "is not a valid .vit file: bad magic (expected 56 49 54 34 4a 00 76 31";
        assertMessage(() -> ModelLoader.load(out, Optional.empty()), out + " " + badMagic, "got 56 48 54 34");
        Path renamed = Files.move(out, dir.resolve("model.bin"));
        assertMessage(() -> ModelLoader.load(renamed, Optional.empty()), renamed + " " + badMagic);
        Path folder = Files.createDirectories(dir.resolve("folder"));
        Path inFolder = Files.move(renamed, folder.resolve("cifar.vit"));
        assertMessage(() -> ModelLoader.load(folder, Optional.empty()), inFolder + " " + badMagic);
    }

    @Test
    void mappingFileThatIsNotUtf8NamesTheFileTheOffsetAndTheLine() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path latin1 = dir.resolve("latin1.properties");
        Files.write(latin1, "config.heads = 2\nconfig.label.0 = caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertMessage(() -> ModelLoader.load(file, Optional.of(latin1)),
                latin1 + " is not UTF-8 text: byte 0xe9 at offset 37 (line 2) is not valid UTF-8;"
                        + " mapping files are UTF-8");

        Path labels = dir.resolve("labels.txt");
        Files.write(labels, "a\nb\u00e9\nc\n".getBytes(StandardCharsets.ISO_8859_1));
        Path withLabels = Files.writeString(dir.resolve("l.properties"), "config.labelsFile = labels.txt\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(withLabels)),
                labels + " is not UTF-8 text: byte 0xe9 at offset 3 (line 2)", "labels files are UTF-8");
    }

    @Test
    void duplicateKeyInAMappingFileIsRefusedNamingTheKeyAndBothLines() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path twice = Files.writeString(dir.resolve("twice.properties"), TINY_MAPPING + "# a later edit\n"
                + "config.heads : 4\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(twice)),
                twice + ": key config.heads is given twice, on line 1 and line 9; give it once");
        Path canonical = Files.writeString(dir.resolve("canonical.properties"), "blocks.{i}.attn.qkv.weight = a.{i}\n"
                + "blocks.{i}.attn.qkv.weight = \\\n    b.{i}\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(canonical)),
                "key blocks.{i}.attn.qkv.weight is given twice, on line 1 and line 2");
    }

    @Test
    void extraTensorsAreRefusedUnlessTheMappingIgnoresThem() throws IOException {
        VitWeights weights = VitWeights.random(TINY, 11);
        Map<String, INDArray> tensors = sourceShaped(weights);
        tensors.put("head_dist.weight", weights.head().weight());
        Path file = SafetensorsFiles.write(dir.resolve("extra.safetensors"), tensors);
        Path mapping = Files.writeString(dir.resolve("m.properties"), TINY_MAPPING);
        assertMessage(() -> ModelLoader.load(file, Optional.of(mapping)),
                file + " has 1 tensor(s) that the " + mapping + " names do not use: [head_dist.weight]",
                "list them under ignore = …");

        Path ignoring = Files.writeString(dir.resolve("ignoring.properties"), TINY_MAPPING + "ignore = head_dist.*\n");
        Pretrained loaded = ModelLoader.load(file, Optional.of(ignoring));
        assertEquals(TINY, loaded.config());
        assertBitIdentical(weights, loaded.weights());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Map<String, INDArray> tensors = sourceShaped(VitWeights.random(TINY, 1));
        tensors.remove("blocks.1.mlp.fc2.bias");
        Path file = SafetensorsFiles.write(dir.resolve("missing.safetensors"), tensors);
        Path mapping = Files.writeString(dir.resolve("m.properties"), TINY_MAPPING);
        assertMessage(() -> ModelLoader.load(file, Optional.of(mapping)),
                file + " has no tensor blocks.1.mlp.fc2.bias that a 2-layer ViT needs");
    }

    @Test
    void shapeNotMatchingTheConfigSaysWhatWasExpected() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path wide = Files.writeString(dir.resolve("wide.properties"), TINY_MAPPING + "config.mlpSize = 48\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(wide)),
                file + ": expected blocks.0.mlp.fc1.weight [48, 16] but the file has [32, 16]; the file's MLP is 32"
                        + " wide; the config says 48");
        Path big = Files.writeString(dir.resolve("big.properties"), TINY_MAPPING + "config.imageSize = 16\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(big)),
                file + ": expected pos_embed [1, 17, 16] but the file has [1, 5, 16]; is this a 8px model?");
    }

    @Test
    void configValuesThatShapesCannotTellMustBeStated() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path noHeads = Files.writeString(dir.resolve("noheads.properties"),
                TINY_MAPPING.replace("config.heads = 2\n", ""));
        assertMessage(() -> ModelLoader.load(file, Optional.of(noHeads)),
                "the number of attention heads of " + file + " is unknown", "config.heads = … in a mapping file");
        Path noPixels = Files.writeString(dir.resolve("nopixels.properties"),
                TINY_MAPPING.replace("preprocessing.mean = 0.5, 0.5, 0.5\n", ""));
        assertMessage(() -> ModelLoader.load(file, Optional.of(noPixels)), "no preprocessing is known for " + file);
    }

    @Test
    void aMappingFileCanTurnRoundingOfResizedValuesOnOrOff() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path on = Files.writeString(dir.resolve("on.properties"), TINY_MAPPING + "preprocessing.roundResized = true\n");
        Path off = Files.writeString(dir.resolve("off.properties"), TINY_MAPPING);
        Path bad = Files.writeString(dir.resolve("bad.properties"), TINY_MAPPING + "preprocessing.roundResized = 1\n");

        assertTrue(ModelLoader.load(file, Optional.of(on)).preprocessing().roundResized());
        assertFalse(ModelLoader.load(file, Optional.of(off)).preprocessing().roundResized());
        assertMessage(() -> ModelLoader.load(file, Optional.of(bad)),
                bad + ": preprocessing.roundResized = 1; expected true or false");
    }

    @Test
    void malformedMappingFilesNameTheKey() throws IOException {
        Path file = SafetensorsFiles.write(dir.resolve("tiny.safetensors"), sourceShaped(VitWeights.random(TINY, 1)));
        Path unknown = Files.writeString(dir.resolve("u.properties"), "blocks.{i}.attn.in_proj.weight = x.{i}\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(unknown)),
                unknown + ": unknown key blocks.{i}.attn.in_proj.weight; keys are canonical tensor names");
        Path noIndex = Files.writeString(dir.resolve("i.properties"), "blocks.{i}.norm1.weight = norm1.weight\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(noIndex)),
                "the source norm1.weight lacks {i}, so every block would read the same tensor");
        Path badConfig = Files.writeString(dir.resolve("c.properties"), "config.heads = four\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(badConfig)),
                badConfig + ": config.heads = four; expected a positive integer");
        Path gaps = Files.writeString(dir.resolve("g.properties"), "config.label.0 = a\nconfig.label.2 = c\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(gaps)), "without gaps; found indices [0, 2]");
        // found by MappingFileFuzzTest: a NUL in the labels file's name threw InvalidPathException
        Path nul = Files.writeString(dir.resolve("n.properties"), "config.labelsFile = labels\\u0000.txt\n");
        assertMessage(() -> ModelLoader.load(file, Optional.of(nul)), nul + ": config.labelsFile = labels\u0000.txt is"
                + " not a file name");
    }

    @Test
    void separateQueryKeyAndValueAreConcatenatedIntoQkv() throws IOException {
        VitWeights weights = VitWeights.random(TINY, 5);
        Map<String, INDArray> tensors = sourceShaped(weights);
        for (int i = 0; i < TINY.layers(); i++) {
            for (String wb : List.of("weight", "bias")) {
                INDArray qkv = tensors.remove("blocks." + i + ".attn.qkv." + wb);
                for (int part = 0; part < 3; part++) {
                    tensors.put("layer" + i + "." + "qkv".charAt(part) + "." + wb,
                            qkv.get(NDArrayIndex.interval(part * 16L, (part + 1) * 16L)).dup('c'));
                }
            }
        }
        Path file = SafetensorsFiles.write(dir.resolve("split.safetensors"), tensors);
        Path mapping = Files.writeString(dir.resolve("split.properties"), TINY_MAPPING
                + "blocks.{i}.attn.qkv.weight = layer{i}.q.weight + layer{i}.k.weight + layer{i}.v.weight\n"
                + "blocks.{i}.attn.qkv.bias = layer{i}.q.bias + layer{i}.k.bias + layer{i}.v.bias\n");
        assertBitIdentical(weights, ModelLoader.load(file, Optional.of(mapping)).weights());
    }

    @Test
    void folderWithoutWeightsSaysWhatItHolds() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(folder.resolve("notes.txt"), "not weights");
        Files.writeString(folder.resolve("training_args.bin"), "not weights either");
        assertMessage(() -> ModelLoader.load(folder, Optional.empty()), folder + " holds no weights file"
                + " (model.safetensors, pytorch_model.bin, or any .safetensors, .pt, .pth or .vit file; it holds"
                + " [notes.txt, training_args.bin])");
    }

    // --- a tiny synthetic model saved the way PyTorch saves timm's ViT -------------------------------------------

    static final VitConfig TINY = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, List.of("a", "b", "c"));
    static final String TINY_MAPPING = """
            config.heads = 2
            config.layerNormEps = 1e-6
            config.label.0 = a
            config.label.1 = b
            config.label.2 = c
            preprocessing.mean = 0.5, 0.5, 0.5
            preprocessing.std = 0.25, 0.25, 0.25
            """;

    /** Canonical tensors in the shapes a PyTorch state_dict has: cls [1,1,D], pos [1,T,D], conv [D,C,p,p]. */
    static Map<String, INDArray> sourceShaped(VitWeights weights) {
        VitConfig c = weights.config();
        Map<String, INDArray> out = new LinkedHashMap<>();
        weights.tensors().forEach((name, t) -> out.put(name, switch (name) {
            case "cls_token" -> t.reshape(1, 1, c.hiddenSize());
            case "pos_embed" -> t.reshape(1, c.tokens(), c.hiddenSize());
            case "patch_embed.proj.weight" -> t.reshape(c.hiddenSize(), c.channels(), c.patchSize(), c.patchSize());
            default -> t;
        }));
        return out;
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private Path folderWith(String source, UnaryOperator<String> editConfig) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("edited"));
        Files.createSymbolicLink(folder.resolve("model.safetensors"), shared(source + "/model.safetensors"));
        Files.copy(shared(source + "/preprocessor_config.json"), folder.resolve("preprocessor_config.json"));
        String json = Files.readString(shared(source + "/config.json"));
        String edited = editConfig.apply(json);
        assertTrue(!edited.equals(json), "the edit must change config.json");
        Files.writeString(folder.resolve("config.json"), edited);
        return folder;
    }

    private static Path shared(String relative) {
        return SharedAssets.resolve(relative);
    }

    static void assertBitIdentical(VitWeights expected, VitWeights actual) {
        Map<String, INDArray> a = expected.tensors();
        Map<String, INDArray> b = actual.tensors();
        assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).shape(), b.get(name).shape(), name);
            float[] x = a.get(name).dup('c').data().asFloat();
            float[] y = b.get(name).dup('c').data().asFloat();
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    throw new AssertionError(name + "[" + i + "]: " + x[i] + " != " + y[i]);
                }
            }
        }
    }

    static void assertMessage(Executable call, String... expectedParts) {
        Throwable e = assertThrows(IOException.class, call);
        for (String part : expectedParts) {
            assertTrue(e.getMessage().contains(part), "message: " + e.getMessage() + "\nexpected to contain: " + part);
        }
        assertTrue(e instanceof ModelFormatException, e.getClass().getName());
    }
}
