package io.github.vit4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hub's HTTP protocol as {@code huggingface_hub} speaks it: the file list from
 * {@code GET {endpoint}/api/models/{repo}/revision/{revision}}; a file's metadata from
 * {@code HEAD {endpoint}/{repo}/resolve/{commit}/{file}} (commit from {@code X-Repo-Commit}, blob id from
 * {@code X-Linked-Etag} else {@code ETag}, size from {@code X-Linked-Size} else {@code Content-Length}; a redirect to
 * another host is where LFS files' bytes are); the bytes by {@code GET}, resumed with {@code Range} when the
 * connection is cut. The token goes only to the endpoint's own scheme, host and port: a redirect elsewhere (the
 * CDN) is followed without it.
 */
final class HubHttp {

    static final int MAX_ATTEMPTS = 5;
    private static final int MAX_REDIRECTS = 10;
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(60);
    private static final long PROGRESS_EVERY = 1L << 20;
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,127}"); // a file name
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(HubHttp.class);

    private final HubSettings settings;
    private final HttpClient client;

    /** A revision's commit and the files of the repository at that commit. */
    record RepoInfo(String commit, List<String> files) {
    }

    /** A file's metadata: its commit, blob id, size in bytes (-1 if not stated) and where its bytes are. */
    record FileMeta(String commit, String etag, long size, URI bytes) {
    }

    /** The Hub answered a request with an error status: not worth retrying. */
    static final class RefusedException extends IOException {
        final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The endpoint could not be reached at all (refused, unknown host, timed out connecting). */
    static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(METADATA_TIMEOUT).build();
    }

    /** The commit {@code model}'s revision points to and the repository's files there. */
    RepoInfo revisionInfo(HubModel model) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + model.repo() + "/revision/"
                + segment(model.revision()));
        HttpResponse<byte[]> r = follow(request(uri, "GET").timeout(METADATA_TIMEOUT), BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw refusal(r, model, null);
        }
        JsonNode json;
        try {
            json = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IOException(uri + " answered with invalid JSON (" + e.getMessage() + "); is HubSettings.endpoint "
                    + settings.endpoint() + " a Hugging Face Hub?", e);
        }
        String commit = json.path("sha").asText();
        if (!COMMIT.matcher(commit).matches()) {
            throw new IOException(uri + " gave the commit \"" + commit + "\", expected 40 hex digits; is "
                    + settings.endpoint() + " a Hugging Face Hub?");
        }
        List<String> files = new ArrayList<>();
        for (JsonNode sibling : json.path("siblings")) {
            files.add(sibling.path("rfilename").asText());
        }
        return new RepoInfo(commit, List.copyOf(files));
    }

    /** The metadata of one file at one commit, from a HEAD request. */
    FileMeta head(HubModel model, String commit, String file) throws IOException {
        URI current = URI.create(settings.endpoint() + "/" + model.repo() + "/resolve/" + segment(commit) + "/"
                + path(file));
        for (int redirects = 0; ; redirects++) {
            HttpResponse<Void> r = send(request(current, "HEAD").timeout(METADATA_TIMEOUT).build(),
                    BodyHandlers.discarding());
            Optional<String> location = r.headers().firstValue("Location");
            if (isRedirect(r.statusCode()) && location.isPresent()) {
                URI next = current.resolve(location.get());
                if (sameOrigin(next, current) && redirects < MAX_REDIRECTS) {
                    current = next; // a renamed repository: same host, follow
                    continue;
                }
                return meta(r, next, model, file); // LFS: the metadata here, the bytes on the CDN
            }
            if (r.statusCode() != 200) {
                throw refusal(r, model, file);
            }
            return meta(r, current, model, file);
        }
    }

    private FileMeta meta(HttpResponse<?> r, URI bytes, HubModel model, String file) throws IOException {
        String commit = r.headers().firstValue("X-Repo-Commit").orElse("");
        String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).orElse("")
                .replaceFirst("^W/", "").replace("\"", "");
        if (!COMMIT.matcher(commit).matches() || !ETAG.matcher(etag).matches()) {
            throw new IOException(r.uri() + " (" + file + " of " + model + ") answered without a usable"
                    + " X-Repo-Commit (\"" + commit + "\") or ETag (\"" + etag + "\"); is HubSettings.endpoint "
                    + settings.endpoint() + " a Hugging Face Hub, or is a proxy stripping these headers?");
        }
        long size = r.headers().firstValueAsLong("X-Linked-Size").orElse(
                r.headers().firstValueAsLong("Content-Length").orElse(-1));
        return new FileMeta(commit, etag, size, bytes);
    }

    /**
     * Downloads {@code meta}'s bytes into {@code incomplete}, resuming what it holds with {@code Range}, retrying a
     * cut connection up to {@link #MAX_ATTEMPTS} times, and checks the size and, for LFS files, the SHA-256 that
     * the blob id is. On failure the partial file is left for the next call to resume; it is never used.
     */
    void download(FileMeta meta, Path incomplete, String file, Consumer<Hub.Progress> progress) throws IOException {
        long size = meta.size();
        IOException last = null;
        boolean complete = false;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS && !complete; attempt++) {
            long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
            if (size >= 0 && have > size) {
                Files.delete(incomplete);
                have = 0;
            }
            if (size >= 0 && have == size) {
                break;
            }
            try {
                fetch(meta.bytes(), incomplete, have, size, file, progress);
                complete = size < 0; // an unstated size: the body's end is the file's
            } catch (RefusedException e) {
                throw e;
            } catch (IOException e) {
                last = e;
                LOG.warn("download of {} cut at {} bytes ({}), attempt {} of {}", file,
                        Files.exists(incomplete) ? Files.size(incomplete) : 0, e.toString(), attempt, MAX_ATTEMPTS);
            }
        }
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        if (!complete && (size < 0 || have != size)) {
            throw new IOException(file + " from " + meta.bytes().getHost() + ": the download stopped at " + have
                    + " of " + (size >= 0 ? size : "?") + " bytes after " + MAX_ATTEMPTS + " attempts (last: " + last
                    + "); the partial file " + incomplete + " is kept, never used, and the next download resumes"
                    + " it", last);
        }
        if (SHA256.matcher(meta.etag()).matches()) {
            String actual = sha256(incomplete);
            if (!actual.equals(meta.etag())) {
                Files.delete(incomplete);
                throw new IOException(file + ": the downloaded bytes have SHA-256 " + actual + " but the Hub says "
                        + meta.etag() + "; the download was corrupted and has been deleted: try again");
            }
        }
    }

    /** One GET from {@code have} on, appended to what {@code incomplete} holds (or replacing it on a 200). */
    private void fetch(URI uri, Path incomplete, long have, long size, String file,
                          Consumer<Hub.Progress> progress) throws IOException {
        HttpRequest.Builder req = request(uri, "GET").timeout(DOWNLOAD_TIMEOUT);
        if (have > 0) {
            req.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = follow(req, BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            boolean append;
            if (r.statusCode() == 206 && r.headers().firstValue("Content-Range").orElse("")
                    .startsWith("bytes " + have + "-")) {
                append = true;
            } else if (r.statusCode() == 200) {
                append = false; // the server ignored the Range: start over
                have = 0;
            } else if (r.statusCode() == 416 || r.statusCode() == 206) {
                Files.deleteIfExists(incomplete); // the partial file does not fit the server's: start over
                throw new IOException(uri + " could not resume at byte " + have + " (" + r.statusCode() + ")");
            } else {
                throw refusal(r, null, file);
            }
            progress.accept(new Hub.Progress(file, have, size));
            try (OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND
                            : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[64 * 1024];
                long reported = have;
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    have += n;
                    if (have - reported >= PROGRESS_EVERY) {
                        progress.accept(new Hub.Progress(file, have, size));
                        reported = have;
                    }
                }
            }
            progress.accept(new Hub.Progress(file, have, size));
        }
    }

    private HttpRequest.Builder request(URI uri, String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .header("User-Agent", "vit4j (java " + Runtime.version().feature() + ")")
                .header("Accept-Encoding", "identity");
        if (sameOrigin(uri, settings.endpoint()) && settings.token().isPresent()) {
            b.header("Authorization", "Bearer " + settings.token().get());
        }
        return b;
    }

    /** Sends and follows redirects; the token is sent to the endpoint's origin only. */
    private <T> HttpResponse<T> follow(HttpRequest.Builder first, BodyHandler<T> body) throws IOException {
        HttpRequest req = first.build();
        for (int redirects = 0; ; redirects++) {
            HttpResponse<T> r = send(req, body);
            Optional<String> location = r.headers().firstValue("Location");
            if (!isRedirect(r.statusCode()) || location.isEmpty() || redirects >= MAX_REDIRECTS) {
                return r;
            }
            close(r);
            URI next = req.uri().resolve(location.get());
            HttpRequest.Builder b = request(next, req.method()); // the token only if next is the endpoint's origin
            req.timeout().ifPresent(b::timeout);
            req.headers().firstValue("Range").ifPresent(range -> b.header("Range", range));
            req = b.build();
        }
    }

    private <T> HttpResponse<T> send(HttpRequest req, BodyHandler<T> body) throws IOException {
        try {
            return client.send(req, body);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new UnreachableException("cannot connect to " + req.uri().getScheme() + "://"
                    + req.uri().getAuthority() + " (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while downloading " + req.uri());
        }
    }

    private static <T> HttpResponse<T> close(HttpResponse<T> r) throws IOException {
        if (r.body() instanceof InputStream in) {
            in.close();
        }
        return r;
    }

    /** An error for a refused request, saying what the user can do about it. */
    private RefusedException refusal(HttpResponse<?> r, HubModel model, String file) throws IOException {
        close(r);
        String repo = model != null ? model.repo() : r.uri().toString();
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String detail = r.headers().firstValue("X-Error-Message").map(m -> " (\"" + m + "\")").orElse("");
        String endpoint = settings.endpoint().toString();
        String message = switch (r.statusCode()) {
            case 401 -> settings.token().isPresent()
                    ? endpoint + " refused the token for " + repo + " (401 Unauthorized)" + detail + ": the token is"
                    + " invalid or expired, or the repository does not exist. Check the token in HF_TOKEN (or the"
                    + " token file, default $HF_HOME/token) and the repository id"
                    : repo + " is not on " + endpoint + ", or it is private or gated (401 Unauthorized without a"
                    + " token)" + detail + ": if it exists and you have access, set HF_TOKEN to an access token with"
                    + " read permission (or log in with `huggingface-cli login`)";
            case 403 -> "access to " + repo + " was refused (403 Forbidden)" + detail + ": it is gated or private;"
                    + " request access on " + endpoint + "/" + repo + " and " + (settings.token().isPresent()
                    ? "use a token of an account that has it (HF_TOKEN)"
                    : "set HF_TOKEN to a token of an account that has it");
            case 404 -> notFound(code, model, file, repo) + " (404 Not Found)" + detail;
            default -> endpoint + " answered " + r.statusCode() + " for " + r.uri() + detail
                    + (r.statusCode() >= 500 ? ": the Hub has a problem; try again later" : "");
        };
        return new RefusedException(r.statusCode(), message);
    }

    private String notFound(String code, HubModel model, String file, String repo) {
        if (code.equals("RevisionNotFound") && model != null) {
            return repo + " has no revision " + model.revision() + ": give a branch, tag, full commit hash or"
                    + " refs/pr/N that exists";
        }
        if (file != null && !code.equals("RepoNotFound")) {
            return repo + (model != null ? "@" + model.revision() : "") + " has no file " + file;
        }
        return "there is no model repository " + repo + " on " + settings.endpoint() + ": check the id (org/name, as"
                + " in hf:google/vit-base-patch16-224)";
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** One path segment, percent-encoded ({@code refs/pr/3} → {@code refs%2Fpr%2F3}, as huggingface_hub sends). */
    private static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A file path, each segment percent-encoded, the slashes kept. */
    private static String path(String file) {
        List<String> parts = new ArrayList<>();
        for (String part : file.split("/", -1)) {
            parts.add(segment(part));
        }
        return String.join("/", parts);
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
