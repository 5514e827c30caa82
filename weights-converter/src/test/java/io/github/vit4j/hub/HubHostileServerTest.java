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

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that stalls, lies or answers outside the Hub's protocol, against the loopback Hub: a stalled body times
 * out and resumes; more bytes than stated, an oversized JSON reply, another commit than the pinned one, malformed
 * Location and size headers are clear {@link IOException}s naming the URL and the header, and a malformed revision
 * reply counts as a failing Hub (the cached snapshot is used); server text in messages is bounded, the token never
 * shown.
 */
class HubHostileServerTest {

    private static final String OTHER = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path cache;

    private static HubSettings quick(HubTestServer server, Path cache) {
        return settings(server, cache).withDownloadTimeout(Duration.ofMillis(200));
    }

    @Test
    void aBodyThatStallsMidFileTimesOutAndTheDownloadResumesWhereItStopped() throws IOException {
        byte[] weights = cifarRepo().get("model.safetensors");
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .stall(weights, 1_000_000, 1)) {
            Path folder = Hub.of(quick(server, cache)).download(MODEL, p -> { });

            List<HubTestServer.Request> gets = server.requestsFor("/blobs/" + HubTestServer.sha256(weights));
            assertEquals(2, gets.size(), "the stalled transfer was given up and resumed");
            assertEquals("bytes=1000000-", gets.get(1).range());
            assertEquals(-1, Files.mismatch(folder.resolve("model.safetensors"), write(weights)));
        }
    }

    @Test
    void moreBytesThanTheStatedSizeAreRefusedAndThePartialFileDeleted() throws IOException {
        byte[] weights = cifarRepo().get("model.safetensors");
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .tamper("HEAD /config.json", 0, null, "Content-Length", "10")) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                    "config.json from http://127.0.0.1:", "the server sent more than 10 bytes, the size the Hub"
                    + " stated for it", "the partial file was deleted");
            server.tamper("HEAD /config.json", 0, null); // honest again
            server.tamper("/model.safetensors", 0, null, "X-Linked-Size", Integer.toString(weights.length - 1));
            assertMessage(() -> Hub.of(settings(server, cache.resolve("other"))).download(MODEL, p -> { }),
                    "model.safetensors from http://localhost:", "/blobs/" + HubTestServer.sha256(weights) + ":",
                    "more than " + (weights.length - 1) + " bytes");
        }
        try (var files = Files.walk(cache)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".incomplete")).toList());
        }
        assertFalse(Files.exists(cache.resolve("models--aaraki--vit-cifar10/snapshots/" + MAIN + "/config.json")));
        assertFalse(Files.exists(cache.resolve("other/models--aaraki--vit-cifar10/snapshots/" + MAIN
                + "/model.safetensors")));
    }

    @Test
    void aFileOfUnstatedSizeStopsAtTheBound() throws IOException {
        byte[] weights = cifarRepo().get("model.safetensors");
        String sha = HubTestServer.sha256(weights);
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            HubHttp.FileMeta unstated = new HubHttp.FileMeta(MAIN, sha, -1, server.blob(weights));
            Path incomplete = cache.resolve(sha + ".incomplete");
            IOException e = assertThrows(IOException.class, () -> new HubHttp(settings(server, cache), 1000)
                    .download(unstated, incomplete, "model.safetensors", p -> { }));
            assertTrue(e.getMessage().contains("the server sent more than 1000 bytes, the most vit4j downloads of a"
                    + " file whose size the Hub does not state"), e.getMessage());
            assertFalse(Files.exists(incomplete));

            new HubHttp(settings(server, cache), weights.length).download(unstated, incomplete, "model.safetensors",
                    p -> { });
            assertEquals(-1, Files.mismatch(incomplete, write(weights)), "up to the bound it is read to its end");
        }
    }

    @Test
    void aRevisionReplyOverSixteenMebibytesIsRefusedNamingTheUrl() throws IOException {
        byte[] huge = new byte[HubHttp.MAX_JSON_BYTES + 1];
        Arrays.fill(huge, (byte) ' ');
        byte[] reply = ("{\"sha\":\"" + MAIN + "\",\"siblings\":[]}").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(reply, 0, huge, 0, reply.length);
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .tamper("/revision/main", 0, huge)) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                    server.endpoint() + "/api/models/aaraki/vit-cifar10/revision/main answered with more than "
                    + HubHttp.MAX_JSON_BYTES + " bytes (16 MiB), the most vit4j reads of a JSON reply");
        }
    }

    @Test
    void aPinnedCommitThatTheServerAnswersWithAnotherCommitIsRefused() throws IOException {
        HubModel pinned = HubModel.parse("hf:" + REPO + "@" + OTHER);
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main", OTHER)) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(pinned, p -> { }),
                    "says that hf:aaraki/vit-cifar10@" + OTHER + " is the commit " + MAIN + ", not the pinned " + OTHER,
                    "HubSettings.endpoint " + server.endpoint() + " (HF_ENDPOINT) serves another commit");
            assertFalse(Files.exists(cache.resolve("models--aaraki--vit-cifar10/snapshots")));
        }
    }

    @Test
    void aFileAtAnotherCommitThanAskedIsRefused() throws IOException {
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .tamper("/config.json", 0, null, "X-Repo-Commit", OTHER)) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                    "(config.json of hf:aaraki/vit-cifar10@main) is at the commit " + OTHER + ", not " + MAIN);
        }
    }

    @Test
    void malformedLocationAndSizeHeadersAreDownloadErrorsNamingTheHeader() throws IOException {
        String[][] cases = {
            {"Location", "http://[::1", "redirected to a Location that is not a URL (\"http://[::1\")"},
            {"Location", "file:///etc/passwd", "redirected to \"file:///etc/passwd\" (Location), not an http(s)"},
            {"Location", "ftp://localhost/x", "redirected to \"ftp://localhost/x\" (Location), not an http(s)"},
            {"X-Linked-Size", "lots", "(model.safetensors) gave the size X-Linked-Size: \"lots\", expected a whole"},
            {"X-Linked-Size", "-5", "(model.safetensors) gave the size X-Linked-Size: \"-5\", expected a whole"},
        };
        for (String[] c : cases) {
            try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                    .tamper("/model.safetensors", 0, null, c[0], c[1])) {
                assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                        server.endpoint() + "/aaraki/vit-cifar10/resolve/" + MAIN + "/model.safetensors", c[2]);
            }
        }
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .tamper("HEAD /config.json", 0, null, "Content-Length", "12x")) {
            assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }), "the reply of "
                    + server.endpoint() + "/aaraki/vit-cifar10/resolve/" + MAIN + "/config.json has a Content-Length"
                    + " that is not a number (For input string: \"12x\")");
        }
    }

    @Test
    void aMalformedRevisionReplyCountsAsAFailingHubSoTheCachedSnapshotIsUsed() throws IOException {
        byte[][] bodies = {null, "<html>sign in to the Wi-Fi</html>".getBytes(StandardCharsets.UTF_8)};
        int[] statuses = {302, 0};
        for (int i = 0; i < bodies.length; i++) {
            try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                    .tamper("/revision/main", statuses[i], bodies[i], "Location", "http://[bad")) {
                assertMessage(() -> Hub.of(settings(server, cache)).download(MODEL, p -> { }),
                        "the Hub at " + server.endpoint() + " is failing (",
                        "hf:aaraki/vit-cifar10@main is not in the cache");
            }
        }
        Path folder;
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
        }
        for (int i = 0; i < bodies.length; i++) {
            try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                    .tamper("/revision/main", statuses[i], bodies[i], "Location", "http://[bad")) {
                assertEquals(folder, Hub.of(settings(server, cache)).download(MODEL, p -> { }));
            }
        }
    }

    @Test
    void aHubThatClosesTheConnectionWithoutAnAnswerCountsAsUnreachableSoTheCachedSnapshotIsUsed()
            throws IOException, InterruptedException {
        Path folder;
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")) {
            folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
        }
        try (ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                while (!mute.isClosed()) {
                    try (Socket s = mute.accept()) {
                        s.getInputStream().read(); // the request has begun; close without a byte of answer
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            closer.start();
            HubSettings muteHub = new HubSettings(URI.create("http://127.0.0.1:" + mute.getLocalPort()), cache,
                    Optional.empty(), false);
            assertEquals(folder, Hub.of(muteHub).download(MODEL, p -> { }));
            assertMessage(() -> Hub.of(muteHub).download(HubModel.parse("hf:" + REPO + "@v2"),
                    p -> { }), "the Hub at " + muteHub.endpoint() + " cannot be reached (no answer from",
                    "hf:aaraki/vit-cifar10@v2 is not in the cache");
            mute.close();
            closer.join();
        }
    }

    @Test
    void aFileOfZeroBytesIsCachedAsAnEmptyFile() throws IOException {
        java.util.Map<String, byte[]> repo = new java.util.LinkedHashMap<>(cifarRepo());
        repo.put("preprocessor_config.json", new byte[0]);
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, repo, "main")) {
            Path folder = Hub.of(settings(server, cache)).download(MODEL, p -> { });
            assertEquals(0, Files.size(folder.resolve("preprocessor_config.json")));
        }
    }

    @Test
    void aStatusLineOfEscapesAndTheTokenReachesTheMessageEscapedAndRedacted() throws Exception {
        String token = "hf_SecretTokenValue0123456789";
        try (ServerSocket liar = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answerer = new Thread(() -> {
                while (!liar.isClosed()) {
                    try (Socket s = liar.accept()) {
                        s.getInputStream().read();
                        s.getOutputStream().write(("X\u001b[31mEVIL\u009b " + token + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            answerer.start();
            HubSettings hub = new HubSettings(URI.create("http://127.0.0.1:" + liar.getLocalPort()), cache,
                    Optional.of(token), false);
            IOException e = assertThrows(IOException.class, () -> Hub.of(hub).download(MODEL, p -> { }));
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(t.getMessage().contains(token), t.getMessage());
                assertTrue(t.getMessage().chars().noneMatch(c -> Character.isISOControl(c)), t.getMessage());
            }
            liar.close();
            answerer.join();
        }
    }

    @Test
    void serverTextInMessagesIsBoundedAndAnEchoedTokenIsNotShown() throws IOException {
        String token = "hf_SecretTokenValue0123456789";
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main").requireToken("hf_x")
                .tamper("/revision/main", 0, null, "X-Error-Message", "bad token " + token + " " + "x".repeat(5000))) {
            IOException e = assertThrows(IOException.class, () -> Hub.of(settings(server, cache)
                    .withToken(Optional.of(token))).download(MODEL, p -> { }));
            assertFalse(e.getMessage().contains(token), e.getMessage());
            assertTrue(e.getMessage().contains("(\"bad token <the token> xxx"), e.getMessage());
            assertTrue(e.getMessage().contains("… (5022 characters)"), e.getMessage());
            assertTrue(e.getMessage().length() < 1000, e.getMessage());
        }
    }

    @Test
    void controlAndBidiCharactersFromTheServerReachMessagesEscaped() throws IOException {
        String hostile = "\\u001b[2J\\u009b31m\\u202eevil\\ud800"; // JSON escapes: the reply is valid JSON
        try (HubTestServer server = new HubTestServer(REPO).commit(MAIN, cifarRepo(), "main")
                .tamper("/revision/main", 200, ("{\"sha\": \"" + hostile + "\", \"siblings\": []}")
                        .getBytes(StandardCharsets.UTF_8))) {
            IOException e = assertThrows(IOException.class, () -> Hub.of(settings(server, cache)).download(MODEL,
                    p -> { }));
            assertTrue(e.getMessage().contains("\\u009B31m\\u202Eevil"), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(c -> Character.isISOControl(c)
                    || Character.getType(c) == Character.FORMAT || Character.isSurrogate((char) c)), e.getMessage());
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
