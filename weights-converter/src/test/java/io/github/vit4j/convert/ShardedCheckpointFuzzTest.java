package io.github.vit4j.convert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the index of a sharded checkpoint ({@code model.safetensors.index.json}): the same
 * bytes through {@link ModelLoader#shardsOf} (what the Hub download fetches) and {@link ShardedCheckpoint#open} (the
 * weight map against two real shards beside it, then every tensor loaded). Any index gives its shards and tensors
 * or a {@link io.github.vit4j.format.ModelFormatException} naming the index. Seeds in
 * {@code ShardedCheckpointFuzzTestInputs/}: a real index, shard names that are paths, drive letters, controls or
 * device names, tensors listed twice or in the wrong shard, a missing shard, bad JSON.
 */
class ShardedCheckpointFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("shards-fuzz");

    static {
        try { // the shards a real index names: a [2] in the first, b [3] in the second
            SafetensorsFiles.write(DIR.resolve("model-00001-of-00002.safetensors"), "{\"a\":{\"dtype\":\"F32\","
                    + "\"shape\":[2],\"data_offsets\":[0,8]}}", SafetensorsFiles.floats(1, 2));
            SafetensorsFiles.write(DIR.resolve("model-00002-of-00002.safetensors"), "{\"b\":{\"dtype\":\"F32\","
                    + "\"shape\":[3],\"data_offsets\":[0,12]}}", SafetensorsFiles.floats(3, 4, 5));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void anyIndexIsShardsOrANamedRefusal(byte[] bytes) {
        Path index = FuzzedFiles.write(DIR, "model.safetensors.index.json", bytes);
        FuzzedFiles.readOrRefuseClearly(index, ModelLoader::shardsOf);
        FuzzedFiles.readOrRefuseClearly(index, file -> {
            try (ShardedCheckpoint checkpoint = ShardedCheckpoint.open(file)) {
                for (String name : checkpoint.names()) {
                    checkpoint.load(name);
                }
            }
        });
    }
}
