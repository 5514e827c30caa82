package io.github.vit4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 */
public record HubSettings(URI endpoint, Path cache, Optional<String> token, boolean offline) {

    /** The public Hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    /** Checks the endpoint (http or https, no trailing slash) and that no value is missing. */
    public HubSettings {
        if (endpoint == null || cache == null || token == null) {
            throw new IllegalArgumentException("HubSettings needs an endpoint, a cache folder and a token (or"
                    + " Optional.empty()); got endpoint " + endpoint + ", cache " + cache + ", token "
                    + (token == null ? "null" : "given"));
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
        token = token.map(String::strip).filter(t -> !t.isEmpty());
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
     * {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1, ON, YES or TRUE.
     *
     * @param env  the environment variables to read
     * @param home the user's home folder
     * @throws UncheckedIOException when the token file exists but cannot be read
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
        Optional<String> token = get(env, "HF_TOKEN");
        if (token.isEmpty()) {
            Path file = get(env, "HF_TOKEN_PATH").map(Path::of).orElse(hfHome.resolve("token"));
            if (Files.isRegularFile(file)) {
                try {
                    token = Optional.of(Files.readString(file, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the Hub token file " + file + ": " + e.getMessage(), e);
                }
            }
        }
        boolean offline = get(env, "HF_HUB_OFFLINE").or(() -> get(env, "TRANSFORMERS_OFFLINE"))
                .map(v -> TRUE.contains(v.strip().toUpperCase(Locale.ROOT))).orElse(false);
        return new HubSettings(endpoint, cache, token, offline);
    }

    private static Optional<String> get(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    /** These settings with the given offline mode. */
    public HubSettings withOffline(boolean offline) {
        return new HubSettings(endpoint, cache, token, offline);
    }

    /** These settings with the given token, or none. */
    public HubSettings withToken(Optional<String> token) {
        return new HubSettings(endpoint, cache, token, offline);
    }

    /** Never shows the token itself. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cache=" + cache + ", token=" + (token.isPresent() ? "set"
                : "none") + ", offline=" + offline + "]";
    }
}
