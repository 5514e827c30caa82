package io.github.vit4j.hub;

import static io.github.vit4j.hub.HubDownloadTest.MAIN;
import static io.github.vit4j.hub.HubDownloadTest.MODEL;
import static io.github.vit4j.hub.HubDownloadTest.REPO;
import static io.github.vit4j.hub.HubDownloadTest.cifarRepo;
import static io.github.vit4j.hub.HubDownloadTest.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * When a cached snapshot is used without asking the Hub (offline, a pinned commit, the Hub failing): only when it
 * holds every file the model needs or huggingface_hub's record ({@code .no_exist/<commit>/<file>}) that the
 * repository lacks it; and never through a ref file or a snapshot entry that points out of the cache.
 */
class HubSnapshotTest {

    private static final String REPO_FOLDER = "models--aaraki--vit-cifar10";

    @TempDir
    Path cache;

    @Test
    void aDownloadCutBeforePreprocessorConfigIsNotUsedOfflineAndAPinnedCommitFetchesWhatIsMissing()
            throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .refuse("preprocessor_config.json", 500)) {
            assertThrows(IOException.class, () -> Hub.of(settings(server, cache)).download(MODEL, p -> { }));
            Path snapshot = cache.resolve(REPO_FOLDER).resolve("snapshots").resolve(MAIN);
            assertTrue(Files.exists(snapshot.resolve("model.safetensors"))
                    && Files.exists(snapshot.resolve("config.json")), "the run stopped after these two");

            Hub offline = Hub.of(settings(server, cache).withOffline(true));
            IOException e = assertThrows(IOException.class, () -> offline.download(MODEL, p -> { }));
            assertTrue(e.getMessage().contains("lacks preprocessor_config.json"), e.getMessage());

            server.refuse("preprocessor_config.json", 0);
            Path folder = Hub.of(settings(server, cache)).download(HubModel.parse("hf:" + REPO + "@" + MAIN),
                    p -> { });
            assertEquals(snapshot, folder);
            assertArrayEquals(cifarRepo().get("preprocessor_config.json"),
                    Files.readAllBytes(folder.resolve("preprocessor_config.json")));
            assertEquals(1, server.requestsFor("/blobs/" + HubTestServer.sha256(cifarRepo().get("model.safetensors")))
                    .size(), "the weights already there are not fetched again");
            assertEquals(folder, offline.download(MODEL, p -> { }));
        }
    }

    @Test
    void aRepositoryWithoutPreprocessorConfigIsCompleteWithHuggingFaceHubsNoExistRecord() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>(cifarRepo());
        files.remove("preprocessor_config.json");
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
            Path record = cache.resolve(REPO_FOLDER).resolve(".no_exist").resolve(MAIN)
                    .resolve("preprocessor_config.json");
            assertTrue(Files.isRegularFile(record) && Files.size(record) == 0, "huggingface_hub's empty marker");
            assertFalse(Files.exists(cache.resolve(REPO_FOLDER).resolve(".no_exist").resolve(MAIN)
                    .resolve("config.json")), "only what the repository lacks");

            int before = server.requests().size();
            assertEquals(folder, Hub.of(settings(server, cache).withOffline(true)).download(MODEL, p -> { }));
            assertEquals(folder, Hub.of(settings(server, cache)).download(HubModel.parse("hf:" + REPO + "@" + MAIN),
                    p -> { }));
            assertEquals(before, server.requests().size(), "complete: a pinned commit asks nothing");
        }
    }

    @Test
    void aRefFileThatIsNotACommitIsRefusedNamingItNotFollowedOutOfTheCache() throws IOException {
        Path outside = Files.createDirectories(cache.resolve("x")); // models--…/snapshots/../../x
        for (Map.Entry<String, byte[]> f : cifarRepo().entrySet()) {
            Files.write(outside.resolve(f.getKey()), f.getValue());
        }
        Files.createDirectories(cache.resolve(REPO_FOLDER).resolve("snapshots"));
        Path ref = Files.createDirectories(cache.resolve(REPO_FOLDER).resolve("refs")).resolve("main");
        try (HubTestServer server = new HubTestServer(REPO)) {
            Hub offline = Hub.of(settings(server, cache).withOffline(true));
            for (String content : List.of("../../x", "0123\u001b[2J", MAIN + "0", MAIN.toUpperCase())) {
                Files.writeString(ref, content, StandardCharsets.UTF_8);
                IOException e = assertThrows(IOException.class, () -> offline.download(MODEL, p -> { }), content);
                assertTrue(e.getMessage().contains(ref.toString()) && e.getMessage().contains("40 hex digits"),
                        e.getMessage());
                assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
            }
            assertEquals(List.of(), server.requests());
        }
    }

    @Test
    void aSnapshotEntryLinkingOutOfTheCacheIsRefusedNamingItAndWhereItPoints() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
            Path secret = Files.writeString(Files.createTempFile("secret", ".safetensors"), "not the cache's");
            try {
                Path entry = folder.resolve("model.safetensors");
                Files.delete(entry);
                Files.createSymbolicLink(entry, secret);
                Hub offline = Hub.of(settings(server, cache).withOffline(true));
                IOException e = assertThrows(IOException.class, () -> offline.download(MODEL, p -> { }));
                assertTrue(e.getMessage().contains(entry.toString()) && e.getMessage().contains(secret.toString())
                        && e.getMessage().contains("outside the cache"), e.getMessage());
                e = assertThrows(IOException.class, () -> Hub.of(settings(server, cache)).download(MODEL, p -> { }));
                assertTrue(e.getMessage().contains("outside the cache"), e.getMessage());
            } finally {
                Files.delete(secret);
            }
        }
    }
}
