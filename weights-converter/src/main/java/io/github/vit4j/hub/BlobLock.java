package io.github.vit4j.hub;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.Charset;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock of one blob of the Hub cache, {@code <cache>/.locks/models--{org}--{name}/<etag>.lock}, the file Python's
 * {@code huggingface_hub} locks, so that one of them downloads a blob while the others wait and then find it.
 *
 * <p>Which lock: Python's {@code filelock} takes {@code flock(2)} on Linux and macOS, and on Linux that lock and the
 * POSIX record lock of Java's {@link FileChannel#lock} do not see each other. So on Linux and macOS this takes
 * {@code flock(2)} through JNA, as {@code filelock} does (non-blocking, polled, so that a waiting thread can be
 * interrupted); HubCacheTest checks it against util-linux's {@code flock} in another process. Elsewhere, or where the
 * C library cannot be called (JNA 4.3.0, the version ND4J brings, has no native part for macOS on Apple silicon), it
 * takes {@link FileChannel#lock} (LockFileEx on Windows, where {@code filelock}'s
 * {@code msvcrt.locking} is a byte-range lock of the same kind, untested here; fcntl(2) on other Unixes, said once in
 * an SLF4J warning): other processes doing the same wait, Python on Linux may not. Without a shared lock two
 * downloads of one file can write its {@code .incomplete} at once: an LFS file is still checked against its SHA-256
 * before it becomes a blob, a small file (config.json) is not. Threads of one JVM queue on a lock of their own
 * first.
 */
final class BlobLock {

    private static final Logger LOG = LoggerFactory.getLogger(BlobLock.class);
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();
    private static final long POLL_MILLIS = 50; // filelock's default poll interval
    private static final Optional<Flock> FLOCK = loadFlock();

    private BlobLock() {
    }

    /** Holds the lock of {@code lockFile} (made if missing) until closed; waits while another holds it. */
    static Closeable acquire(Path lockFile) throws IOException {
        Files.createDirectories(lockFile.getParent());
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(),
                p -> new ReentrantLock());
        if (local.isHeldByCurrentThread()) { // a second flock would wait for this thread forever; a second
            // FileChannel lock would fail, and closing its channel would release the first (POSIX drops them all)
            throw new IllegalStateException("this thread already holds the Hub cache's lock " + lockFile
                    + "; the lock of a blob is taken once per download, never nested");
        }
        try {
            local.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the lock " + lockFile);
        }
        try {
            Closeable held = FLOCK.isPresent() ? FLOCK.get().lock(lockFile) : channelLock(lockFile);
            AtomicBoolean closed = new AtomicBoolean();
            return () -> {
                if (!closed.compareAndSet(false, true)) {
                    return; // a second close: the descriptor's number may belong to another file by now
                }
                try {
                    held.close();
                } finally {
                    local.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            local.unlock();
            throw e;
        }
    }

    private static Optional<Flock> loadFlock() {
        try {
            return Flock.load();
        } catch (LinkageError | RuntimeException e) { // JNA left out of the class path, no C library
            LOG.warn("flock(2) cannot be called ({}): the Hub cache's lock excludes other vit4j processes but not"
                    + " Python's huggingface_hub downloading the same file at the same time", e.toString());
            return Optional.empty();
        }
    }

    /** Java's file lock: fcntl(2) record locks on Unix, LockFileEx on Windows. */
    private static Closeable channelLock(Path lockFile) throws IOException {
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.lock();
            return () -> {
                try (channel) {
                    lock.release();
                }
            };
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** flock(2) of the C library, through JNA: open, flock and close, with the constants of Linux and macOS. */
    private record Flock(Function open, Function flock, Function close, int wouldBlock) {

        private static final int O_RDONLY = 0;
        private static final int O_RDWR = 2;
        private static final int LOCK_EX = 2;
        private static final int LOCK_NB = 4;
        private static final int LOCK_UN = 8;
        private static final int EINTR = 4;
        private static final int EACCES = 13;

        /** The C library's functions on Linux and macOS; nothing elsewhere. */
        static Optional<Flock> load() {
            if (Platform.isLinux() || Platform.isMac()) {
                return Optional.of(new Flock(Function.getFunction("c", "open"), Function.getFunction("c", "flock"),
                        Function.getFunction("c", "close"), Platform.isLinux() ? 11 : 35)); // EWOULDBLOCK
            }
            if (!Platform.isWindows()) {
                LOG.warn("flock(2) is not called on {}: the Hub cache's lock excludes other vit4j processes but may"
                        + " not exclude Python's huggingface_hub", System.getProperty("os.name"));
            }
            return Optional.empty();
        }

        Closeable lock(Path lockFile) throws IOException {
            try {
                Files.createFile(lockFile);
            } catch (FileAlreadyExistsException e) {
                // made by another process, Python's or ours: the same lock
            }
            int fd = openFile(lockFile);
            boolean told = false;
            try {
                while (flock.invokeInt(new Object[] {fd, LOCK_EX | LOCK_NB}) != 0) {
                    int errno = Native.getLastError();
                    if (errno != wouldBlock && errno != EINTR) {
                        throw new IOException("flock(2) on " + lockFile + " failed (errno " + errno + "); the Hub"
                                + " cache's locks need a file system that supports them");
                    }
                    if (!told) {
                        LOG.info("waiting for {}: another process (vit4j or Python's huggingface_hub) is"
                                + " downloading the same file", lockFile);
                        told = true;
                    }
                    Thread.sleep(POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                close.invokeInt(new Object[] {fd});
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the lock " + lockFile);
            } catch (IOException | RuntimeException e) {
                close.invokeInt(new Object[] {fd});
                throw e;
            }
            return () -> {
                flock.invokeInt(new Object[] {fd, LOCK_UN}); // a child that inherited fd cannot keep it locked
                close.invokeInt(new Object[] {fd});
            };
        }

        /** The lock file opened for reading and writing (NFS's emulated flock needs it), else for reading. */
        private int openFile(Path lockFile) throws IOException {
            byte[] name = lockFile.toAbsolutePath().toString().getBytes(Charset.forName(
                    System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name())));
            byte[] cString = Arrays.copyOf(name, name.length + 1); // NUL-terminated
            int fd = open.invokeInt(new Object[] {cString, O_RDWR});
            if (fd < 0 && Native.getLastError() == EACCES) {
                fd = open.invokeInt(new Object[] {cString, O_RDONLY});
            }
            if (fd < 0) {
                throw new IOException("cannot open the lock file " + lockFile + " (errno " + Native.getLastError()
                        + "); is the Hub cache writable?");
            }
            return fd;
        }
    }
}
