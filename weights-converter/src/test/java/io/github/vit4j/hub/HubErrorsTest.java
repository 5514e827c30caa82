package io.github.vit4j.hub;

import static io.github.vit4j.hub.HubDownloadTest.MAIN;
import static io.github.vit4j.hub.HubDownloadTest.MODEL;
import static io.github.vit4j.hub.HubDownloadTest.REPO;
import static io.github.vit4j.hub.HubDownloadTest.cifarRepo;
import static io.github.vit4j.hub.HubDownloadTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong between vit4j and the Hub, against the loopback Hub: cut connections (resumed with Range; a file
 * that never completes is kept to resume and never used), tokens (401 without one or with a bad one, 403 for a
 * gated repository, the token never sent to the CDN), unknown repositories and revisions, repositories without
 * weights vit4j reads, and a Hub that cannot be reached, with and without a cached copy.
 */
class HubErrorsTest {

    @TempDir
    Path cache;

    @Test
    void aConnectionCutMidFileIsResumedFromWhereItStopped() throws IOException {
        byte[] weights = cifarRepo().get("model.safetensors");
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .cut(weights, 1_000_000, 1)) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });

            List<HubTestServer.Request> gets = server.requestsFor("/blobs/" + HubTestServer.sha256(weights));
            assertEquals(2, gets.size());
            long resumedAt = Long.parseLong(gets.get(1).range().replaceAll("^bytes=(\\d+)-$", "$1"));
            // what arrived before the cut: at most the bytes sent (a reset connection may lose the last ones)
            assertTrue(resumedAt > 0 && resumedAt <= 1_000_000, gets.get(1).range());
            assertEquals(-1, Files.mismatch(folder.resolve("model.safetensors"), write(weights)));
        }
    }

    @Test
    void aDownloadThatNeverCompletesIsNeverUsedAndTheNextCallResumesIt() throws IOException {
        byte[] weights = cifarRepo().get("model.safetensors");
        String sha = HubTestServer.sha256(weights);
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .cut(weights, 1_000_000, HubHttp.MAX_ATTEMPTS)) {
            Hub hub = Hub.of(settings(server, cache));
            Path repoFolder = cache.resolve("models--aaraki--vit-cifar10");
            Path incomplete = repoFolder.resolve("blobs/" + sha + ".incomplete");
            IOException e = assertThrows(IOException.class, () -> hub.download(MODEL, p -> { }));
            long kept = Files.size(incomplete);
            assertTrue(kept > 0 && kept <= 1_000_000, "kept " + kept);
            for (String part : new String[] {"model.safetensors from localhost: the download stopped at " + kept
                    + " of " + weights.length + " bytes after 5 attempts",
                "is kept, never used, and the next download resumes it"}) {
                assertTrue(e.getMessage().contains(part), e.getMessage());
            }
            assertFalse(Files.exists(repoFolder.resolve("snapshots/" + MAIN + "/model.safetensors")));
            assertFalse(Files.exists(repoFolder.resolve("blobs/" + sha)));

            Path folder = hub.download(MODEL, p -> { });
            List<HubTestServer.Request> gets = server.requestsFor("/blobs/" + sha);
            assertEquals("bytes=" + kept + "-", gets.get(gets.size() - 1).range());
            assertEquals(-1, Files.mismatch(folder.resolve("model.safetensors"), write(weights)));
            assertFalse(Files.exists(repoFolder.resolve("blobs/" + sha + ".incomplete")));
        }
    }

    @Test
    void withoutATokenA401SaysToSetHfTokenAndABadTokenIsCalledSo() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .requireToken("hf_right")) {
            HubSettings anonymous = settings(server, cache);
            assertMessage(() -> Hub.of(anonymous).download(MODEL, p -> { }), "aaraki/vit-cifar10 is not on "
                    + server.endpoint() + ", or it is private or gated (401 Unauthorized without a token)",
                    "set HF_TOKEN");
            assertMessage(() -> Hub.of(anonymous.withToken(Optional.of("hf_wrong"))).download(MODEL, p -> { }),
                    "refused the token for aaraki/vit-cifar10 (401 Unauthorized)", "HF_TOKEN");
            assertFalse(server.requests().isEmpty());
            assertFalse(Files.exists(cache.resolve("models--aaraki--vit-cifar10/snapshots")));
        }
    }

    @Test
    void theTokenGoesToTheHubButNeverAlongTheRedirectToAnotherHost() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .requireToken("hf_right")) {
            Path folder = Hub.of(settings(server, cache).withToken(Optional.of("hf_right"))).download(MODEL, p -> { });

            assertTrue(Files.exists(folder.resolve("model.safetensors")));
            List<HubTestServer.Request> hub = server.requests().stream().filter(r -> r.server().equals("hub"))
                    .toList();
            List<HubTestServer.Request> cdn = server.requests().stream().filter(r -> r.server().equals("cdn"))
                    .toList();
            assertEquals(1, cdn.size(), "the weights came from the other host");
            assertTrue(hub.stream().allMatch(r -> "Bearer hf_right".equals(r.authorization())), hub.toString());
            assertEquals(null, cdn.get(0).authorization(), "the Authorization header was dropped");
        }
    }

    @Test
    void aGatedRepositorySaysToRequestAccess() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main").gated()) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                    "access to aaraki/vit-cifar10 was refused (403 Forbidden)", "gated or private",
                    "request access on " + server.endpoint() + "/aaraki/vit-cifar10", "HF_TOKEN");
        }
    }

    @Test
    void anUnknownRepositoryOrRevisionIsNamed() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            Hub hub = Hub.of(settings(server, cache));
            assertMessage(() -> hub.download(HubModel.parse("hf:someone/nothing"), p -> { }),
                    "there is no model repository someone/nothing on " + server.endpoint() + ": check the id",
                    "(404 Not Found)");
            assertMessage(() -> hub.download(HubModel.parse("hf:" + REPO + "@nope"), p -> { }),
                    "aaraki/vit-cifar10 has no revision nope: give a branch, tag", "(404 Not Found)");
        }
    }

    @Test
    void aRepositoryWithoutWeightsVit4jReadsIsRefusedBeforeAnyDownload() throws IOException {
        Map<String, byte[]> files = Map.of("config.json", cifarRepo().get("config.json"),
                "tf_model.h5", "HDF5".getBytes(StandardCharsets.UTF_8));
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, files, "main")) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> Hub.of(settings(server, cache)).download(MODEL, p -> { }));
            assertTrue(e.getMessage().contains("hf:aaraki/vit-cifar10@main (commit " + MAIN + ") has no weights in a"
                    + " format vit4j reads: expected one of [model.safetensors, model.safetensors.index.json,"
                    + " pytorch_model.bin, pytorch_model.bin.index.json, open_clip_model.safetensors,"
                    + " open_clip_pytorch_model.bin], found [config.json, tf_model.h5]"),
                    e.getMessage());
            assertEquals(1, server.requests().size(), "only the file list was asked for");
        }
    }

    @Test
    void anUnreachableHubUsesTheCacheOrSaysHowToWorkOffline() throws IOException {
        URI closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        HubSettings down = new HubSettings(closed, cache, Optional.empty(), false);
        assertMessage(() -> Hub.of(down).download(MODEL, p -> { }), "the Hub at " + closed + " cannot be reached",
                "hf:aaraki/vit-cifar10@main is not in the cache " + cache, "set HF_HUB_OFFLINE=1");

        Path folder;
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
        }
        assertEquals(folder, Hub.of(down).download(MODEL, p -> { }), "the cached snapshot of main");
    }

    @Test
    void aHubWithAServerErrorUsesTheCacheOrSaysToTryAgainLater() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main").failing(503)) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }), "answered 503",
                    "try again later", "is not in the cache " + cache);
        }
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
            server.failing(503);
            assertEquals(folder, Hub.of(settings(server, cache)).download(MODEL, p -> { }));
        }
    }

    private Path write(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(cache, "expected", ".bin"), bytes);
    }

    private static void assertMessage(Executable call, String... parts) {
        IOException e = assertThrows(IOException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
        }
    }
}
