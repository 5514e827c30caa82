package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be seen of a durable write: the content, the target replaced by a rename (not rewritten in place), the
 * temporary file gone, and a write that fails half-way leaving the old file. That the bytes and the rename reach the
 * disk (fsync of the file, then of the folder) cannot be observed without cutting the power, so it is not tested.
 */
class AtomicFileTest {

    @TempDir
    Path dir;

    @Test
    void aWrittenFileHoldsItsContentInAFolderMadeForItAndNoTemporaryFileStays() throws IOException {
        Path file = dir.resolve("made/for/it/summary.json");
        AtomicFile.writeString(file, "{\"top1\": 0.75}\n");
        assertEquals("{\"top1\": 0.75}\n", Files.readString(file));
        assertEquals(List.of(file), list(file.getParent()));
    }

    @Test
    void anExistingFileIsReplacedByARenameSoAReaderOfTheOldOneStillReadsAllOfIt() throws IOException {
        Path file = Files.writeString(dir.resolve("model.onnx"), "old content");
        Object oldKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
            AtomicFile.writeString(file, "the new, longer content");
            ByteBuffer old = ByteBuffer.allocate(64);
            reader.read(old, 0);
            assertEquals("old content", new String(old.array(), 0, old.position(), StandardCharsets.UTF_8));
        }
        assertEquals("the new, longer content", Files.readString(file));
        Object newKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        if (oldKey != null) {                                       // the inode, where the file system has one
            assertNotEquals(oldKey, newKey, "a new file renamed into place, not the old one rewritten");
        }
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void aFileWrittenElsewhereIsMovedOverTheTargetWithItsBytesAndAMissingOneCountsAsEmpty() throws IOException {
        Path target = Files.writeString(dir.resolve("blob"), "old");
        Path complete = Files.writeString(dir.resolve("blob.incomplete"), "new bytes");
        AtomicFile.moveDurably(complete, target);
        assertEquals("new bytes", Files.readString(target));
        assertFalse(Files.exists(complete));
        AtomicFile.moveDurably(dir.resolve("empty.incomplete"), target);
        assertEquals(0, Files.size(target));
    }

    @Test
    void aWriteThatFailsHalfWayLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path file = Files.writeString(dir.resolve("trace.csv"), "image,top1\n0,3\n");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, out -> {
            out.write("image,top1\n0,3\n1,".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("image,top1\n0,3\n", Files.readString(file));
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void aWriteThatFailsWithAnUncheckedErrorLeavesNoTemporaryFileEither() throws IOException {
        Path file = dir.resolve("new.svg");
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(file, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("a chart that cannot be drawn");
        }));
        assertTrue(Files.notExists(file));
        assertEquals(List.of(), list(dir));
    }

    @Test
    void aVitFileIsReplacedTheSameWayAndReadsBackWithNoTemporaryFileBesideIt() throws IOException {
        VitConfig tiny = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, List.of("a", "b", "c"));
        Pretrained first = new Pretrained(VitWeights.random(tiny, 1), Preprocessing.unitRange(8));
        Pretrained second = new Pretrained(VitWeights.random(tiny, 2), Preprocessing.unitRange(8));
        Path file = dir.resolve("model.vit");
        VitFile.write(file, first);
        Object oldKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        VitFile.write(file, second);
        assertEquals(second.weights().tensors().get("head.weight"),
                VitFile.read(file).weights().tensors().get("head.weight"), "the second model's weights");
        assertTrue(VitFile.inspect(file).ok());
        if (oldKey != null) {
            assertNotEquals(oldKey, Files.readAttributes(file, BasicFileAttributes.class).fileKey());
        }
        assertEquals(List.of(file), list(dir));
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }
}
