package io.github.vit4j.convert;

import static io.github.vit4j.convert.ModelLoaderTest.assertBitIdentical;
import static io.github.vit4j.convert.ModelLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.Pretrained;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checkpoints split into shards, as Hugging Face saves large models: an index ({@code weight_map}: tensor → shard
 * file) beside the shards. The CIFAR-10 model of ../shared, split into shards here, loads bit for bit like the
 * whole file; an index that does not match its shards is refused naming the tensor and the shards.
 */
class ShardedCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theCifar10ModelSplitIntoThreeSafetensorsShardsLoadsBitIdenticalToTheWholeFile() throws IOException {
        Path hfFolder = shared("models/simplevit-cifar10/hf");
        Pretrained whole = ModelLoader.load(hfFolder);
        Path folder = folderWithConfigs("safetensors-shards");
        Map<String, Map<String, INDArray>> shards = split(tensorsOf(hfFolder.resolve("model.safetensors")), 3,
                "model-%05d-of-00003.safetensors");
        for (Map.Entry<String, Map<String, INDArray>> shard : shards.entrySet()) {
            SafetensorsFiles.write(folder.resolve(shard.getKey()), shard.getValue());
        }
        writeIndex(folder.resolve("model.safetensors.index.json"), shards);

        List<String> notes = new ArrayList<>();
        Pretrained sharded = ModelLoader.load(folder, Optional.empty(), notes::add);
        assertEquals(whole.config(), sharded.config());
        assertEquals(whole.preprocessing(), sharded.preprocessing());
        assertBitIdentical(whole.weights(), sharded.weights());
        assertTrue(notes.contains("weights: 72 tensors in 3 shards, as " + folder.resolve(
                "model.safetensors.index.json") + " lists them"), notes.toString());

