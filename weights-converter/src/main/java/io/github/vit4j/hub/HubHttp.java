package io.github.vit4j.hub;

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
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
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
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;
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
 *
 * <p>What a server can make it do is bounded: a body that sends no byte for {@link HubSettings#downloadTimeout()}
 * fails the attempt (retried, resumed); a file is never written past the size the HEAD stated (more bytes are an
 * error, the partial file deleted), nor past {@link #UNSTATED_SIZE_LIMIT} when no size was stated; a JSON reply is
 * read up to {@link #MAX_JSON_BYTES}; text from the server goes into messages cut to {@link #MAX_SERVER_TEXT}
 * characters, the token replaced; a malformed header or JSON reply is a {@link BadReplyException}.
 */
final class HubHttp {

    static final int MAX_ATTEMPTS = 5;
    /** The most bytes read of a JSON reply (the revision's file list): 16 MiB, about 200,000 files' names. */
    static final int MAX_JSON_BYTES = 16 << 20;
    /** The most bytes downloaded of a file whose size the Hub did not state: 4 GiB, above any single ViT file. */
    static final long UNSTATED_SIZE_LIMIT = 4L << 30;
    /** The most characters of a server's text (headers, JSON values) put into a message. */
    static final int MAX_SERVER_TEXT = 200;
    private static final int MAX_REDIRECTS = 10;
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(60);
    private static final long PROGRESS_EVERY = 1L << 20;
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,127}"); // a file name
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Logger LOG = LoggerFactory.getLogger(HubHttp.class);

    private final HubSettings settings;
    private final HttpClient client;
    private final long unstatedSizeLimit;
    private final Refusals refusals;

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

    /** The endpoint could not be reached, or gave no answer at all (refused, unknown host, timed out). */
    static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The server answered outside the Hub's protocol (a header or JSON reply that does not parse, a redirect to a
     * non-http(s) address, more bytes than stated): not retried; for the cached-snapshot fallback, a failing Hub.
     */
    static final class BadReplyException extends IOException {
        BadReplyException(String message) {
            super(message);
        }
    }

    HubHttp(HubSettings settings) {
        this(settings, UNSTATED_SIZE_LIMIT);
    }

    HubHttp(HubSettings settings, long unstatedSizeLimit) {
        this.settings = settings;
        this.unstatedSizeLimit = unstatedSizeLimit;
        this.refusals = new Refusals(settings);
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(METADATA_TIMEOUT).build();
    }

    /**
     * The commit {@code model}'s revision points to and the repository's files there; for a pinned commit, the
     * server must report that very commit.
     */
    RepoInfo revisionInfo(HubModel model) throws IOException {
        URI uri = URI.create(settings.endpoint() + "/api/models/" + model.repo() + "/revision/"
                + segment(model.revision()));
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = follow(request(uri, "GET").timeout(METADATA_TIMEOUT));
        if (r.statusCode() != 200) {
            throw refusals.refusal(r, model, null);
        }
        byte[] body;
        try (BodyStream in = BodyStream.of(r.body(), settings.downloadTimeout(), r.uri())) {
            body = in.readNBytes(MAX_JSON_BYTES + 1);
        } catch (IOException e) {
            throw new BadReplyException("reading the reply of " + uri + " failed (" + refusals.serverText(
                    String.valueOf(e.getMessage())) + ")");
        }
        if (body.length > MAX_JSON_BYTES) {
            throw new BadReplyException(uri + " answered with more than " + MAX_JSON_BYTES + " bytes (16 MiB), the"
                    + " most vit4j reads of a JSON reply" + RevisionReply.hint(uri));
        }
        RepoInfo info;
        try {
            info = RevisionReply.parse(body, uri);
        } catch (BadReplyException e) { // the reply's own text, quoted in the message: never the token
            throw new BadReplyException(refusals.redact(e.getMessage()));
        }
        if (model.isCommit() && !info.commit().equals(model.revision())) {
            throw new IOException(uri + " says that " + model + " is the commit " + info.commit() + ", not the"
                    + " pinned " + model.revision() + ": HubSettings.endpoint " + settings.endpoint() + " (HF_ENDPOINT)"
                    + " serves another commit than the one asked for; use the Hugging Face Hub or a faithful mirror");
        }
        return info;
    }

    /** The metadata of one file at one commit, from a HEAD request; the server must report that commit. */
    FileMeta head(HubModel model, String commit, String file) throws IOException {
        URI current = URI.create(settings.endpoint() + "/" + model.repo() + "/resolve/" + segment(commit) + "/"
                + path(file));
        for (int redirects = 0; ; redirects++) {
            HttpResponse<Void> r = send(request(current, "HEAD").timeout(METADATA_TIMEOUT).build(),
                    BodyHandlers.discarding());
            Optional<String> location = r.headers().firstValue("Location");
            if (isRedirect(r.statusCode()) && location.isPresent()) {
                URI next = redirect(current, location.get());
                if (sameOrigin(next, current) && redirects < MAX_REDIRECTS) {
                    current = next; // a renamed repository: same host, follow
                    continue;
                }
                return meta(r, next, model, commit, file); // LFS: the metadata here, the bytes on the CDN
            }
            if (r.statusCode() != 200) {
                throw refusals.refusal(r, model, file);
            }
            return meta(r, current, model, commit, file);
        }
    }

    private FileMeta meta(HttpResponse<?> r, URI bytes, HubModel model, String asked, String file)
            throws IOException {
        String commit = r.headers().firstValue("X-Repo-Commit").orElse("");
        String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).orElse("")
                .replaceFirst("^W/", "").replace("\"", "");
        if (!COMMIT.matcher(commit).matches() || !ETAG.matcher(etag).matches()) {
            throw new BadReplyException(r.uri() + " (" + file + " of " + model + ") answered without a usable"
                    + " X-Repo-Commit (\"" + refusals.serverText(commit) + "\") or ETag (\""
                    + refusals.serverText(etag) + "\"); is HubSettings.endpoint " + settings.endpoint()
                    + " a Hugging Face Hub, or is a proxy stripping"
                    + " these headers?");
        }
        if (!commit.equals(asked)) {
            throw new IOException(r.uri() + " (" + file + " of " + model + ") is at the commit " + commit + ", not "
                    + asked + " as asked: HubSettings.endpoint " + settings.endpoint() + " (HF_ENDPOINT) serves"
                    + " another commit than the one asked for; use the Hugging Face Hub or a faithful mirror");
        }
        return new FileMeta(commit, etag, size(r, file), bytes);
    }

    /** The size a HEAD states ({@code X-Linked-Size}, else {@code Content-Length}), -1 if none. */
    private long size(HttpResponse<?> r, String file) throws BadReplyException {
        for (String header : List.of("X-Linked-Size", "Content-Length")) {
            Optional<String> value = r.headers().firstValue(header);
            if (value.isPresent()) {
                try {
                    long size = Long.parseLong(value.get().strip());
                    if (size >= 0) {
                        return size;
                    }
                } catch (NumberFormatException e) {
                    // refused below
                }
                throw new BadReplyException(r.uri() + " (" + file + ") gave the size " + header + ": \""
                        + refusals.serverText(value.get()) + "\", expected a whole number of bytes; is"
                        + " HubSettings.endpoint " + settings.endpoint() + " a Hugging Face Hub?");
            }
        }
        return -1;
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
            } catch (RefusedException | BadReplyException | java.io.InterruptedIOException e) {
                throw e; // refused, lying or cancelled: retrying would not help
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

    /**
     * One GET from {@code have} on, appended to what {@code incomplete} holds (or replacing it on a 200); never
     * past {@code size} (or {@link #unstatedSizeLimit} when -1): more bytes delete the partial file.
     */
    private void fetch(URI uri, Path incomplete, long have, long size, String file,
                          Consumer<Hub.Progress> progress) throws IOException {
        HttpRequest.Builder req = request(uri, "GET").timeout(DOWNLOAD_TIMEOUT);
        if (have > 0) {
            req.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = follow(req);
        boolean append;
        if (r.statusCode() == 206 && r.headers().firstValue("Content-Range").orElse("")
                .startsWith("bytes " + have + "-")) {
            append = true;
        } else if (r.statusCode() == 200) {
            append = false; // the server ignored the Range: start over
            have = 0;
        } else if (r.statusCode() == 416 || r.statusCode() == 206) {
            BodyStream.discard(r.body(), r.uri());
            Files.deleteIfExists(incomplete); // the partial file does not fit the server's: start over
            throw new IOException(Refusals.where(r.uri()) + " could not resume at byte " + have + " ("
                    + r.statusCode() + ")");
        } else {
            throw refusals.refusal(r, null, file);
        }
        long limit = size >= 0 ? size : unstatedSizeLimit;
        boolean tooLong = false;
        try (BodyStream in = BodyStream.of(r.body(), settings.downloadTimeout(), r.uri());
             OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            progress.accept(new Hub.Progress(file, have, size));
            byte[] buffer = new byte[64 * 1024];
            long reported = have;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (n > limit - have) {
                    tooLong = true;
                    break;
                }
                out.write(buffer, 0, n);
                have += n;
                if (have - reported >= PROGRESS_EVERY) {
                    progress.accept(new Hub.Progress(file, have, size));
                    reported = have;
                }
            }
        }
        if (tooLong) {
            Files.deleteIfExists(incomplete);
            throw new BadReplyException(file + " from " + Refusals.where(r.uri()) + ": the server sent more than "
                    + limit + " bytes, " + (size >= 0
                    ? "the size the Hub stated for it (X-Linked-Size or Content-Length)"
                    : "the most vit4j downloads of a file whose size the Hub does not state")
                    + "; the partial file was deleted"
                    + (size >= 0 ? ": the server does not serve what the Hub describes" : ""));
        }
        progress.accept(new Hub.Progress(file, have, size));
    }

    private HttpRequest.Builder request(URI uri, String method) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .header("User-Agent", "vit4j (java " + Runtime.version().feature() + ")")
                .header("Accept-Encoding", "identity");
        if (sameOrigin(uri, settings.endpoint()) && settings.token().isPresent()) {
            try {
                b.header("Authorization", "Bearer " + settings.token().get());
            } catch (IllegalArgumentException e) { // the JDK's message holds the header's value: not passed on
                throw new IOException("the Hub token (HubSettings.token) cannot go into an HTTP header; it was not"
                        + " sent, and is not shown here");
            }
        }
        return b;
    }

    /** Sends a GET and follows redirects; the token is sent to the endpoint's origin only. */
    private HttpResponse<Flow.Publisher<List<ByteBuffer>>> follow(HttpRequest.Builder first) throws IOException {
        HttpRequest req = first.build();
        for (int redirects = 0; ; redirects++) {
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = send(req, BodyHandlers.ofPublisher());
            Optional<String> location = r.headers().firstValue("Location");
            if (!isRedirect(r.statusCode()) || location.isEmpty() || redirects >= MAX_REDIRECTS) {
                return r;
            }
            BodyStream.discard(r.body(), r.uri());
            URI next = redirect(req.uri(), location.get());
            HttpRequest.Builder b = request(next, req.method()); // the token only if next is the endpoint's origin
            req.timeout().ifPresent(b::timeout);
            req.headers().firstValue("Range").ifPresent(range -> b.header("Range", range));
            req = b.build();
        }
    }

    /** Where a redirect from {@code from} leads: an http(s) URL, or a {@link BadReplyException}. */
    private URI redirect(URI from, String location) throws BadReplyException {
        URI next;
        try {
            next = from.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            throw new BadReplyException(Refusals.where(from) + " redirected to a Location that is not a URL (\""
                    + refusals.serverText(location) + "\"); is HubSettings.endpoint " + settings.endpoint()
                    + " a Hugging Face Hub?");
        }
        String scheme = String.valueOf(next.getScheme()).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || next.getHost() == null) {
            throw new BadReplyException(Refusals.where(from) + " redirected to \""
                    + refusals.serverText(location) + "\" (Location), not an http(s) address; vit4j follows redirects"
                    + " to http(s) only");
        }
        return next;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> body) throws IOException {
        try {
            return client.send(req, body);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new UnreachableException("cannot connect to " + req.uri().getScheme() + "://"
                    + req.uri().getAuthority() + " (" + refusals.serverText(e.toString()) + ")", e);
        } catch (IOException e) { // the JDK's text may quote the server's bytes (its status line): shown escaped, no cause
            throw new UnreachableException("no answer from " + req.uri().getScheme() + "://"
                    + req.uri().getAuthority() + " (" + refusals.serverText(e.toString()) + ")", null);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof NumberFormatException n) { // the JDK reading the reply's Content-Length
                throw new BadReplyException("the reply of " + Refusals.where(req.uri()) + " has a Content-Length"
                        + " that is not a number (" + refusals.serverText(String.valueOf(n.getMessage())) + "); is"
                        + " HubSettings.endpoint " + settings.endpoint() + " a Hugging Face Hub?");
            } // else the JDK refusing the request; its message may hold a header
            throw new IOException("the request to " + Refusals.where(req.uri()) + " was refused by the JDK's HTTP"
                    + " client (" + refusals.serverText(String.valueOf(e.getMessage())) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while downloading " + Refusals.where(req.uri()));
        }
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
