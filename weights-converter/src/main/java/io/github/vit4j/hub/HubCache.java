package io.github.vit4j.hub;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * One repository's folder in {@code huggingface_hub}'s cache, {@code <cache>/models--{org}--{name}/}:
 * {@code blobs/<etag>} (the files' bytes, named by the Hub's ETag: the SHA-256 for LFS files, the git blob id
 * otherwise), {@code snapshots/<commit>/<file>} (relative symlinks to {@code ../../blobs/<etag>}, copies where the
 * file system has no symlinks), {@code refs/<revision>} (the commit a branch or tag pointed to when last resolved).
 * Blobs are written as {@code blobs/<etag>.incomplete}, then renamed atomically, under the lock
 * {@code <cache>/.locks/models--{org}--{name}/<etag>.lock}, as {@code huggingface_hub} does, and with the same lock
 * ({@link BlobLock}).
 */
final class HubCache {

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

    /** The commit a revision stands for in the cache: the revision itself if it is a commit, else its ref file. */
    Optional<String> commitOf(HubModel model) throws IOException {
        if (model.isCommit()) {
            return Optional.of(model.revision());
        }
        Path ref = folder.resolve("refs").resolve(model.revision());
        return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref, StandardCharsets.UTF_8).strip())
                : Optional.empty();
    }

    /** Records that {@code revision} (a branch, tag or refs/pr/N) points to {@code commit}. */
    void writeRef(String revision, String commit) throws IOException {
        Path ref = folder.resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The files of a cached snapshot, as repository paths ({@code /}-separated), whose content is present. */
    List<String> files(String commit) throws IOException {
        Path snapshot = snapshot(commit);
        if (!Files.isDirectory(snapshot)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(snapshot)) {
            return all.filter(Files::isRegularFile) // follows the symlink: a dangling one is no file
                    .map(p -> snapshot.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
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
            Files.move(tmp, pointer, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
