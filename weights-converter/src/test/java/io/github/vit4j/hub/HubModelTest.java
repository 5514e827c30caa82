package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code hf:org/name[@revision]}: what is a spec, and what each part may hold. */
class HubModelTest {

    @Test
    void aSpecNamesARepositoryAndARevisionMainByDefault() {
        assertEquals(new HubModel("google/vit-base-patch16-224", "main"),
                HubModel.parse("hf:google/vit-base-patch16-224"));
        assertEquals(new HubModel("aaraki/vit", "refs/pr/3"), HubModel.parse("hf:aaraki/vit@refs/pr/3"));
        assertEquals("hf:aaraki/vit@v1.0", HubModel.parse("hf:aaraki/vit@v1.0").toString());
        assertTrue(HubModel.parse("hf:a/b@0123456789abcdef0123456789abcdef01234567").isCommit());
        assertFalse(HubModel.parse("hf:a/b@main").isCommit());
        assertFalse(HubModel.isSpec("models/hf"));
    }

    @Test
    void malformedIdsAndRevisionsAreRefusedNamingTheValue() {
        for (String bad : new String[] {"hf:noslash", "hf:a/b/c", "hf:a--b/c", "hf:../etc", "hf:a/b c", "hf:"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubModel.parse(bad));
            assertTrue(e.getMessage().contains("is not a Hub repository id: expected org/name"), e.getMessage());
        }
        for (String bad : new String[] {"hf:a/b@", "hf:a/b@../x", "hf:a/b@x y", "hf:a/b@refs/./x",
            "hf:a/b@.hidden"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubModel.parse(bad));
            assertTrue(e.getMessage().contains("is not a revision of a/b"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> HubModel.parse("models/hf"));
    }
}
