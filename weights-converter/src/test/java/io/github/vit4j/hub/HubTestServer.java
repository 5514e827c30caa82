package io.github.vit4j.hub;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A loopback stand-in for the Hugging Face Hub speaking the protocol {@code huggingface_hub} relies on: the
 * revision API ({@code /api/models/{repo}/revision/{rev}}: {@code sha} and {@code siblings}), {@code resolve} URLs
 * answering HEAD and GET with {@code X-Repo-Commit} and {@code ETag} (git-style ids for small files), and, for
 * {@code .safetensors} / {@code .bin} files, a 302 to a second server (the "CDN", reached as {@code localhost} while
 * the Hub is {@code 127.0.0.1}) with {@code X-Linked-Etag} (the SHA-256) and {@code X-Linked-Size}; the CDN honours
 * {@code Range}. Every request is logged, with its Authorization and Range headers, and the server can require a
 * token, refuse with 403 (or any status for one file), cut a file's first transfer short, stall it or serve it
 * slowly, and answer chosen requests with a tampered status, headers or body (a hostile or broken server).
 */
public final class HubTestServer implements AutoCloseable {

    private record Tamper(int status, byte[] body, Map<String, String> headers) {
    }

    /** One request as the servers saw it. */
    public record Request(String server, String method, String path, String authorization, String range) {
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, Map<String, byte[]>> commits = new ConcurrentHashMap<>(); // commit -> file -> bytes
    private final Map<String, String> refs = new ConcurrentHashMap<>();                 // revision -> commit
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();                // sha256 -> bytes
    private final Map<String, int[]> cuts = new ConcurrentHashMap<>();                  // sha256 -> {at byte, times}
    private final Map<String, int[]> stalls = new ConcurrentHashMap<>();                // sha256 -> {at byte, times}
    private final Map<String, Tamper> tampered = new ConcurrentHashMap<>();             // path suffix -> reply
    private final CountDownLatch closed = new CountDownLatch(1);
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final Map<String, Integer> refusedFiles = new ConcurrentHashMap<>();        // file -> status
    private final List<Request> log = Collections.synchronizedList(new ArrayList<>());
    private final String repo;
    private volatile Optional<String> requiredToken = Optional.empty();
    private volatile boolean gated;
    private volatile int failing;
    private volatile long slowMillis;

    /** A server for the one repository {@code repo}, empty until commits are added. */
    public HubTestServer(String repo) throws IOException {
        this.repo = repo;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(handlers); // a stalled transfer does not hold up the others
        cdn.setExecutor(handlers);
        hub.start();
        cdn.start();
    }

    /** The Hub's address, for {@link HubSettings#endpoint()}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds a commit holding {@code files}, reachable by its hash and by each of {@code revisions}. */
    public HubTestServer commit(String commit, Map<String, byte[]> files, String... revisions) {
        commits.put(commit, new LinkedHashMap<>(files));
        for (String r : revisions) {
            refs.put(r, commit);
        }
        files.values().forEach(b -> blobs.put(sha256(b), b));
        return this;
    }

    /** Requests without {@code Bearer token} get 401. */
    HubTestServer requireToken(String token) {
        requiredToken = Optional.of(token);
        return this;
    }

    /** Every request to the repository gets 403, as a gated repository whose conditions were not accepted. */
    HubTestServer gated() {
        gated = true;
        return this;
    }

    /** The next {@code times} CDN transfers of {@code content} stop at byte {@code at}, the connection closed. */
    HubTestServer cut(byte[] content, int at, int times) {
        cuts.put(sha256(content), new int[] {at, times});
        return this;
    }

    /**
     * The next {@code times} CDN transfers of {@code content} send the bytes up to {@code at}, then nothing until
     * the server closes (or 10 s pass), then the rest.
     */
    HubTestServer stall(byte[] content, int at, int times) {
        stalls.put(sha256(content), new int[] {at, times});
        return this;
    }

