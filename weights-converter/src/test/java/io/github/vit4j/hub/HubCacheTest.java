package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot entries of huggingface_hub's cache: symlinks to the blobs, copies where symlinks cannot be made. */
class HubCacheTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path dir;

    @Test
    void aSnapshotEntryIsARelativeSymlinkToItsBlob() throws IOException {
        HubCache cache = new HubCache(dir, "org/name");
        Path blob = Files.writeString(Files.createDirectories(dir.resolve("models--org--name/blobs")).resolve("e1"),
                "bytes");
        Path pointer = cache.pointer(COMMIT, "sub/config.json");
        cache.link(blob, pointer);
        assertEquals(Path.of("../../../blobs/e1"), Files.readSymbolicLink(pointer));
        assertEquals("bytes", Files.readString(pointer));
    }

    @Test
    void whereTheFileSystemHasNoSymlinksTheSnapshotHoldsACopyOfTheBlob() throws IOException {
        URI zip = URI.create("jar:" + dir.resolve("cache.zip").toUri());
        try (FileSystem fs = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
            HubCache cache = new HubCache(fs.getPath("/hub"), "org/name");
            Path blob = cache.blob("e1");
            Files.createDirectories(blob.getParent());
            Files.writeString(blob, "bytes");
            Path pointer = cache.pointer(COMMIT, "config.json");
            cache.link(blob, pointer);
            assertFalse(Files.isSymbolicLink(pointer));
            assertEquals("bytes", Files.readString(pointer));
            assertTrue(Files.exists(blob), "the blob stays for other snapshots");
        }
    }
}
