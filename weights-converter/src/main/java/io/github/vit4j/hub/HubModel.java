package io.github.vit4j.hub;

import java.util.regex.Pattern;

/**
 * A model repository on the Hub and one of its revisions, as written {@code hf:org/name[@revision]}: the revision is
 * a branch, a tag, a commit hash or a pull request's {@code refs/pr/N}, {@code main} when omitted.
 *
 * @param repo     the repository id, {@code org/name}
 * @param revision a branch, tag, 40-hex commit or {@code refs/pr/N}
 */
public record HubModel(String repo, String revision) {

    /** The prefix that marks a Hub spec wherever a model path is accepted. */
    public static final String PREFIX = "hf:";
    /** The revision of a spec that names none. */
    public static final String DEFAULT_REVISION = "main";

    // huggingface_hub's validate_repo_id: letters, digits, '-', '_', '.'; no "--" or ".."; at most 96 characters
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9_.\\-]+/[A-Za-z0-9_.\\-]+");
    // git's ref names: no component starts with '.'
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*"
            + "(/[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*)*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** Checks the repository id and revision; each error names the value, what is expected and an example. */
    public HubModel {
        if (repo == null || !REPO.matcher(repo).matches() || repo.length() > 96 || repo.contains("--")
                || repo.contains("..") || repo.startsWith(".") || repo.endsWith(".")) {
            throw new IllegalArgumentException("\"" + repo + "\" is not a Hub repository id: expected org/name"
                    + " (letters, digits, '-', '_', '.'; no \"--\" or \"..\"; at most 96 characters), e.g."
                    + " google/vit-base-patch16-224");
        }
        if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
            throw new IllegalArgumentException("\"" + revision + "\" is not a revision of " + repo + ": expected a"
                    + " branch, tag, commit hash or refs/pr/N, e.g. main");
        }
    }

    /** Whether {@code location} is a Hub spec (starts with {@code hf:}) rather than a path. */
    public static boolean isSpec(String location) {
        return location.startsWith(PREFIX);
    }

    /**
     * Reads {@code hf:org/name} or {@code hf:org/name@revision}.
     *
     * @throws IllegalArgumentException naming the spec and the form expected
     */
    public static HubModel parse(String spec) {
        if (!isSpec(spec)) {
            throw new IllegalArgumentException("\"" + spec + "\" is not a Hub spec: expected hf:org/name or"
                    + " hf:org/name@revision, e.g. hf:google/vit-base-patch16-224@main");
        }
        String body = spec.substring(PREFIX.length());
        int at = body.indexOf('@');
        return at < 0 ? new HubModel(body, DEFAULT_REVISION) : new HubModel(body.substring(0, at),
                body.substring(at + 1));
    }

    /** Whether the revision is a full commit hash, which never moves (a cached snapshot needs no request). */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    /** The spec, {@code hf:org/name@revision}. */
    @Override
    public String toString() {
        return PREFIX + repo + "@" + revision;
    }
}
