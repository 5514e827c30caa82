package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.URI;

/**
 * Coverage-guided fuzzing of the Hub's JSON replies: any bytes as the revision reply
 * ({@link RevisionReply#parse}, the only JSON the hub package reads off the network) give a commit of 40 hex
 * digits and a list of file names, or a {@link HubHttp.BadReplyException} naming the URL that answered. Seeds in
 * {@code HubRepliesFuzzTestInputs/}: a reply as the Hub gives it, sharded and empty file lists, a bad commit, bad
 * siblings, cut and non-JSON replies, deep nesting.
 */
class HubRepliesFuzzTest {

    private static final URI SOURCE = URI.create("https://hub.example/api/models/org/name/revision/main");

    @FuzzTest
    void anyRevisionReplyIsAFileListOrANamedRefusal(byte[] bytes) {
        try {
            HubHttp.RepoInfo info = RevisionReply.parse(bytes, SOURCE);
            assertTrue(info.commit().matches("[0-9a-f]{40}"), info.commit());
            info.files().forEach(f -> assertNotNull(f, "a file name"));
        } catch (HubHttp.BadReplyException refusal) {
            assertTrue(refusal.getMessage().startsWith(SOURCE.toString()), refusal.getMessage());
            assertTrue(refusal.getMessage().length() < 2000, "a bounded message: " + refusal.getMessage());
        }
    }
}
