package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot entries of huggingface_hub's cache (symlinks to the blobs, copies where symlinks cannot be made), and
 * the blob lock, which is the lock Python's huggingface_hub takes: flock(2) on {@code .locks/…/<etag>.lock}, here
 * held and tried by util-linux's {@code flock} in another process.
 */
class HubCacheTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final String ETAG = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final Path FLOCK = Path.of("/usr/bin/flock");

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

    @Test
    void whileAnotherProcessHoldsTheBlobsFlockAsPythonsFilelockDoesTheLockWaitsForIt() throws Exception {
        assumeTrue(Files.isExecutable(FLOCK), "needs util-linux's " + FLOCK + " to hold flock(2) in another process");
        HubCache cache = new HubCache(dir, "org/name");
        Path lockFile = Files.createDirectories(dir.resolve(".locks/models--org--name")).resolve(ETAG + ".lock");
        Process holder = new ProcessBuilder(FLOCK.toString(), lockFile.toString(), "sh", "-c", "echo held; cat")
                .redirectOutput(ProcessBuilder.Redirect.PIPE).start();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            assertEquals("held", new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8)).readLine());
            Future<Boolean> lock = pool.submit(() -> {
                cache.lock(ETAG).close(); // taken and given back, in the thread that holds it
                return true;
            });
            assertThrows(TimeoutException.class, () -> lock.get(300, TimeUnit.MILLISECONDS),
                    "the lock was taken while another process held its flock");
            holder.getOutputStream().close(); // cat ends, flock releases
            assertEquals(0, holder.waitFor());
            assertTrue(lock.get(30, TimeUnit.SECONDS));
        } finally {
            holder.destroy();
            pool.shutdownNow();
        }
    }

    @Test
    void whileTheBlobIsLockedAnotherProcessCannotTakeItsFlock() throws Exception {
        assumeTrue(Files.isExecutable(FLOCK), "needs util-linux's " + FLOCK + " to try flock(2) in another process");
        HubCache cache = new HubCache(dir, "org/name");
        Path lockFile = dir.resolve(".locks/models--org--name").resolve(ETAG + ".lock");
        try (Closeable held = cache.lock(ETAG)) {
            assertEquals(1, tryFlock(lockFile), "flock -n took the lock vit4j holds");
        }
        assertEquals(0, tryFlock(lockFile), "released when closed");
        try (Closeable again = cache.lock(ETAG)) {
            assertEquals(1, tryFlock(lockFile), "taken again");
        }
    }

    @Test
    void aThreadTakingABlobsLockItHoldsIsRefusedAndKeepsTheLockItHas() throws Exception {
        HubCache cache = new HubCache(dir, "org/name");
        Path lockFile = dir.resolve(".locks/models--org--name").resolve(ETAG + ".lock");
        try (Closeable held = cache.lock(ETAG)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.lock(ETAG));
            assertTrue(e.getMessage().contains("already holds the Hub cache's lock " + lockFile), e.getMessage());
            if (Files.isExecutable(FLOCK)) {
                assertEquals(1, tryFlock(lockFile), "the first lock is still held");
            }
        }
    }

    @Test
    void closingABlobsLockTwiceReleasesItOnceAndLeavesTheNextHoldersLock() throws Exception {
        HubCache cache = new HubCache(dir, "org/name");
        Path lockFile = dir.resolve(".locks/models--org--name").resolve(ETAG + ".lock");
        Closeable first = cache.lock(ETAG);
        first.close();
        try (Closeable second = cache.lock(ETAG)) {
            first.close();
            if (Files.isExecutable(FLOCK)) {
                assertEquals(1, tryFlock(lockFile), "the second holder's lock is still held");
            }
        }
    }

    /** The exit status of {@code flock -n lockFile true}: 0 if it got the lock, 1 if another holds it. */
    private static int tryFlock(Path lockFile) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(FLOCK.toString(), "-n", lockFile.toString(), "true").inheritIO().start();
        return p.waitFor();
    }
}
