package io.github.vit4j.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A folder held by one writer (a resumable trace's or embedding run's): a lock file in it, locked for as long as
 * the holder is open; the operating system releases the lock when the process ends, however it ends. A second
 * writer, in this process or another, fails at once.
 */
public final class FolderLock implements AutoCloseable {

    /**
     * The folders (real paths) whose lock this process holds. A second lock of a folder is refused here, before any
     * channel to its lock file is opened: closing such a channel, as a refused {@link FileChannel#tryLock} must,
     * would release every lock of the process on the file (POSIX locks belong to the process, not the channel), and
     * another process could then take the folder while its writer runs.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    /** Channels to lock files that other code of this process has locked, kept open (and so unlocking nothing). */
    private static final List<FileChannel> PARKED = new CopyOnWriteArrayList<>();

    private final Path held;
    private final FileChannel channel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FolderLock(Path held, FileChannel channel, FileLock lock) {
        this.held = held;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code dir} if needed and takes its lock, the file {@code lockName} in it.
     *
     * @param writer what writes the folder, for the message (e.g. {@code trace})
     * @param hint   what to do instead, the message's end
     * @throws IOException at once when another writer (in this process or another) holds the folder:
     *                     "DIR is being written by another WRITER (it holds the lock FILE); HINT"
     */
    public static FolderLock take(Path dir, String lockName, String writer, String hint) throws IOException {
        Files.createDirectories(dir);
        Path held = dir.toRealPath();
        Path file = dir.resolve(lockName);
        if (!HELD.add(held)) {
            throw busy(dir, file, writer, hint);
        }
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // locked in this process by other code than this class: closing the channel would release that
                // lock too (see HELD), so the channel stays open (one file descriptor) until the process ends
                PARKED.add(channel);
                throw busy(dir, file, writer, hint);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (lock == null) {                                 // another process's lock; this one holds none
                channel.close();
                throw busy(dir, file, writer, hint);
            }
            return new FolderLock(held, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD.remove(held);
            throw e;
        }
    }

    private static IOException busy(Path dir, Path file, String writer, String hint) {
        return new IOException(dir + " is being written by another " + writer + " (it holds the lock " + file
                + "); " + hint);
    }

    /** Releases the lock; closing it again does nothing. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return; // closed before: the folder may be another writer's by now, whose entry in HELD must stay
        }
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(held);
            }
        }
    }
}
