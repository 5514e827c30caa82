package io.github.vit4j.hub;

import io.github.vit4j.format.AtomicFile;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One repository's folder in {@code huggingface_hub}'s cache, {@code <cache>/models--{org}--{name}/}:
 * {@code blobs/<etag>} (the files' bytes, named by the Hub's ETag: the SHA-256 for LFS files, the git blob id
 * otherwise), {@code snapshots/<commit>/<file>} (relative symlinks to {@code ../../blobs/<etag>}, copies where the
 * file system has no symlinks), {@code refs/<revision>} (the commit a branch or tag pointed to when last resolved),
 * {@code .no_exist/<commit>/<file>} (an empty file: the repository has no such file at that commit). Blobs are
 * written as {@code blobs/<etag>.incomplete}, then renamed atomically, under the lock
 * {@code <cache>/.locks/models--{org}--{name}/<etag>.lock}, as {@code huggingface_hub} does, and with the same lock
 * ({@link BlobLock}).
 */
final class HubCache {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_REF_BYTES = 1024;

    private final Path cache;
    private final Path folder;
    private final String folderName;

    HubCache(Path cache, String repo) {
        this.cache = cache;
        this.folderName = "models--" + repo.replace("/", "--");
        this.folder = cache.resolve(folderName);
    }

    Path folder() {
        return folder;
    }

    Path snapshot(String commit) {
        return folder.resolve("snapshots").resolve(commit);
    }

    Path pointer(String commit, String file) {
        return snapshot(commit).resolve(file);
    }

    Path blob(String etag) {
        return folder.resolve("blobs").resolve(etag);
    }

    Path incomplete(String etag) {
        return folder.resolve("blobs").resolve(etag + ".incomplete");
    }

    /**
     * The commit a revision stands for in the cache: the revision itself if it is a commit, else what its ref file
     * holds, which must be a commit hash (a copied cache's ref is never taken as a path).
     *
     * @throws IOException naming the ref file when it holds anything but 40 hex digits
     */
    Optional<String> commitOf(HubModel model) throws IOException {
        if (model.isCommit()) {
            return Optional.of(model.revision());
        }
        Path ref = folder.resolve("refs").resolve(model.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        String commit = readRef(ref);
        if (!COMMIT.matcher(commit).matches()) {
            throw new IOException("the Hub cache's ref file " + ref + " does not hold a commit hash (40 hex digits"
                    + " a-f, 0-9): the cache is damaged. Delete the file, and download " + model + " again with"
                    + " network (or name its commit: hf:" + model.repo() + "@<commit>)");
        }
        return Optional.of(commit);
    }

    /** A ref file's content, stripped; its first kilobyte and one byte more, never all of a huge file. */
    private static String readRef(Path ref) throws IOException {
        try (InputStream in = Files.newInputStream(ref)) {
            return new String(in.readNBytes(MAX_REF_BYTES + 1), StandardCharsets.UTF_8).strip();
        }
    }

    /**
     * Whether the snapshot of {@code commit} holds {@code file}, with content (a dangling link holds none).
     *
     * @throws IOException naming the entry when it resolves outside the cache (a link to anywhere else)
     */
    boolean has(String commit, String file) throws IOException {
        Path entry = pointer(commit, file);
        if (!Files.exists(entry)) {
            return false;
        }
        checkInside(entry);
        return true;
    }

    /**
     * Refuses a snapshot entry whose real path is not in the cache: {@code huggingface_hub} links entries to
     * {@code ../../blobs/<etag>}, so a link elsewhere (in a copied cache, say to a private file) is not its.
     */
    private void checkInside(Path entry) throws IOException {
        Path real = entry.toRealPath();
        Path root = cache.toRealPath();
        if (!real.startsWith(root)) {
            throw new IOException("the Hub cache's snapshot entry " + entry + " leads to " + real + ", outside the"
                    + " cache " + root + " (huggingface_hub links entries to ../../blobs/<etag>): the cache is"
                    + " damaged or was tampered with. Delete " + entry.getParent() + " and download again");
        }
    }

    /** Records that the repository has no {@code file} at {@code commit}, as huggingface_hub does. */
    void recordAbsent(String commit, String file) throws IOException {
        Path record = noExist(commit, file);
        Files.createDirectories(record.getParent());
        try {
            Files.createFile(record);
        } catch (FileAlreadyExistsException e) {
            // recorded before, by vit4j or by Python
        }
    }

    /** Whether the cache records that the repository has no {@code file} at {@code commit}. */
    boolean knownAbsent(String commit, String file) {
        return Files.isRegularFile(noExist(commit, file));
    }

    private Path noExist(String commit, String file) {
        return folder.resolve(".no_exist").resolve(commit).resolve(file);
    }

    /** Records that {@code revision} (a branch, tag or refs/pr/N) points to {@code commit}. */
    void writeRef(String revision, String commit) throws IOException {
        Path ref = folder.resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref) && readRef(ref).equals(commit)) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        AtomicFile.moveDurably(tmp, ref);
    }

    /**
     * The files of a cached snapshot, as repository paths ({@code /}-separated), whose content is present.
     *
     * @throws IOException naming an entry that leads outside the cache
     */
    List<String> files(String commit) throws IOException {
        Path snapshot = snapshot(commit);
        if (!Files.isDirectory(snapshot)) {
            return List.of();
        }
        List<Path> present;
        try (Stream<Path> all = Files.walk(snapshot)) {
            present = all.filter(Files::isRegularFile).toList(); // follows the symlink: a dangling one is no file
        }
        for (Path p : present) {
            checkInside(p);
        }
        return present.stream().map(p -> snapshot.relativize(p).toString().replace('\\', '/')).sorted().toList();
    }

    /**
     * Makes {@code pointer} show {@code blob}: a relative symlink as {@code huggingface_hub} makes, else (a file
     * system or OS without symlinks) a copy written beside it and renamed.
     */
    void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        if (Files.exists(pointer)) {
            return;
        }
        Files.deleteIfExists(pointer); // a dangling link
        try {
            Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob));
        } catch (FileAlreadyExistsException e) {
            // another process linked it first: the same content
        } catch (UnsupportedOperationException | IOException e) {
            Path tmp = pointer.resolveSibling(pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.copy(blob, tmp);
            AtomicFile.moveDurably(tmp, pointer);
        }
    }

    /**
     * Holds the lock of one blob until closed: {@code .locks/…/<etag>.lock}, with the lock Python's
     * {@code huggingface_hub} takes on it (see {@link BlobLock}).
     */
    Closeable lock(String etag) throws IOException {
        return BlobLock.acquire(cache.resolve(".locks").resolve(folderName).resolve(etag + ".lock"));
    }
}
