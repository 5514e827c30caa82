package io.github.vit4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the Hub is and how to reach it, read from the same environment variables as Python's
 * {@code huggingface_hub} ({@link #fromEnvironment()}), or stated outright (tests, applications with their own
 * configuration).
 *
 * @param endpoint the Hub's address ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
 * @param cache    the hub cache folder ({@code HF_HUB_CACHE}, default {@code $HF_HOME/hub})
 * @param token    the access token sent as {@code Authorization: Bearer} ({@code HF_TOKEN}, else the token file)
 * @param offline  resolve from the cache only, with no request at all ({@code HF_HUB_OFFLINE})
 * @param downloadTimeout how long a reply's body may send no byte before the attempt counts as a cut connection
 *                 (retried, resumed): {@code HF_HUB_DOWNLOAD_TIMEOUT} in seconds, default 10 as in huggingface_hub
 */
public record HubSettings(URI endpoint, Path cache, Optional<String> token, boolean offline,
                          Duration downloadTimeout) {

    /** The public Hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    /** huggingface_hub's default for {@code HF_HUB_DOWNLOAD_TIMEOUT}. */
    public static final Duration DEFAULT_DOWNLOAD_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    /**
     * Checks the endpoint (http or https, no trailing slash), the token (visible ASCII only) and the timeout,
     * and that no value is missing.
     *
     * @throws IllegalArgumentException naming the bad setting and never showing the token
     */
    public HubSettings {
        if (endpoint == null || cache == null || token == null || downloadTimeout == null) {
            throw new IllegalArgumentException("HubSettings needs an endpoint, a cache folder, a token (or"
                    + " Optional.empty()) and a download timeout; got endpoint " + endpoint + ", cache " + cache
                    + ", token " + (token == null ? "null" : "given") + ", downloadTimeout " + downloadTimeout);
        }
        if (downloadTimeout.isNegative() || downloadTimeout.isZero()) {
            throw new IllegalArgumentException("HubSettings.downloadTimeout " + downloadTimeout + " is not positive;"
                    + " expected e.g. " + DEFAULT_DOWNLOAD_TIMEOUT + " (HF_HUB_DOWNLOAD_TIMEOUT=10)");
        }
        String scheme = String.valueOf(endpoint.getScheme()).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint " + endpoint + " is not an http(s) address; expected"
                    + " e.g. " + DEFAULT_ENDPOINT + " (HF_ENDPOINT)");
        }
        String text = endpoint.toString();
        if (text.endsWith("/")) {
            endpoint = URI.create(text.replaceAll("/+$", ""));
        }
        token = token.isPresent() ? checkedToken(token.get(), "the token given to HubSettings") : token;
    }

    /** The settings with huggingface_hub's download timeout, {@link #DEFAULT_DOWNLOAD_TIMEOUT}. */
    public HubSettings(URI endpoint, Path cache, Optional<String> token, boolean offline) {
        this(endpoint, cache, token, offline, DEFAULT_DOWNLOAD_TIMEOUT);
    }

    /** The settings from this process's environment variables and the user's home folder. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The settings {@code huggingface_hub} derives from {@code env}: {@code HF_ENDPOINT}; {@code HF_HUB_CACHE} (or
     * the older {@code HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}, {@code HF_HOME} defaulting to
     * {@code $XDG_CACHE_HOME/huggingface}, then {@code home/.cache/huggingface}; {@code HF_TOKEN}, else the file
     * {@code HF_TOKEN_PATH} (default {@code $HF_HOME/token}, written by {@code huggingface-cli login});
     * {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1, ON, YES or TRUE;
     * {@code HF_HUB_DOWNLOAD_TIMEOUT} in whole seconds (default 10). The token, stripped of surrounding whitespace,
     * must be visible ASCII: a byte order mark, an inner line break or space, a control or non-ASCII character is
     * refused, naming the variable or file, the problem and its position, never the token.
     *
     * @param env  the environment variables to read
     * @param home the user's home folder
     * @throws UncheckedIOException when the token file exists but cannot be read
     * @throws IllegalArgumentException naming the variable or the token file when a value is malformed (the token
     *                                  itself is never shown)
     */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        URI endpoint = DEFAULT_ENDPOINT;
        Optional<String> stated = get(env, "HF_ENDPOINT");
        if (stated.isPresent()) {
            try {
                endpoint = new URI(stated.get().strip());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("HF_ENDPOINT \"" + stated.get() + "\" is not a URL (" + e.getReason()
                        + "); expected e.g. " + DEFAULT_ENDPOINT, e);
            }
        }
        Path hfHome = get(env, "HF_HOME").map(Path::of).orElseGet(() -> get(env, "XDG_CACHE_HOME").map(Path::of)
                .orElse(home.resolve(".cache")).resolve("huggingface"));
        Path cache = get(env, "HF_HUB_CACHE").or(() -> get(env, "HUGGINGFACE_HUB_CACHE")).map(Path::of)
                .orElse(hfHome.resolve("hub"));
        Optional<String> token = get(env, "HF_TOKEN").flatMap(t -> checkedToken(t, "HF_TOKEN"));
        if (token.isEmpty()) {
            Path file = get(env, "HF_TOKEN_PATH").map(Path::of).orElse(hfHome.resolve("token"));
            if (Files.isRegularFile(file)) {
                String text;
                try {
                    text = Files.readString(file, StandardCharsets.UTF_8);
                } catch (CharacterCodingException e) { // its message and the cause hold nothing of the content
                    throw new IllegalArgumentException("the Hub token file " + file + " is not UTF-8 text: a Hub"
                            + " token is one line of visible ASCII characters (hf_...). Copy the token again from the"
                            + " Hub's settings page", e);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the Hub token file " + file + ": " + e.getMessage(), e);
                }
                token = checkedToken(text, "the Hub token file " + file);
            }
        }
        boolean offline = get(env, "HF_HUB_OFFLINE").or(() -> get(env, "TRANSFORMERS_OFFLINE"))
                .map(v -> TRUE.contains(v.strip().toUpperCase(Locale.ROOT))).orElse(false);
        return new HubSettings(endpoint, cache, token, offline, get(env, "HF_HUB_DOWNLOAD_TIMEOUT")
                .map(HubSettings::seconds).orElse(DEFAULT_DOWNLOAD_TIMEOUT));
    }

    private static Duration seconds(String value) {
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds > 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT \"" + value + "\" is not a whole number of"
                + " seconds above 0; expected e.g. 10 (huggingface_hub's default)");
    }

    /**
     * A token as read from {@code source}, stripped of surrounding whitespace (the token file's line end); empty
     * if nothing is left. What can go into an {@code Authorization} header is visible ASCII only: a byte order mark,
     * a line break inside the token, any other control character, a space or a non-ASCII character is refused,
     * naming the source, the problem and where it is, never the token or any part of it. (huggingface_hub joins
     * the lines of a token with inner line breaks; vit4j refuses them rather than send a guess.)
     */
    static Optional<String> checkedToken(String text, String source) {
        String token = text.strip();
        int start = text.length() - text.stripLeading().length();
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c > 0x20 && c < 0x7f) {
                continue;
            }
            String what = c == '\uFEFF' ? "a byte order mark (U+FEFF)" : c == '\n' || c == '\r'
                    ? "a line break" : c < 0x20 || c == 0x7f ? String.format("a control character (U+%04X)", (int) c)
                    : Character.isWhitespace(c) || Character.isSpaceChar(c) ? "a space" : "a non-ASCII character";
            throw new IllegalArgumentException(source + " holds " + what + " at character " + (start + i + 1)
                    + ": a Hub token is one line of visible ASCII characters (hf_...). Copy the token again from"
                    + " the Hub's settings page" + (c == '\uFEFF' ? " and save it as UTF-8 without a BOM" : ""));
        }
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    private static Optional<String> get(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    /** These settings with the given offline mode. */
    public HubSettings withOffline(boolean offline) {
        return new HubSettings(endpoint, cache, token, offline, downloadTimeout);
    }

    /** These settings with the given token, or none. */
    public HubSettings withToken(Optional<String> token) {
        return new HubSettings(endpoint, cache, token, offline, downloadTimeout);
    }

    /** These settings with the given download timeout. */
    public HubSettings withDownloadTimeout(Duration downloadTimeout) {
        return new HubSettings(endpoint, cache, token, offline, downloadTimeout);
    }

    /** Never shows the token itself. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cache=" + cache + ", token=" + (token.isPresent() ? "set"
                : "none") + ", offline=" + offline + ", downloadTimeout=" + downloadTimeout + "]";
    }
}
