package io.github.vit4j.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The Hub's revision reply, {@code GET {endpoint}/api/models/{repo}/revision/{revision}}: the only JSON the hub
 * package reads off the network (the caller bounds its size, {@link HubHttp#MAX_JSON_BYTES}; Jackson bounds its
 * nesting). Fuzzed by {@code HubRepliesFuzzTest}.
 */
final class RevisionReply {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private RevisionReply() {
    }

    /**
     * A revision reply ({@code {"sha": "<40 hex>", "siblings": [{"rfilename": "..."}, ...]}}) read from
     * {@code json}, the reply of {@code uri}.
     *
     * @throws BadReplyException naming {@code uri} when it is not such a reply
     */
    static HubHttp.RepoInfo parse(byte[] json, URI uri) throws HubHttp.BadReplyException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new HubHttp.BadReplyException(uri + " answered with invalid JSON (" + Refusals.bounded(why) + ")"
                    + hint(uri));
        }
        if (root == null || !root.isObject()) {
            throw new HubHttp.BadReplyException(uri + " answered with JSON that is not an object" + hint(uri));
        }
        JsonNode sha = root.path("sha");
        if (!sha.isTextual() || !COMMIT.matcher(sha.textValue()).matches()) {
            throw new HubHttp.BadReplyException(uri + " gave the commit " + Refusals.bounded(sha.toString())
                    + ", expected 40 hex digits" + hint(uri));
        }
        JsonNode siblings = root.path("siblings");
        if (!siblings.isArray()) {
            throw new HubHttp.BadReplyException(uri + " gave no list of files (\"siblings\")" + hint(uri));
        }
        List<String> files = new ArrayList<>();
        for (JsonNode sibling : siblings) {
            JsonNode name = sibling.path("rfilename");
            if (!name.isTextual()) {
                throw new HubHttp.BadReplyException(uri + " listed a file without a name: "
                        + Refusals.bounded(sibling.toString()) + ", expected {\"rfilename\": \"...\"}" + hint(uri));
            }
            files.add(name.textValue());
        }
        return new HubHttp.RepoInfo(sha.textValue(), List.copyOf(files));
    }

    /** The question a reply that is not the Hub's raises. */
    static String hint(URI uri) {
        return "; is " + uri.getScheme() + "://" + uri.getAuthority() + " (HubSettings.endpoint, HF_ENDPOINT) a"
                + " Hugging Face Hub?";
    }
}
