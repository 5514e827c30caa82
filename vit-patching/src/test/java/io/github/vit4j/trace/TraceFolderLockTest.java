package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trace folder's lock as other processes see it ({@link LockProbe} tries it from a JVM of its own): a second lock
 * of a folder in the same process is refused without releasing the first, which POSIX does for every lock of the
 * process on a file as soon as any channel to it is closed.
 */
class TraceFolderLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondLockOfAFolderInTheSameProcessIsRefusedAndTheFolderStaysLockedAgainstOtherProcesses()
            throws Exception {
        Path lockFile = dir.resolve(TraceFolder.LOCK);
        try (TraceFolder first = TraceFolder.lock(dir)) {
            IOException again = assertThrows(IOException.class, () -> TraceFolder.lock(dir));
            assertTrue(again.getMessage().contains(dir.toString()) && again.getMessage().contains("another trace"),
                    again.getMessage());
            assertThrows(IOException.class, () -> TraceFolder.lock(dir.resolve(".")), "the same folder by another "
                    + "name");
            assertEquals("held", LockProbe.tryFrom(lockFile), "another process still finds the folder locked");
        }
        assertEquals("free", LockProbe.tryFrom(lockFile), "released when the first closes");
        TraceFolder.lock(dir).close();
    }

    @Test
    void closingAFolderTwiceLeavesTheNextRunsLockInPlace() throws Exception {
        TraceFolder first = TraceFolder.lock(dir);
        first.close();
        try (TraceFolder second = TraceFolder.lock(dir)) {
            first.close();
            assertThrows(IOException.class, () -> TraceFolder.lock(dir), "the second run still holds the folder");
        }
    }

    @Test
    void aFolderLockedByAnotherProcessIsRefusedAndTakenOnceThatProcessEnds() throws Exception {
        try (LockProbe.Holder other = LockProbe.holdFrom(dir.resolve(TraceFolder.LOCK))) {
            IOException e = assertThrows(IOException.class, () -> TraceFolder.lock(dir));
            assertTrue(e.getMessage().contains("another trace"), e.getMessage());
        }
        TraceFolder.lock(dir).close();
    }

    @Test
    void aLockFileLockedByOtherCodeOfThisProcessIsRefusedWithoutReleasingThatLock() throws Exception {
        Path lockFile = dir.resolve(TraceFolder.LOCK);
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            assertTrue(lock != null, "the test holds the lock");
            assertThrows(IOException.class, () -> TraceFolder.lock(dir));
            assertEquals("held", LockProbe.tryFrom(lockFile));
        }
    }
}
