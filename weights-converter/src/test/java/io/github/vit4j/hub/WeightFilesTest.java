package io.github.vit4j.hub;

import static io.github.vit4j.hub.HubDownloadTest.MAIN;
import static io.github.vit4j.hub.HubDownloadTest.MODEL;
import static io.github.vit4j.hub.HubDownloadTest.REPO;
import static io.github.vit4j.hub.HubDownloadTest.cifarRepo;
import static io.github.vit4j.hub.HubDownloadTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shards a downloaded index names are checked by the rule the loader applies ({@code ModelLoader.shardsOf}):
 * a shard name holding a NUL or a drive letter's ':' is refused, naming the index and the name (escaped), before
 * anything else is fetched, even where the repository lists a file of that name.
 */
class WeightFilesTest {

    @TempDir
    Path dir;

    @Test
    void aDownloadedIndexNamingAShardWithANulOrADriveLetterIsRefusedNamingTheIndexBeforeAnyShardIsFetched()
            throws IOException {
        for (String shard : List.of("a\0.safetensors", "D:x.safetensors")) {
            Path cache = dir.resolve(Integer.toString(shard.length()));
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("config.json", cifarRepo().get("config.json"));
            files.put("model.safetensors.index.json", new ObjectMapper().writeValueAsBytes(
                    Map.of("weight_map", Map.of("w", shard))));
            files.put(shard, "a shard".getBytes(StandardCharsets.UTF_8));
            try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")) {
                IOException e = assertThrows(IOException.class, () -> Hub.of(settings(server, cache))
                        .download(MODEL, p -> { }), shard);
                Path index = cache.resolve("models--aaraki--vit-cifar10/snapshots/" + MAIN
                        + "/model.safetensors.index.json");
                assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
                String shown = new ObjectMapper().writeValueAsString(shard);
                assertTrue(e.getMessage().contains(shown + ", which is not a plain file name beside the index"),
                        e.getMessage() + "\nexpected to contain " + shown);
                assertEquals(List.of(), server.requestsFor("x.safetensors"));
                assertEquals(List.of(), server.requestsFor("a%00.safetensors"));
            }
            try (var all = Files.walk(dir)) {
                assertTrue(all.noneMatch(p -> p.getFileName().toString().contains("x.safetensors")));
            }
        }
    }
}