    /**
     * Hub replies to requests whose path ends with {@code suffix} (HEAD requests only if it starts "HEAD ") get
     * {@code status} (0: the usual one),
     * {@code body} (null: the usual one) and the {@code headers} given as name, value, ... over the usual ones.
     */
    HubTestServer tamper(String suffix, int status, byte[] body, String... headers) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i], headers[i + 1]);
        }
        tampered.put(suffix, new Tamper(status, body, map));
        return this;
    }

    /** The CDN's address of {@code content}'s bytes. */
    URI blob(byte[] content) {
        return URI.create("http://localhost:" + cdn.getAddress().getPort() + "/blobs/" + sha256(content));
    }

    /** Every Hub request gets {@code status} (a 5xx: the Hub is having trouble). */
    HubTestServer failing(int status) {
        failing = status;
        return this;
    }

    /** Every request for {@code file} at any commit gets {@code status}; 0 serves it again. */
    HubTestServer refuse(String file, int status) {
        if (status == 0) {
            refusedFiles.remove(file);
        } else {
            refusedFiles.put(file, status);
        }
        return this;
    }

    /** Each CDN transfer pauses {@code millis} halfway. */
    HubTestServer slow(long millis) {
        slowMillis = millis;
        return this;
    }

    public List<Request> requests() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** The requests whose path ends with {@code suffix}, on either server. */
    List<Request> requestsFor(String suffix) {
        return requests().stream().filter(r -> r.path().endsWith(suffix)).collect(Collectors.toList());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String gitId(byte[] bytes) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1.digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange x) {
        log.add(new Request(server, x.getRequestMethod(), x.getRequestURI().getRawPath(),
                x.getRequestHeaders().getFirst("Authorization"), x.getRequestHeaders().getFirst("Range")));
    }

    private void hub(HttpExchange x) throws IOException {
        try (x) {
            record("hub", x);
            if (failing != 0) {
                error(x, failing, "", "Service Unavailable");
                return;
            }
            String path = x.getRequestURI().getRawPath();
            String api = "/api/models/" + repo + "/revision/";
            String resolve = "/" + repo + "/resolve/";
            if (!path.startsWith(api) && !path.startsWith(resolve)) {
                error(x, 404, "RepoNotFound", "Repository Not Found");
                return;
            }
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (requiredToken.isPresent() && !("Bearer " + requiredToken.get()).equals(auth)) {
                error(x, 401, "RepoNotFound", "Invalid credentials in Authorization header");
                return;
            }
            if (gated) {
                error(x, 403, "GatedRepo", "Access to this model is restricted");
                return;
            }
            if (path.startsWith(api)) {
                String commit = commitOf(decode(path.substring(api.length())));
                if (commit == null) {
                    error(x, 404, "RevisionNotFound", "Invalid rev id");
                    return;
                }
                String siblings = commits.get(commit).keySet().stream()
                        .map(f -> "{\"rfilename\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(f))
                                + "\"}").collect(Collectors.joining(","));
                send(x, 200, ("{\"id\":\"" + repo + "\",\"sha\":\"" + commit + "\",\"siblings\":[" + siblings
                        + "]}").getBytes(StandardCharsets.UTF_8));
                return;
            }
            String rest = path.substring(resolve.length());
            int slash = rest.indexOf('/');
            String commit = commitOf(decode(rest.substring(0, slash)));
            String file = decode(rest.substring(slash + 1));
            if (refusedFiles.containsKey(file)) {
                error(x, refusedFiles.get(file), "", "Refused by the test");
                return;
            }
            byte[] bytes = commit == null ? null : commits.get(commit).get(file);
            if (bytes == null) {
                error(x, 404, commit == null ? "RevisionNotFound" : "EntryNotFound", "Entry not found");
                return;
            }
            x.getResponseHeaders().set("X-Repo-Commit", commit);
            if (file.endsWith(".safetensors") || file.endsWith(".bin")) {
                String sha = sha256(bytes);
                x.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                x.getResponseHeaders().set("X-Linked-Size", Long.toString(bytes.length));
                x.getResponseHeaders().set("ETag", "\"" + gitId(sha.getBytes(StandardCharsets.UTF_8)) + "\"");
                x.getResponseHeaders().set("Location", "http://localhost:" + cdn.getAddress().getPort()
                        + "/blobs/" + sha + "?signature=abc");
                send(x, 302, null);
                return;
            }
            x.getResponseHeaders().set("ETag", "\"" + gitId(bytes) + "\"");
            send(x, 200, bytes);
        }
    }

    private void cdn(HttpExchange x) throws IOException {
        try (x) {
            record("cdn", x);
            String sha = x.getRequestURI().getRawPath().replaceFirst("^/blobs/", "");
            byte[] bytes = blobs.get(sha);
            if (bytes == null) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            int from = 0;
            String range = x.getRequestHeaders().getFirst("Range");
            if (range != null) {
                from = Integer.parseInt(range.replaceAll("^bytes=(\\d+)-$", "$1"));
                x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/"
                        + bytes.length);
            }
            x.sendResponseHeaders(range != null ? 206 : 200, bytes.length - from);
            OutputStream out = x.getResponseBody();
            int[] cut = cuts.computeIfPresent(sha, (k, v) -> v[1] > 0 ? new int[] {v[0], v[1] - 1} : null);
            int[] stall = stalls.computeIfPresent(sha, (k, v) -> v[1] > 0 ? new int[] {v[0], v[1] - 1} : null);
            int first = cut != null ? Math.max(0, cut[0] - from) : stall != null ? Math.max(0, stall[0] - from)
                    : (bytes.length - from) / 2;
            out.write(bytes, from, first);
            out.flush();
            if (cut != null) {
                return; // closing with bytes missing drops the connection
            }
            if (stall != null) {
                await(closed);
            } else {
                sleep(slowMillis);
            }
            try {
                out.write(bytes, from + first, bytes.length - from - first);
            } catch (IOException e) {
                // the client gave up on a stalled transfer
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String commitOf(String revision) {
        return commits.containsKey(revision) ? revision : refs.get(revision);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private void error(HttpExchange x, int status, String code, String message) throws IOException {
        x.getResponseHeaders().set("X-Error-Code", code);
        x.getResponseHeaders().set("X-Error-Message", message);
        send(x, status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a reply ({@code body} null: none), as {@link #tamper} says where it applies. */
    private void send(HttpExchange x, int status, byte[] body) throws IOException {
        boolean head = x.getRequestMethod().equals("HEAD");
        if (head && body != null) {
            x.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
        }
        String path = x.getRequestURI().getRawPath();
        for (Map.Entry<String, Tamper> t : tampered.entrySet()) {
            boolean headOnly = t.getKey().startsWith("HEAD ");
            if (path.endsWith(t.getKey().substring(headOnly ? 5 : 0)) && (head || !headOnly)) {
                t.getValue().headers().forEach((name, value) -> x.getResponseHeaders().set(name, value));
                status = t.getValue().status() != 0 ? t.getValue().status() : status;
                body = t.getValue().body() != null ? t.getValue().body() : body;
            }
        }
        if (head || body == null) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed.countDown();
        hub.stop(0);
        cdn.stop(0);
        handlers.shutdownNow();
    }
}