        Pretrained fromIndex = ModelLoader.load(folder.resolve("model.safetensors.index.json"));
        assertBitIdentical(whole.weights(), fromIndex.weights());
    }

    @Test
    void theCifar10ModelSplitIntoTwoPytorchShardsLoadsBitIdenticalToTheWholeFile() throws IOException {
        Pretrained whole = ModelLoader.load(shared("models/simplevit-cifar10/hf"));
        Path folder = folderWithConfigs("bin-shards");
        Map<String, Map<String, INDArray>> shards = split(TorchCheckpoints.huggingFaceStateDict(whole.weights()), 2,
                "pytorch_model-%05d-of-00002.bin");
        for (Map.Entry<String, Map<String, INDArray>> shard : shards.entrySet()) {
            TorchCheckpoints.write(folder.resolve(shard.getKey()), shard.getValue());
        }
        writeIndex(folder.resolve("pytorch_model.bin.index.json"), shards);

        Pretrained sharded = ModelLoader.load(folder);
        assertEquals(whole.config(), sharded.config());
        assertEquals(whole.preprocessing(), sharded.preprocessing());
        assertBitIdentical(whole.weights(), sharded.weights());
    }

    @Test
    void aFolderTakesModelSafetensorsThenItsIndexThenPytorchModelBinThenItsIndex() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("preference"));
        Map<String, Map<String, INDArray>> shards = Map.of("a.safetensors", Map.of("w", Nd4j.ones(2)));
        SafetensorsFiles.write(folder.resolve("a.safetensors"), shards.get("a.safetensors"));
        writeIndex(folder.resolve("model.safetensors.index.json"), shards);
        Files.writeString(folder.resolve("pytorch_model.bin.index.json"), "not read");
        Files.writeString(folder.resolve("pytorch_model.bin"), "not read");
        Path index = folder.resolve("model.safetensors.index.json");
        assertMessage(() -> ModelLoader.load(folder), "cannot tell how its 1 tensors are named", index.toString());

        SafetensorsFiles.write(folder.resolve("model.safetensors"), Map.of("whole", Nd4j.ones(2)));
        assertMessage(() -> ModelLoader.load(folder), folder.resolve("model.safetensors")
                + ": cannot tell how its 1 tensors are named");

        Files.delete(folder.resolve("model.safetensors"));
        Files.delete(folder.resolve("model.safetensors.index.json"));
        assertMessage(() -> ModelLoader.load(folder), folder.resolve("pytorch_model.bin").toString());
        Files.delete(folder.resolve("pytorch_model.bin"));
        assertMessage(() -> ModelLoader.load(folder), folder.resolve("pytorch_model.bin.index.json")
                + " is not valid JSON");
    }

    @Test
    void aShardNameThatIsNotAPlainFileNameOnEverySystemIsRefusedNamingTheIndexAndTheNameEscaped() throws IOException {
        Map<String, String> refusals = new LinkedHashMap<>(); // shard name -> how the message shows it and why
        refusals.put("../model.safetensors", "\"../model.safetensors\", which is not a plain file name beside the"
                + " index: it holds a / or \\");
        refusals.put("sub/model.safetensors", "it holds a / or \\");
        refusals.put("..\\model.safetensors", "\"..\\\\model.safetensors\"");
        refusals.put("..", "it starts with '.'");
        refusals.put(".hidden", "it starts with '.'");
        refusals.put("", "\"\", which is not a plain file name beside the index: it is empty");
        refusals.put("a\0.safetensors", "\"a\\u0000.safetensors\"");
        refusals.put("D:x.safetensors", "it holds ':', which Windows refuses in a file name");
        refusals.put("x|y?.safetensors", "it holds '|', which Windows refuses in a file name");
        refusals.put("\u001b[2Jred.safetensors", "\"\\u001B[2Jred.safetensors\"");
        refusals.put("a\tb.safetensors", "it holds the character U+0009; shard names are printable ASCII");
        refusals.put("caf\u00e9\u202e.safetensors", "\"caf\\u00E9\\u202E.safetensors\"");
        refusals.put("x".repeat(300) + ".safetensors", "it is 312 characters long, more than 255");
        refusals.put("CON.safetensors", "CON is a device name on Windows");
        refusals.put("lpt1", "LPT1 is a device name on Windows");
        refusals.put("model.safetensors.", "it ends with '.' or a space");
        refusals.put("model.safetensors.index.json", "which is another index");
        for (Map.Entry<String, String> r : refusals.entrySet()) {
            Path folder = Files.createDirectories(dir.resolve("escape"));
            Path index = folder.resolve("model.safetensors.index.json");
            ObjectNode json = JSON.createObjectNode();
            json.putObject("weight_map").put("w\u001b", r.getKey());
            Files.writeString(index, JSON.writeValueAsString(json));
            IOException e = assertThrows(IOException.class, () -> ShardedCheckpoint.open(index).close(), r.getKey());
            assertInstanceOf(ModelFormatException.class, e);
            assertTrue(e.getMessage().startsWith(index + ": weight_map puts tensor \"w\\u001B\" in the shard \"")
                    && e.getMessage().contains(r.getValue()), e.getMessage());
            assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), "printable ASCII only: "
                    + e.getMessage());
        }
    }

    @Test
    void shardNamesHuggingFaceWritesArePlainFileNames() throws IOException {
        Path folder = twoShards("{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"two.safetensors\"}}");
        Path index = folder.resolve("model.safetensors.index.json");
        assertEquals(List.of("one.safetensors", "two.safetensors"), ModelLoader.shardsOf(index));
        Files.writeString(index, "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
                + " \"c\": \"my shard (v2)_final+1.safetensors\"}}");
        assertEquals(List.of("model-00001-of-00002.safetensors", "my shard (v2)_final+1.safetensors"),
                ModelLoader.shardsOf(index));
        Path bin = folder.resolve("pytorch_model.bin.index.json");
        Files.writeString(bin, "{\"weight_map\": {\"a\": \"pytorch_model-00001-of-00002.bin\"}}");
        assertEquals(List.of("pytorch_model-00001-of-00002.bin"), ModelLoader.shardsOf(bin));
    }

    @Test
    void anIndexListsShardsOfItsOwnFormatOnlySoASafetensorsIndexNeverLeadsToAPickle() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("format"));
        Path index = folder.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"training_args.bin\"}}");
        assertMessage(() -> ModelLoader.shardsOf(index), "puts tensor \"b\" in the shard \"training_args.bin\","
                + " which is not a .safetensors file like the index's");
        Path bin = folder.resolve("pytorch_model.bin.index.json");
        Files.writeString(bin, "{\"weight_map\": {\"a\": \"model.safetensors\"}}");
        assertMessage(() -> ModelLoader.shardsOf(bin), "which is not a .bin file like the index's");
    }

    @Test
    void aMissingShardIsRefusedNamingItBeforeAnyShardIsOpened() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("missing"));
        SafetensorsFiles.write(folder.resolve("one.safetensors"), Map.of("a", Nd4j.ones(2)));
        Files.writeString(folder.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"two.safetensors\","
                        + " \"c\": \"two.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "lists 2 tensors in the shard two.safetensors, which is not in "
                + folder.toAbsolutePath(), "the download is incomplete");
    }

    @Test
    void aTensorListedTwiceInTheIndexIsRefusedNamingBothShards() throws IOException {
        Path folder = twoShards("{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"two.safetensors\","
                + " \"a\": \"two.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "weight_map lists tensor \"a\" twice, in the shard one.safetensors"
                + " and in the shard two.safetensors");
    }

    @Test
    void aTensorInTwoShardsIsRefusedNamingBoth() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("both"));
        SafetensorsFiles.write(folder.resolve("one.safetensors"), Map.of("a", Nd4j.ones(2)));
        SafetensorsFiles.write(folder.resolve("two.safetensors"), Map.of("a", Nd4j.ones(2), "b", Nd4j.ones(2)));
        Files.writeString(folder.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"two.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "tensor \"a\" is in two shards, one.safetensors and"
                + " two.safetensors (the index lists it in one.safetensors)");
    }

    @Test
    void aTensorInAnotherShardThanTheIndexSaysIsRefusedNamingTheTensorAndBothShards() throws IOException {
        Path folder = twoShards("{\"weight_map\": {\"a\": \"two.safetensors\", \"b\": \"one.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "lists tensor \"a\" in the shard two.safetensors but it is in the"
                + " shard one.safetensors");
    }

    @Test
    void aTensorTheIndexDoesNotListIsRefusedNamingItsShard() throws IOException {
        Path folder = twoShards("{\"weight_map\": {\"b\": \"two.safetensors\", \"x\": \"one.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "the shard one.safetensors holds tensor \"a\", which the index"
                + " does not list");
    }

    @Test
    void aTensorNoShardHoldsIsRefusedNamingItAndItsShard() throws IOException {
        Path folder = twoShards("{\"weight_map\": {\"a\": \"one.safetensors\", \"b\": \"two.safetensors\","
                + " \"c\": \"two.safetensors\"}}");
        assertMessage(() -> ModelLoader.load(folder), "lists tensor \"c\" in the shard two.safetensors, which does not"
                + " hold it");
    }

    @Test
    void anIndexWithoutAWeightMapOrWithAShardThatIsNotTextIsRefused() throws IOException {
        for (String json : List.of("{}", "{\"weight_map\": {}}", "{\"weight_map\": []}", "[1]",
                "{\"weight_map\": {\"a\": \"one.safetensors\"}, \"weight_map\": {}}")) {
            Path folder = twoShards(json);
            assertMessage(() -> ModelLoader.load(folder), "weight_map", "expected {\"weight_map\": {\"tensor name\":");
        }
        Path folder = twoShards("{\"weight_map\": {\"a\": 7}}");
        assertMessage(() -> ModelLoader.load(folder), "weight_map gives tensor \"a\" the shard \"7\", which is not a file"
                + " name");
        Path broken = twoShards("{\"weight_map\": {\"a\": ");
        assertMessage(() -> ModelLoader.load(broken), "model.safetensors.index.json is not valid JSON");
        Path utf32 = twoShards("{\0\0\0\0\0\0\0\"weight_map\": {}}"); // Jackson guesses UTF-32 (fuzzing found it)
        assertMessage(() -> ModelLoader.load(utf32), "model.safetensors.index.json is not UTF-8 JSON");
    }

    @Test
    void anIndexLargerThan16MiBIsRefusedBeforeItIsRead() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("huge"));
        try (RandomAccessFile f = new RandomAccessFile(folder.resolve("model.safetensors.index.json").toFile(), "rw")) {
            f.setLength((16L << 20) + 1); // sparse: nothing is written
        }
        assertMessage(() -> ModelLoader.load(folder), "model.safetensors.index.json is 16777217 bytes, more than the"
                + " 16777216 bytes (16 MiB) an index of shards may have");
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /** A folder with the CIFAR-10 model's config.json and preprocessor_config.json. */
    private Path folderWithConfigs(String name) throws IOException {
        Path hfFolder = shared("models/simplevit-cifar10/hf");
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(hfFolder.resolve("config.json"), folder.resolve("config.json"));
        Files.copy(hfFolder.resolve("preprocessor_config.json"), folder.resolve("preprocessor_config.json"));
        return folder;
    }

    /** one.safetensors holding a, two.safetensors holding b, and this index. */
    private Path twoShards(String indexJson) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("two-" + Integer.toHexString(indexJson.hashCode())));
        SafetensorsFiles.write(folder.resolve("one.safetensors"), Map.of("a", Nd4j.ones(2)));
        SafetensorsFiles.write(folder.resolve("two.safetensors"), Map.of("b", Nd4j.ones(3)));
        Files.writeString(folder.resolve("model.safetensors.index.json"), indexJson);
        return folder;
    }

    private static Map<String, INDArray> tensorsOf(Path file) throws IOException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (WeightsFile w = WeightsFile.open(file)) {
            for (String name : w.names()) {
                out.put(name, w.load(name));
            }
        }
        return out;
    }

    /** The tensors in {@code n} consecutive runs of nearly equal length, each under its shard's file name. */
    private static Map<String, Map<String, INDArray>> split(Map<String, INDArray> tensors, int n, String pattern) {
        Map<String, Map<String, INDArray>> shards = new LinkedHashMap<>();
        List<String> names = List.copyOf(tensors.keySet());
        for (int i = 0; i < names.size(); i++) {
            String shard = String.format(pattern, 1 + i * n / names.size());
            shards.computeIfAbsent(shard, k -> new LinkedHashMap<>()).put(names.get(i), tensors.get(names.get(i)));
        }
        assertEquals(n, shards.size());
        return shards;
    }

    /** The index Hugging Face writes: metadata.total_size and weight_map. */
    private static void writeIndex(Path file, Map<String, Map<String, INDArray>> shards) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        ObjectNode map = JSON.createObjectNode();
        long bytes = 0;
        for (Map.Entry<String, Map<String, INDArray>> shard : shards.entrySet()) {
            for (Map.Entry<String, INDArray> t : shard.getValue().entrySet()) {
                map.put(t.getKey(), shard.getKey());
                bytes += 4 * t.getValue().length();
            }
        }
        index.putObject("metadata").put("total_size", bytes);
        index.set("weight_map", map);
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
    }

    private static Path shared(String relative) {
        return SharedAssets.resolve(relative);
    }
}
