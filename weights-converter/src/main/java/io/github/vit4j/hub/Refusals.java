package io.github.vit4j.hub;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Flow;

/**
 * What the Hub's refusals (401, 403, 404, 5xx) say the user can do, and the text of a server put into messages:
 * a URL without its query (a CDN's is a signature), the token replaced should a server echo it, at most
 * {@link HubHttp#MAX_SERVER_TEXT} characters.
 */
final class Refusals {

    private final HubSettings settings;

    Refusals(HubSettings settings) {
        this.settings = settings;
    }

    /** An error for a refused request, saying what the user can do about it. */
    HubHttp.RefusedException refusal(HttpResponse<?> r, HubModel model, String file) {
        close(r);
        String repo = model != null ? model.repo() : where(r.uri());
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String detail = r.headers().firstValue("X-Error-Message").map(m -> " (\"" + serverText(m) + "\")")
                .orElse("");
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
            default -> where(r.uri()) + " answered " + r.statusCode() + detail
                    + (r.statusCode() >= 500 ? ": the Hub has a problem; try again later" : "");
        };
        return new HubHttp.RefusedException(r.statusCode(), message);
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

    /** {@code uri} without its query, which on a CDN is a signature that grants access for a while. */
    static String where(URI uri) {
        return bounded(uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath());
    }

    /** A server's text for a message: the token (should a server echo it) replaced, at most a few lines long. */
    String serverText(String text) {
        return bounded(redact(text));
    }

    String redact(String text) {
        return settings.token().map(token -> text.replace(token, "<the token>")).orElse(text);
    }

    /**
     * At most {@link HubHttp#MAX_SERVER_TEXT} characters of a server's text, each control or format character
     * (ESC, the C1 CSI U+009B, bidi overrides such as U+202E, a lone surrogate) written as {@code \\uXXXX}: a
     * message that an application logs or prints cannot drive a terminal or reorder what it shows.
     */
    static String bounded(String text) {
        String shown = text.length() <= HubHttp.MAX_SERVER_TEXT ? text : text.substring(0, HubHttp.MAX_SERVER_TEXT);
        StringBuilder b = new StringBuilder(shown.length());
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.UNASSIGNED || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
            } else {
                b.append(c);
            }
        }
        return shown.length() < text.length() ? b + "… (" + text.length() + " characters)" : b.toString();
    }

    @SuppressWarnings("unchecked")
    private static void close(HttpResponse<?> r) {
        if (r.body() instanceof Flow.Publisher<?> body) {
            BodyStream.discard((Flow.Publisher<List<ByteBuffer>>) body, r.uri());
        }
    }
}
