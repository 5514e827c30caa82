package io.github.vit4j.format;

import static io.github.vit4j.format.VitFileDiagnostics.RECONVERT;
import static io.github.vit4j.format.VitFileDiagnostics.badMagic;
import static io.github.vit4j.format.VitFileDiagnostics.cap;
import static io.github.vit4j.format.VitFileDiagnostics.checksumMessage;
import static io.github.vit4j.format.VitFileDiagnostics.nearlyMagic;
import static io.github.vit4j.format.VitFileDiagnostics.tableProblems;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.kernels.NativeEnvironment;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The native {@code .vit} model file: one file holding the config, the preprocessing and every weight, laid out so
 * that loading is a memory mapping, not a parse.
 *
 * <pre>
 * offset        size  content
 * 0             8     magic "VIT4J\0v1" (56 49 54 34 4A 00 76 31)
 * 8             8     H, the header length in bytes, unsigned little-endian (at most 64 MiB)
 * 16            H     the header: UTF-8 text in java.util.Properties syntax (see below)
 * 16 + H        pad   zero bytes up to the first multiple of 64
 * tensor.k.offset     each tensor: float32 little-endian, C order, in VitWeights.tensors() order, every tensor
 *                     starting at a multiple of 64, zero padding between tensors
 * </pre>
 *
 * The header holds {@code format.version}, the {@link VitConfig} ({@code config.*}, labels as
 * {@code config.label.i}, the LayerNorm epsilon as the exact shortest round-tripping decimal), the
 * {@link Preprocessing} ({@code preprocessing.*}) and the tensor table ({@code tensor.k.name / shape / offset /
 * length / crc32c}, offsets absolute from the start of the file); its last line is {@code header.crc32c}, the
 * CRC-32C of the header bytes before it. The same model always gives the same bytes.
 *
 * <p>{@link #read} maps each tensor's bytes read-only and wraps them as an ND4J float array without copying them
 * onto the Java heap or into fresh native memory: loading costs the page faults of the first forward pass (plus
 * one sequential pass for the checksums, see {@link #read(Path, boolean)}). Such arrays must never be written to:
 * an in-place op on a read-only mapping crashes the JVM ({@code dup()} first).
 *
 * <p>Every error is a {@link ModelFormatException} (an {@link IOException}) naming the file, the tensor, what was
 * expected and what was found.
 */
public final class VitFile {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    /** The customary file name extension. */
    public static final String EXTENSION = ".vit";
    /** Every tensor starts at a multiple of this many bytes from the start of the file. */
    public static final int ALIGNMENT = 64;
    /** Headers longer than this are rejected as corrupt before anything is allocated (64 MiB). */
    public static final long MAX_HEADER_BYTES = 64L << 20;

    /** The first 8 bytes of every {@code .vit} file of this version: "VIT4J\0v1" (never written to). */
    static final byte[] MAGIC = {'V', 'I', 'T', '4', 'J', 0, 'v', '1'};
    /** The magic and the header length. */
    static final int PREAMBLE = 16;

    private VitFile() {
    }

    /**
     * Writes {@code model} to {@code out}: first to a temporary file beside it, forced to the disk, then moved over
     * {@code out} atomically (where the file system can) and the folder forced, so that readers never see half a file
     * and the new file survives a power cut once this returns (as {@link AtomicFile} says).
     *
     * @throws IOException              when the folder does not exist, {@code out} is a folder, or writing fails
     * @throws IllegalArgumentException when a tensor is not float32 or too large for the format
     */
    public static void write(Path out, Pretrained model) throws IOException {
        Path target = out.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + out + ": folder " + dir + " does not exist");
        }
        if (Files.isDirectory(target)) {
            throw new IOException("cannot write " + out + ": it is a folder; name the .vit file to write");
        }
        VitWeights weights = model.weights();
        List<String> names = new ArrayList<>();
        List<INDArray> arrays = new ArrayList<>();
        List<Integer> crcs = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : weights.tensors().entrySet()) {
            INDArray a = contiguous(out, e.getKey(), e.getValue());
            CRC32C crc = new CRC32C();
            forEachLittleEndianChunk(a, crc::update);
            names.add(e.getKey());
            arrays.add(a);
            crcs.add((int) crc.getValue());
        }
        // Offsets are absolute, so the header's length depends on them and they on it: iterate to the fixed point
        // (the sequence only grows and settles after two or three rounds).
        long dataStart = 0;
        List<TensorEntry> entries;
        byte[] header;
        while (true) {
            entries = new ArrayList<>();
            long offset = dataStart;
            for (int k = 0; k < names.size(); k++) {
                long length = 4 * arrays.get(k).length();
                entries.add(new TensorEntry(names.get(k), arrays.get(k).shape(), offset, length, crcs.get(k)));
                offset = align(offset + length);
            }
            header = new Header(Header.versionFor(weights.config()), weights.config(), model.preprocessing(), entries).render();
            long start = align(PREAMBLE + (long) header.length);
            if (start == dataStart) {
                break;
            }
            dataStart = start;
        }

        Path tmp = AtomicFile.temporaryBeside(target);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer preamble = ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN);
                preamble.put(MAGIC).putLong(header.length).flip();
                writeFully(ch, preamble);
                writeFully(ch, ByteBuffer.wrap(header));
                for (int k = 0; k < entries.size(); k++) {
                    padTo(ch, entries.get(k).offset());
                    forEachLittleEndianChunk(arrays.get(k), chunk -> writeFully(ch, chunk));
                }
                ch.force(true);
            }
            AtomicFile.moveIntoPlace(tmp, target);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Reads a {@code .vit} file, verifying every tensor's checksum: {@code read(file, true)}. Verifying reads each
     * byte once (CRC-32C runs at several GB/s, so it costs about as much as paging the weights in, which the
     * first forward pass would do anyway).
     *
     * @throws ModelFormatException naming the file (and tensor) when the file is not a valid {@code .vit} file
     * @throws IOException          when the file cannot be read
     */
    public static Pretrained read(Path file) throws IOException {
        return read(file, true);
    }

    /**
     * Reads a {@code .vit} file by mapping each tensor read-only and wrapping the mapped memory as an ND4J float
     * array (no copy). The returned arrays are views of the file: never write to them.
     *
     * @param verifyChecksums whether to compare each tensor's CRC-32C with the table; without it a corrupt byte
     *                        goes unnoticed but loading touches no page until the forward pass needs it
     * @throws ModelFormatException naming the file (and tensor) when the file is not a valid {@code .vit} file
     * @throws IOException          when the file cannot be read
     */
    public static Pretrained read(Path file, boolean verifyChecksums) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Opened opened = open(file, ch);
            List<String> problems = tableProblems(file, opened);
            if (!problems.isEmpty()) {
                throw new ModelFormatException(problems.get(0) + (problems.size() == 1 ? ""
                        : " (and " + (problems.size() - 1) + " more problems; `vit inspect " + file
                        + "` lists them)"));
            }
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            for (TensorEntry e : opened.header().tensors()) {
                MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, e.offset(), e.length());
                if (verifyChecksums) {
                    int crc = crc32c(mapped);
                    if (crc != e.crc32c()) {
                        throw new ModelFormatException(checksumMessage(file, e, crc));
                    }
                }
                tensors.put(e.name(), wrap(mapped, e.shape(), e.elements()));
            }
            Header h = opened.header();
            try {
                return new Pretrained(VitWeights.fromTensors(h.config(), tensors), h.preprocessing());
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Reads the header and table and verifies every tensor's checksum without failing on the first problem: what
     * {@code vit inspect} prints.
     *
     * @throws ModelFormatException when the file is not a {@code .vit} file or its header cannot be read (wrong
     *                              magic, truncated preamble or header, header checksum or syntax); problems with
     *                              tensors are reported in {@link Inspection#problems()} instead
     * @throws IOException          when the file cannot be read
     */
    public static Inspection inspect(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return VitFileDiagnostics.inspect(file, ch, open(file, ch));
        }
    }

    /**
     * Whether the file starts with the {@code .vit} magic (a cheap test to tell it from a safetensors file).
     *
     * @throws IOException when the file cannot be read
     */
    public static boolean isVitFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // keep reading
            }
            return !head.hasRemaining() && Arrays.equals(head.array(), MAGIC);
        }
    }

    /**
     * Whether a file is meant to be a {@code .vit} file, damaged or not: a regular file whose name ends with
     * {@code .vit} (any case) or whose first 8 bytes differ from the magic in at most two. Loaders read such a file
     * with {@link #read}, which says what is wrong with it, rather than try it as another format.
     *
     * @throws IOException when the file cannot be read
     */
    public static boolean looksLikeVitFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(EXTENSION)) {
            return true;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
            readFully(ch, head, 0);
            return !head.hasRemaining() && nearlyMagic(head.array());
        }
    }

    /** The parts of a file known after its header: size, header length, where data may start, the header. */
    record Opened(long size, long headerLength, long dataStart, Header header) {
    }

    private static Opened open(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, 0);
        pre.flip();
        byte[] first = new byte[Math.min(pre.remaining(), MAGIC.length)];
        pre.get(0, first);
        if (!Arrays.equals(first, MAGIC)) {
            throw new ModelFormatException(badMagic(file, size, first, pre));
        }
        if (size < PREAMBLE) {
            throw new ModelFormatException(file + " is truncated: " + size + " bytes, shorter than the " + PREAMBLE
                    + "-byte preamble (magic and header length); " + RECONVERT);
        }
        long headerLength = pre.getLong(MAGIC.length);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " bytes is absurd (the limit is " + MAX_HEADER_BYTES + "); the file is corrupt. " + cap(RECONVERT));
        }
        if (headerLength > size - PREAMBLE) {
            throw new ModelFormatException(file + ": header length " + headerLength + " bytes runs past the end of the"
                    + " file (" + size + " bytes, so at most " + (size - PREAMBLE) + " bytes of header); the file is"
                    + " truncated. " + cap(RECONVERT));
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(ch, headerBytes, PREAMBLE);
        Header header = Header.parse(headerBytes.array(), file);
        return new Opened(size, headerLength, align(PREAMBLE + headerLength), header);
    }

    /** Wraps mapped little-endian float32 bytes as a C-order array without copying (copying on big-endian CPUs). */
    private static INDArray wrap(MappedByteBuffer mapped, long[] shape, long elements) {
        FloatBuffer floats = mapped.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            float[] values = new float[Math.toIntExact(elements)];
            floats.get(values);
            return Nd4j.create(values, shape, 'c');
        }
        // The pointer keeps the buffer (and so the mapping) reachable; ND4J's data buffer keeps the pointer.
        FloatPointer pointer = new FloatPointer(floats);
        DataBuffer buffer = Nd4j.createBuffer(pointer, DataType.FLOAT, elements, FloatIndexer.create(pointer));
        return Nd4j.create(buffer, shape);
    }

    private static INDArray contiguous(Path out, String name, INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("cannot write " + out + ": tensor " + name + " is " + a.dataType()
                    + "; the .vit format stores float32 (castTo(DataType.FLOAT) first)");
        }
        if (4 * a.length() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot write " + out + ": tensor " + name + " "
                    + Arrays.toString(a.shape()) + " is over 2 GiB; format version 1 stores at most 2 GiB per tensor");
        }
        return isDense(a) ? a : a.dup('c');
    }

    /** Whether {@code a}'s whole buffer is exactly its elements in C order (so the buffer can be written as is). */
    static boolean isDense(INDArray a) {
        return !a.isView() && a.ordering() == 'c' && a.offset() == 0 && a.data().length() == a.length();
    }

    /** A consumer of little-endian byte chunks that may fail with an IOException. */
    private interface ChunkSink {
        void accept(ByteBuffer chunk) throws IOException;
    }

    /** Hands the array's values to {@code sink} as little-endian bytes: its own memory on little-endian CPUs. */
    private static void forEachLittleEndianChunk(INDArray dense, ChunkSink sink) throws IOException {
        int bytes = Math.toIntExact(4 * dense.length());
        ByteBuffer memory = dense.data().asNio().order(ByteOrder.nativeOrder());
        memory.position(0).limit(bytes);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            sink.accept(memory.slice().order(ByteOrder.LITTLE_ENDIAN));
            return;
        }
        FloatBuffer values = memory.asFloatBuffer();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        while (values.hasRemaining()) {
            chunk.clear();
            FloatBuffer out = chunk.asFloatBuffer();
            int n = Math.min(out.remaining(), values.remaining());
            FloatBuffer part = values.slice().limit(n);
            out.put(part);
            values.position(values.position() + n);
            chunk.limit(4 * n);
            sink.accept(chunk);
        }
    }

    static int crc32c(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return (int) crc.getValue();
    }

    private static long align(long position) {
        return (position + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void padTo(FileChannel ch, long offset) throws IOException {
        long gap = offset - ch.position();
        if (gap < 0 || gap >= ALIGNMENT) {
            throw new IllegalStateException("bad layout: at byte " + ch.position() + ", next tensor at " + offset);
        }
        writeFully(ch, ByteBuffer.allocate((int) gap));
    }

    private static void writeFully(FileChannel ch, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            ch.write(bytes);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = ch.read(into, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
    }


}
