package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HubSettings#fromEnvironment(Map, Path)} reads the variables as Python's huggingface_hub does. */
class HubSettingsTest {

    @TempDir
    Path home;

    @Test
    void withNothingSetTheCacheIsUnderTheHomeFolderAndThePublicHubIsUsedOnline() {
        HubSettings s = HubSettings.fromEnvironment(Map.of(), home);
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cache());
        assertEquals(URI.create("https://huggingface.co"), s.endpoint());
        assertEquals(Optional.empty(), s.token());
        assertFalse(s.offline());
    }

    @Test
    void hfHomeMovesCacheAndTokenFileAndHfHubCacheMovesTheCacheAlone() throws IOException {
        Path hfHome = Files.createDirectories(home.resolve("hf"));
        Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), home);
        assertEquals(hfHome.resolve("hub"), s.cache());
        assertEquals(Optional.of("hf_from_file"), s.token(), "the token file's line, stripped");

        HubSettings t = HubSettings.fromEnvironment(Map.of("HF_HOME", hfHome.toString(), "HF_HUB_CACHE", "/data/hub",
                "HF_TOKEN", "hf_from_env", "XDG_CACHE_HOME", "/elsewhere"), home);
        assertEquals(Path.of("/data/hub"), t.cache());
        assertEquals(Optional.of("hf_from_env"), t.token(), "HF_TOKEN comes before the token file");
        assertEquals(Path.of("/xdg/huggingface/hub"),
                HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/xdg"), home).cache());
    }

    @Test
    void theEndpointLosesItsTrailingSlashAndOfflineTakesHuggingFaceHubsTrueValues() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "http://mirror.local:8080/",
                "HF_HUB_OFFLINE", "1"), home);
        assertEquals(URI.create("http://mirror.local:8080"), s.endpoint());
        assertTrue(s.offline());
        for (String yes : new String[] {"1", "true", "ON", "yes"}) {
            assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", yes), home).offline(), yes);
        }
        for (String no : new String[] {"0", "false", "", "off"}) {
            assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", no), home).offline(), no);
        }
    }

    @Test
    void aNonHttpEndpointIsRefusedAndTheTokenIsNeverPrinted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "ftp://hub"), home));
        assertTrue(e.getMessage().contains("ftp://hub is not an http(s) address"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "http://a hub"), home));
        assertTrue(f.getMessage().startsWith("HF_ENDPOINT \"http://a hub\" is not a URL"), f.getMessage());
        String shown = HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_secret"), home).toString();
        assertFalse(shown.contains("hf_secret"), shown);
    }
}
