package io.github.vit4j.format;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a file durably through a temporary file beside it, moved into place when complete: a reader, or a trace
 * resumed after a kill, never sees half a file. The temporary file is removed whatever fails.
 *
 * <p>What a power cut (or a kernel crash) leaves: the temporary file's bytes are forced to the disk ({@code fsync})
 * before it is renamed, and then the folder is forced so that the rename itself is on the disk too. So once
 * {@link #write} returns, the new file survives a power cut; a power cut before it returns leaves either the old
 * file (or none) or the complete new one, never a mix, though a stray {@code .NAME.UUID.tmp} may stay beside it.
 * Forcing the folder works on Linux and macOS; where the platform cannot open a folder (Windows, whose NTFS journals
 * the rename itself) or the file system refuses to force one, that step is skipped. "On the disk" is as far as the
 * operating system's {@code fsync} goes (macOS's does not flush the drive's own cache). The native {@code .vit}
 * writer ({@link VitFile#write}) writes through its own channel and moves into place the same way.
 */
public final class AtomicFile {

    /** What writes the file's bytes. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    /** Writes {@code file} with {@code body} (parent folders are created), durably (see the class comment). */
    public static void write(Path file, Body body) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = temporaryBeside(file);
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel))) {
                body.write(out);
                out.flush();
                channel.force(true);
            }
            moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);                                 // gone already unless something failed
        }
    }

    /** Writes {@code text} as UTF-8. */
    public static void writeString(Path file, String text) throws IOException {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Puts a complete file written elsewhere (a download) in place as {@link #write} does its own: forced to the disk,
     * renamed over {@code target} (atomically where the file system can), the folder forced. After a power cut
     * {@code target} is the whole file or what it was before, never a name whose bytes were lost. A missing
     * {@code complete} is taken as an empty file.
     */
    public static void moveDurably(Path complete, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(complete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        moveIntoPlace(complete, target);
    }

    /** A new empty file in {@code file}'s folder, hidden, named after it: {@code .NAME.UUID.tmp}. */
    static Path temporaryBeside(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        return Files.createFile(absolute.resolveSibling("." + absolute.getFileName() + "." + UUID.randomUUID()
                + ".tmp"));
    }

    /**
     * Moves a complete temporary file, already forced to the disk, over {@code target}: atomically where the file
     * system can, then forces the folder so that the rename survives a power cut.
     */
    static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        forceFolder(target.toAbsolutePath().getParent());
    }

    /**
     * Forces a folder's entries to the disk: a folder opened for reading can be forced on Linux and macOS. Where
     * the platform cannot open a folder (Windows: access denied) or the file system refuses to force one, nothing
     * more can be done, and the file itself is in place either way, so the failure is ignored.
     */
    private static void forceFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException cannot) {
            // no folder fsync on this platform or file system; see the class comment
        }
    }
}
