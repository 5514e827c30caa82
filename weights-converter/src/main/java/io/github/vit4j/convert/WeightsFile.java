package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A file of named tensors, as the loader sees it: {@link Safetensors}, a PyTorch checkpoint
 * ({@link TorchCheckpoint}), or the index of a checkpoint split into shards of either kind
 * ({@link ShardedCheckpoint}). The header (names, shapes, dtypes, where the bytes are) is read and validated when the
 * file is opened; {@link #load} reads one tensor as float32.
 */
sealed interface WeightsFile extends Closeable permits Safetensors, TorchCheckpoint, ShardedCheckpoint, DerivedWeights {

    /** Extensions read as PyTorch checkpoints ({@code torch.save} files). */
    List<String> TORCH_EXTENSIONS = List.of(".pt", ".pth", ".bin");

    /**
     * Opens a weights file: the shards an index lists when named {@code *.index.json}; a PyTorch checkpoint when
     * named {@code .pt}, {@code .pth} or {@code .bin} or when it starts like one (a zip archive, or pickle protocol 2
     * and PyTorch's legacy magic number); else safetensors.
     *
     * @throws ModelFormatException naming the file for any malformed header
     * @throws IOException          when the file cannot be read
     */
    static WeightsFile open(Path file) throws IOException {
        if (ShardedCheckpoint.isIndex(file)) {
            return ShardedCheckpoint.open(file);
        }
        return isTorchCheckpoint(file) ? TorchCheckpoint.open(file) : Safetensors.open(file);
    }

    /** Whether {@link #open} reads this file as a PyTorch checkpoint. */
    static boolean isTorchCheckpoint(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (TORCH_EXTENSIONS.stream().anyMatch(name::endsWith)) {
            return true;
        }
        if (name.endsWith(".safetensors") || !Files.isRegularFile(file)) {
            return false;
        }
        byte[] start;
        try (InputStream in = Files.newInputStream(file)) {
            start = in.readNBytes(4);
        }
        return TorchCheckpoint.startsLikeCheckpoint(start);
    }

    /** The file this was opened from. */
    Path file();

    /** Every tensor's name, in the file's order. */
    Set<String> names();

    /** Whether the file holds a tensor of this name. */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * The shape of one tensor, as stored.
     *
     * @throws ModelFormatException naming the file and tensor, with a sample of the names present, when absent
     */
    long[] shape(String name) throws ModelFormatException;

    /** The error for a name the file lacks, with a sample of the names it has. */
    default ModelFormatException noSuchTensor(String name) {
        return new ModelFormatException(file() + " has no tensor " + name + "; it holds " + names().size()
                + " tensors such as " + sampleNames(8));
    }

    /** Up to {@code n} tensor names in sorted order, for messages. */
    default List<String> sampleNames(int n) {
        return names().stream().sorted().limit(n).toList();
    }

    /**
     * Reads one tensor as a fresh float32 C-order array of its stored shape.
     *
     * @throws ModelFormatException when the tensor is absent or of a dtype vit4j does not read
     * @throws IOException          when reading fails
     */
    INDArray load(String name) throws IOException;

    /**
     * Fills {@code into} from {@code ch} at {@code position}, or fails naming the file and the byte where it ends.
     */
    static void readFully(FileChannel ch, ByteBuffer into, long position, Path file) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = ch.read(into, at);
            if (n < 0) {
                throw new ModelFormatException(file + " ended at byte " + at + " while reading; it is truncated");
            }
            at += n;
        }
    }
}
