package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.model.Pretrained;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Hub#download} against a loopback Hub ({@link HubTestServer}) serving the CIFAR-10 model's files from
 * ../shared: what lands in the cache (huggingface_hub's layout, byte for byte the served files), which requests are
 * made (none for a cached commit or offline), revisions of every kind, a PyTorch-only repository, and two downloads
 * of one file at once.
 */
class HubDownloadTest {

    static final String REPO = "aaraki/vit-cifar10";
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String PR = "fedcba9876543210fedcba9876543210fedcba98";
    static final HubModel MODEL = HubModel.parse("hf:" + REPO);

    @TempDir
    Path cache;

    /** The CIFAR-10 model's Hugging Face files, plus a README that nobody needs. */
    static Map<String, byte[]> cifarRepo() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : List.of("config.json", "preprocessor_config.json", "model.safetensors")) {
            files.put(name, read(SharedAssets.resolve("models/simplevit-cifar10/hf/" + name)));
        }
        files.put("README.md", "# a model card\n".getBytes(StandardCharsets.UTF_8));
        return files;
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HubSettings settings(HubTestServer server, Path cache) {
        return new HubSettings(server.endpoint(), cache, Optional.empty(), false);
    }

    @Test
    void downloadFillsHuggingFaceHubsCacheLayoutWithTheServedBytesAndLoads() throws IOException {
        Map<String, byte[]> files = cifarRepo();
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")) {
            List<Hub.Progress> progress = new ArrayList<>();
            Path folder = Hub.of(settings(server, cache)).download(MODEL, progress::add);

            Path repoFolder = cache.resolve("models--aaraki--vit-cifar10");
            assertEquals(repoFolder.resolve("snapshots").resolve(MAIN), folder);
            assertEquals(MAIN, Files.readString(repoFolder.resolve("refs/main")));
            Path weights = folder.resolve("model.safetensors");
            String sha = HubTestServer.sha256(files.get("model.safetensors"));
            assertTrue(Files.isSymbolicLink(weights), "snapshots hold symlinks to blobs");
            assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(weights));
            for (String name : List.of("config.json", "preprocessor_config.json", "model.safetensors")) {
                assertEquals(-1, Files.mismatch(SharedAssets.resolve("models/simplevit-cifar10/hf/" + name),
                        folder.resolve(name)), name);
            }
            assertFalse(Files.exists(folder.resolve("README.md")), "only the files vit4j reads are fetched");
            assertEquals(List.of(), server.requestsFor("README.md"));
            try (Stream<Path> blobs = Files.list(repoFolder.resolve("blobs"))) {
                assertEquals(3, blobs.filter(b -> !b.toString().endsWith(".incomplete")).count());
            }
            long size = files.get("model.safetensors").length;
            assertEquals(new Hub.Progress("model.safetensors", size, size), progress.stream()
                    .filter(p -> p.file().equals("model.safetensors")).reduce((a, b) -> b).orElseThrow());

            Pretrained model = ModelLoader.load(folder);
            Pretrained shared = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
            assertEquals(shared.config(), model.config());
        }
    }

    @Test
    void aCachedCommitNeedsNoRequestAndABranchOnlyItsFileList() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            Hub hub = Hub.of(settings(server, cache));
            Path folder = hub.download(MODEL, p -> { });
            int before = server.requests().size();

            assertEquals(folder, hub.download(HubModel.parse("hf:" + REPO + "@" + MAIN), p -> { }));
            assertEquals(before, server.requests().size(), "a commit never moves: no request at all");

            assertEquals(folder, hub.download(MODEL, p -> { }));
            List<HubTestServer.Request> after = server.requests().subList(before, server.requests().size());
            assertEquals(1, after.size(), "a branch may move: one request for its commit, no download: " + after);
            assertEquals("/api/models/" + REPO + "/revision/main", after.get(0).path());
        }
    }

    @Test
    void offlineModeResolvesFromTheCacheWithoutAnyRequestAndSaysWhatIsMissing() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            Hub offline = Hub.of(settings(server, cache).withOffline(true));
            IOException e = assertThrows(IOException.class, () -> offline.download(MODEL, p -> { }));
            assertTrue(e.getMessage().contains("hf:aaraki/vit-cifar10@main is not in the Hub cache " + cache)
                    && e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
            assertEquals(List.of(), server.requests());

            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
            int before = server.requests().size();
            assertEquals(folder, offline.download(MODEL, p -> { }));
            assertEquals(before, server.requests().size());
        }
    }

    @Test
    void revisionsMayBeABranchATagACommitOrAPullRequest() throws IOException {
        Map<String, byte[]> pr = new LinkedHashMap<>(cifarRepo());
        pr.put("config.json", (new String(pr.get("config.json"), StandardCharsets.UTF_8) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main", "v1.0")
                .commit(PR, pr, "refs/pr/3")) {
            Hub hub = Hub.of(settings(server, cache));
            Path repoFolder = cache.resolve("models--aaraki--vit-cifar10");

            assertEquals(repoFolder.resolve("snapshots/" + PR), hub.download(HubModel.parse("hf:" + REPO
                    + "@refs/pr/3"), p -> { }));
            assertEquals(PR, Files.readString(repoFolder.resolve("refs/refs/pr/3")));
            assertEquals(1, server.requestsFor("/revision/refs%2Fpr%2F3").size(), "the revision is one segment");

            assertEquals(repoFolder.resolve("snapshots/" + MAIN), hub.download(HubModel.parse("hf:" + REPO
                    + "@v1.0"), p -> { }));
            assertEquals(MAIN, Files.readString(repoFolder.resolve("refs/v1.0")));
            assertEquals(repoFolder.resolve("snapshots/" + MAIN), hub.download(HubModel.parse("hf:" + REPO
                    + "@" + MAIN), p -> { }));
            assertFalse(Files.exists(repoFolder.resolve("refs/" + MAIN)), "a commit needs no ref");

            String weights = HubTestServer.sha256(cifarRepo().get("model.safetensors"));
            assertEquals(1, server.requestsFor("/blobs/" + weights).size(),
                    "the weights both commits share are downloaded once");
        }
    }

    @Test
    void aPytorchOnlyRepositoryGetsPytorchModelBinAndTrainingArgsIsNeverRequested() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", cifarRepo().get("config.json"));
        files.put("preprocessor_config.json", cifarRepo().get("preprocessor_config.json"));
        files.put("pytorch_model.bin", read(SharedAssets.resolve("models/simplevit-cifar10/pytorch/vit.pt")));
        files.put("training_args.bin", "a pickle of arbitrary objects: never open".getBytes(StandardCharsets.UTF_8));
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });

            try (Stream<Path> listed = Files.list(folder)) {
                assertEquals(List.of("config.json", "preprocessor_config.json", "pytorch_model.bin"),
                        listed.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertEquals(-1, Files.mismatch(SharedAssets.resolve("models/simplevit-cifar10/pytorch/vit.pt"),
                    folder.resolve("pytorch_model.bin")));
            assertEquals(List.of(), server.requestsFor("training_args.bin"));
            // whether vit4j reads this checkpoint is ModelLoader's business; it names the file either way
            IOException e = assertThrows(IOException.class, () -> ModelLoader.load(folder));
            assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
        }
    }

    @Test
    void aShardedCheckpointBringsItsIndexAndEveryShardAndAShardOutsideTheFolderIsRefused() throws IOException {
        String one = "model-00001-of-00002.safetensors";
        String two = "model-00002-of-00002.safetensors";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", cifarRepo().get("config.json"));
        files.put("model.safetensors.index.json", index(one, two));
        files.put(one, "shard one".getBytes(StandardCharsets.UTF_8));
        files.put(two, "shard two".getBytes(StandardCharsets.UTF_8));
        files.put("pytorch_model.bin", "the same weights, not wanted".getBytes(StandardCharsets.UTF_8));
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")
                .commit(PR, Map.of("config.json", files.get("config.json"), "model.safetensors.index.json",
                        index(one, "../../../escape.safetensors")), "refs/pr/1")) {
            Hub hub = Hub.of(settings(server, cache));
            Path folder = hub.download(MODEL, p -> { });
            try (Stream<Path> listed = Files.list(folder)) {
                assertEquals(List.of("config.json", one, two, "model.safetensors.index.json"),
                        listed.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertEquals(List.of(), server.requestsFor("pytorch_model.bin"));
            assertEquals(folder, Hub.of(settings(server, cache).withOffline(true)).download(MODEL, p -> { }),
                    "offline, the cached shards are found through the index");

            IOException e = assertThrows(IOException.class,
                    () -> hub.download(HubModel.parse("hf:" + REPO + "@refs/pr/1"), p -> { }));
            assertTrue(e.getMessage().contains("in the shard \"../../../escape.safetensors\", which is not a plain"
                    + " file name beside the index"), e.getMessage());
        }
    }

    private static byte[] index(String... shards) {
        StringBuilder map = new StringBuilder();
        for (int i = 0; i < shards.length; i++) {
            map.append(i == 0 ? "" : ",").append("\"tensor").append(i).append("\":\"").append(shards[i]).append('"');
        }
        return ("{\"metadata\":{\"total_size\":18},\"weight_map\":{" + map + "}}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void twoDownloadsOfOneFileAtOnceFetchItOnceAndBothGetTheWholeFile() throws Exception {
        Map<String, byte[]> files = cifarRepo();
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main").slow(300)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Path>> both = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    both.add(pool.submit(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { })));
                }
                Path first = both.get(0).get();
                assertEquals(first, both.get(1).get());
                assertEquals(-1, Files.mismatch(SharedAssets.resolve("models/simplevit-cifar10/hf/model.safetensors"),
                        first.resolve("model.safetensors")));
            } finally {
                pool.shutdownNow();
            }
            String sha = HubTestServer.sha256(files.get("model.safetensors"));
            assertEquals(1, server.requestsFor("/blobs/" + sha).size(), "the second waits for the first's blob");
            assertEquals(2, server.requestsFor("/revision/main").size(), "both did start");
        }
    }
}
