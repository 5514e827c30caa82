package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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

    private static final String SECRET = "hf_QwErTyUiOpAsDfGhJkLzXcVbNm12";

    /** Each malformed token (a problem put into {@link #SECRET}) and the words its refusal must hold. */
    private static final String[][] MALFORMED = {
        {"\uFEFF" + SECRET + "\n", "a byte order mark (U+FEFF) at character 1", "without a BOM"},
        {SECRET.substring(0, 11) + "\n" + SECRET.substring(11) + "\n", "a line break at character 12"},
        {SECRET.substring(0, 11) + "\r" + SECRET.substring(11), "a line break at character 12"},
        {"  " + SECRET.substring(0, 11) + "\0" + SECRET.substring(11), "a control character (U+0000) at character 14"},
        {SECRET.substring(0, 11) + "\u00e9" + SECRET.substring(11), "a non-ASCII character at character 12"},
        {SECRET.substring(0, 11) + " " + SECRET.substring(11), "a space at character 12"},
    };

    @Test
    void aMalformedTokenFileIsRefusedNamingTheFileAndTheProblemNeverTheValue() throws IOException {
        Path file = home.resolve("token");
        for (String[] bad : MALFORMED) {
            Files.writeString(file, bad[0], StandardCharsets.UTF_8);
            String shown = refusalAndLog(() -> HubSettings.fromEnvironment(Map.of("HF_TOKEN_PATH", file.toString()),
                    home));
            assertTrue(shown.contains("the Hub token file " + file + " holds " + bad[1]), shown);
            for (int i = 2; i < bad.length; i++) {
                assertTrue(shown.contains(bad[i]), shown);
            }
            assertNoPartOfTheToken(shown);
        }
    }

    @Test
    void aMalformedHfTokenOrTokenGivenInCodeIsRefusedTheSameWay() {
        for (String[] bad : MALFORMED) {
            String shown = refusalAndLog(() -> HubSettings.fromEnvironment(Map.of("HF_TOKEN", bad[0]), home));
            assertTrue(shown.contains("HF_TOKEN holds " + bad[1]), shown);
            assertNoPartOfTheToken(shown);
            String given = refusalAndLog(() -> new HubSettings(URI.create("http://hub"), home, Optional.of(bad[0]),
                    false));
            assertTrue(given.contains("the token given to HubSettings holds " + bad[1]), given);
            assertNoPartOfTheToken(given);
        }
    }

    @Test
    void aTokenFileThatIsNotUtf8IsRefusedNamingTheFileNotTheBytes() throws IOException {
        Path file = Files.write(home.resolve("token"), (SECRET + "\u00ff").getBytes(StandardCharsets.ISO_8859_1));
        String shown = refusalAndLog(() -> HubSettings.fromEnvironment(Map.of("HF_TOKEN_PATH", file.toString()),
                home));
        assertTrue(shown.contains("the Hub token file " + file + " is not UTF-8 text"), shown);
        assertNoPartOfTheToken(shown);
    }

    @Test
    void theDownloadTimeoutIsHfHubDownloadTimeoutInSecondsTenByDefault() {
        // a setting read from the environment (its ISO-8601 text), not a measured time
        assertEquals("PT10S", HubSettings.fromEnvironment(Map.of(), home).downloadTimeout().toString());
        assertEquals("PT1M", HubSettings.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "60"),
                home).downloadTimeout().toString());
        for (String bad : new String[] {"0", "-1", "ten", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HubSettings.fromEnvironment(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", bad), home));
            assertTrue(e.getMessage().startsWith("HF_HUB_DOWNLOAD_TIMEOUT \"" + bad + "\" is not a whole number"),
                    e.getMessage());
        }
    }

    /** The refusal's message and cause chain, and everything logged meanwhile (slf4j-simple writes to System.err). */
    private static String refusalAndLog(Runnable call) {
        PrintStream err = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        RuntimeException e;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            e = assertThrows(RuntimeException.class, call::run);
        } finally {
            System.setErr(err);
        }
        StringBuilder shown = new StringBuilder(log.toString(StandardCharsets.UTF_8));
        for (Throwable t = e; t != null; t = t.getCause()) {
            shown.append('\n').append(t);
        }
        return shown.toString();
    }

    private static void assertNoPartOfTheToken(String shown) {
        for (int i = 0; i + 4 <= SECRET.length(); i++) {
            String part = SECRET.substring(i, i + 4);
            assertFalse(shown.contains(part), "\"" + part + "\" of the token shown in: " + shown);
        }
    }
}
