package io.github.vit4j.convert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@code .safetensors} file: an unsigned little-endian u64 header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the
 * data section, offsets relative to its start.
 *
 * <p>{@link #open} reads and validates the whole header before any tensor is touched: the header length against the
 * file size and a 100 MiB bound (checked before anything is allocated), the JSON, every tensor's offsets against the
 * data section, overlaps, and byte counts against dtype × shape. {@link #load} then reads one tensor with positional
 * reads straight into a fresh float32 ND4J array (F32, F16 and BF16 are decoded; other dtypes are named and
 * refused). Every error is a {@link ModelFormatException} naming the file and tensor.
 */
final class Safetensors implements WeightsFile {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    /** Headers longer than this are refused as corrupt before any allocation (100 MiB). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** The dtypes this reader decodes to float32. */
    enum Dtype {
        F32(4), F16(2), BF16(2);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }
    }

    /** Byte widths of every dtype the safetensors format defines, supported or not, to check their sizes. */
    private static final Map<String, Integer> KNOWN_DTYPES = Map.ofEntries(
            Map.entry("F64", 8), Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I64", 8), Map.entry("I32", 4), Map.entry("I16", 2), Map.entry("I8", 1),
            Map.entry("U64", 8), Map.entry("U32", 4), Map.entry("U16", 2), Map.entry("U8", 1),
            Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1), Map.entry("C64", 8));

    static final String SUPPORTED = "F32, F16, BF16";

    /**
     * One entry of the header.
     *
     * @param name  the tensor's name in the file
     * @param dtype the dtype as the file spells it, e.g. {@code F32}
     * @param shape the shape as in the file, e.g. {@code [1, 197, 768]}
     * @param begin first byte, relative to the data section
     * @param end   one past the last byte, relative to the data section
     */
    record Info(String name, String dtype, long[] shape, long begin, long end) {

        Info {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements. */
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d; // validated not to overflow when the file was opened
            }
            return n;
        }

        String shapeText() {
            return Arrays.toString(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Info i && i.name.equals(name) && i.dtype.equals(dtype) && Arrays.equals(i.shape, shape)
                    && i.begin == begin && i.end == end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + shapeText();
        }
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Info> tensors;
    private final Map<String, String> metadata;

    private Safetensors(Path file, FileChannel channel, long dataStart, Map<String, Info> tensors,
                        Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens a safetensors file and validates its header.
     *
     * @throws ModelFormatException naming the file (and tensor) for any malformed header
     * @throws IOException          when the file cannot be read
     */
    static Safetensors open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return read(file, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Safetensors read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new ModelFormatException(file + " is " + size + " bytes, too short for a safetensors file (it starts"
                    + " with an 8-byte header length); the file is truncated or not safetensors");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        WeightsFile.readFully(ch, lengthBytes, 0, file);
        long n = lengthBytes.flip().getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file + ": safetensors header length " + Long.toUnsignedString(n)
                    + " bytes is absurd (the limit is " + MAX_HEADER_BYTES + " bytes); the file is corrupt or not"
                    + " safetensors");
        }
        if (n > size - 8) {
            throw new ModelFormatException(file + ": safetensors header length " + n + " bytes runs past the end of"
                    + " the file (" + size + " bytes, so at most " + (size - 8) + " bytes of header); the file is"
                    + " truncated or not safetensors");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        WeightsFile.readFully(ch, headerBytes, 8, file);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": the safetensors JSON header is malformed: "
                    + e.getOriginalMessage() + (e.getLocation() == null ? ""
                    : " (header byte " + e.getLocation().getByteOffset() + ")"), e);
        } catch (CharConversionException e) { // Jackson guessed UTF-16 or UTF-32 from the first bytes (fuzzing found it)
            throw new ModelFormatException(file + ": the safetensors header is not UTF-8 JSON (" + e.getMessage()
                    + "); the file is corrupt or not safetensors", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + ": the safetensors header is not a JSON object; the file is corrupt"
                    + " or not safetensors");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, Info> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode v = field.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new ModelFormatException(file + ": __metadata__ must be a JSON object of strings");
                }
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, info(file, name, v, dataSize));
        }
        List<Info> byOffset = new ArrayList<>(tensors.values());
        byOffset.removeIf(t -> t.begin() == t.end());
        byOffset.sort(Comparator.comparingLong(Info::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Info a = byOffset.get(i - 1);
            Info b = byOffset.get(i);
            if (b.begin() < a.end()) {
                throw new ModelFormatException(file + ": tensors " + a.name() + " (data_offsets [" + a.begin() + ", "
                        + a.end() + "]) and " + b.name() + " (data_offsets [" + b.begin() + ", " + b.end()
                        + "]) overlap; the file is corrupt");
            }
        }
        return new Safetensors(file, ch, dataStart, tensors, metadata);
    }

    private static Info info(Path file, String name, JsonNode v, long dataSize) throws ModelFormatException {
        String where = file + ": tensor " + name;
        if (!v.isObject()) {
            throw new ModelFormatException(where + " must be a JSON object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = v.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + " has no dtype string");
        }
        String dtype = dtypeNode.asText();
        Integer width = KNOWN_DTYPES.get(dtype);
        if (width == null) {
            throw new ModelFormatException(where + " has unknown dtype \"" + dtype + "\"; supported: " + SUPPORTED);
        }
        long[] shape = longs(v.get("shape"), where, "shape");
        long[] offsets = longs(v.get("data_offsets"), where, "data_offsets");
        if (offsets.length != 2) {
            throw new ModelFormatException(where + " has data_offsets " + Arrays.toString(offsets)
                    + "; expected [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new ModelFormatException(where + " has data_offsets [" + begin + ", " + end + "] outside the data"
                    + " section [0, " + dataSize + "]; the file is truncated or corrupt");
        }
        long bytes;
        try {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, (long) width);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + " has shape " + Arrays.toString(shape) + ", too large to exist");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(where + " " + dtype + " " + Arrays.toString(shape) + " needs " + bytes
                    + " bytes (" + width + " per element) but its data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + "; the file is corrupt");
        }
        return new Info(name, dtype, shape, begin, end);
    }

    private static long[] longs(JsonNode node, String where, String key) throws ModelFormatException {
        if (node == null || !node.isArray()) {
            throw new ModelFormatException(where + " has no " + key + " array");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = node.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToLong() || e.asLong() < 0) {
                throw new ModelFormatException(where + " has " + key + " " + node + "; expected non-negative"
                        + " integers");
            }
            out[i] = e.asLong();
        }
        return out;
    }

    @Override
    public Path file() {
        return file;
    }

    /** Every tensor of the header, in header order. */
    Map<String, Info> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public long[] shape(String name) throws ModelFormatException {
        return info(name).shape();
    }

    /**
     * The header entry of one tensor.
     *
     * @throws ModelFormatException naming the file and tensor, with a sample of the names present, when absent
     */
    Info info(String name) throws ModelFormatException {
        Info i = tensors.get(name);
        if (i == null) {
            throw noSuchTensor(name);
        }
        return i;
    }

    /**
     * Reads one tensor as a float32 C-order array with the file's shape (F32 bit-exact; F16 and BF16 widened
     * exactly).
     *
     * @throws ModelFormatException when the tensor is absent or of a dtype other than F32, F16 and BF16
     * @throws IOException          when reading fails
     */
    @Override
    public INDArray load(String name) throws IOException {
        Info info = info(name);
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(info.dtype());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": tensor " + name + " " + info.shapeText() + " has dtype "
                    + info.dtype() + ", which vit4j does not read; supported: " + SUPPORTED
                    + " (save the weights as float32 or float16)");
        }
        long elements = info.elements();
        if (elements > Integer.MAX_VALUE / 4) {       // not elements * 4, which could wrap round for a long
            throw new ModelFormatException(file + ": tensor " + name + " " + info.shapeText() + " is over 2 GiB as"
                    + " float32; vit4j reads tensors up to 2 GiB");
        }
        if (elements == 0) {
            return Nd4j.create(DataType.FLOAT, info.shape());
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, info.shape(), 'c');
        ByteBuffer memory = out.data().asNio().order(ByteOrder.nativeOrder());
        memory.position(0).limit((int) (elements * 4));
        long position = dataStart + info.begin();
        if (dtype == Dtype.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            WeightsFile.readFully(channel, memory, position, file);
            return out;
        }
        FloatBuffer target = memory.asFloatBuffer();
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long remaining = info.end() - info.begin();
        while (remaining > 0) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), remaining));
            WeightsFile.readFully(channel, chunk, position, file);
            chunk.flip();
            position += chunk.remaining();
            remaining -= chunk.remaining();
            switch (dtype) {
                case F32 -> {
                    while (chunk.hasRemaining()) {
                        target.put(chunk.getFloat());
                    }
                }
                case F16 -> {
                    while (chunk.hasRemaining()) {
                        target.put(HalfPrecision.halfToFloat(chunk.getShort()));
                    }
                }
                case BF16 -> {
                    while (chunk.hasRemaining()) {
                        target.put(HalfPrecision.bfloat16ToFloat(chunk.getShort()));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
