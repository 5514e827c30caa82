package io.github.vit4j.convert;

import io.github.vit4j.convert.TorchGlobals.StorageRef;
import io.github.vit4j.convert.TorchGlobals.StorageType;
import io.github.vit4j.convert.TorchGlobals.TensorRef;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@code torch.save} file holding a state dict, read without running any of it (see {@link TorchPickle}).
 *
 * <ul>
 * <li>The zip format (PyTorch 1.6 and later): {@code <root>/data.pkl} is the pickle, each storage is the uncompressed
 *     entry {@code <root>/data/<key>}, {@code <root>/byteorder} says {@code little} or {@code big} (absent:
 *     little).</li>
 * <li>The legacy format ({@code _use_new_zipfile_serialization=False}): five pickles in a row (the magic number
 *     {@code 0x1950a86a20f9469cfc6c}, the protocol version 1001, a dict of system info with {@code little_endian},
 *     the state dict, the list of storage keys), then per key an 8-byte little-endian element count and the raw
 *     storage.</li>
 * </ul>
 *
 * The state dict is the pickled dict when its values are all tensors, else the one value of the top-level dict that is
 * such a dict (a training checkpoint's {@code state_dict} or {@code model}). Every tensor is checked against its
 * storage, and every storage against its zip entry or the file, when the file is opened; {@link #load} converts
 * float32, float16, bfloat16 and float64 to float32 and follows strides and storage offsets (views, shared storages).
 */
final class TorchCheckpoint implements WeightsFile {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_]{1,64}");
    private static final Set<StorageType> READABLE = Set.of(StorageType.FLOAT, StorageType.HALF,
            StorageType.BFLOAT16, StorageType.DOUBLE);

    private final Path file;
    private final Map<String, TensorRef> tensors;
    private final Optional<ZipFile> zip;
    private final String dataPrefix;
    private final FileChannel channel;
    private final Map<String, Long> legacyOffsets;

    private TorchCheckpoint(Path file, Map<String, TensorRef> tensors, Optional<ZipFile> zip, String dataPrefix,
                            FileChannel channel, Map<String, Long> legacyOffsets) {
        this.file = file;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.zip = zip;
        this.dataPrefix = dataPrefix;
        this.channel = channel;
        this.legacyOffsets = legacyOffsets;
    }

    /** Whether these first bytes start a zip archive or a legacy torch.save file. */
    static boolean startsLikeCheckpoint(byte[] start) {
        return start.length >= 4 && ((start[0] == 'P' && start[1] == 'K' && start[2] == 3 && start[3] == 4)
                || ((start[0] & 0xff) == 0x80 && start[1] == 2 && (start[2] & 0xff) == 0x8a && start[3] == 10));
    }

    /**
     * Opens a checkpoint and validates it: the pickle, every tensor against its storage, every storage against the
     * bytes that hold it.
     *
     * @throws ModelFormatException naming the file and what is wrong
     * @throws IOException          when the file cannot be read
     */
    static TorchCheckpoint open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            byte[] start = new byte[4];
            ByteBuffer head = ByteBuffer.wrap(start);
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // read up to 4 bytes
            }
            if (start[0] == 'P' && start[1] == 'K') {
                ch.close();
                return openZip(file);
            }
            if (!startsLikeCheckpoint(start)) {
                throw new ModelFormatException(file + " is not a PyTorch checkpoint: it starts with "
                        + hex(start, head.position()) + ", not a zip archive (50 4b 03 04) nor the pickle of"
                        + " torch.save's legacy format (80 02 8a 0a); give a .safetensors, .pt, .pth or .bin file");
            }
            return openLegacy(file, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static TorchCheckpoint openZip(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException | java.io.EOFException e) {
            String why = e.getMessage() != null ? e.getMessage() : "it ends inside its central directory";
            throw new ModelFormatException(file + " starts like a zip archive but is not a readable one (" + why
                    + "); the file is truncated or corrupt", e);
        }
        try {
            List<String> pickles = zip.stream().map(ZipEntry::getName)
                    .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                    .toList();
            if (pickles.size() != 1) {
                throw new ModelFormatException(file + " is a zip archive with " + pickles.size() + " <root>/data.pkl"
                        + " entries " + pickles + "; a torch.save checkpoint has exactly one");
            }
            String root = pickles.get(0).substring(0, pickles.get(0).length() - "data.pkl".length());
            ZipEntry byteorder = zip.getEntry(root + "byteorder");
            if (byteorder != null) {
                String order = new String(readEntry(zip, byteorder, 16), StandardCharsets.US_ASCII).trim();
                if (!order.equals("little")) {
                    throw bigEndian(file, root + "byteorder: " + order);
                }
            }
            byte[] pickle = readEntry(zip, zip.getEntry(pickles.get(0)), TorchPickle.MAX_PICKLE_BYTES);
            TorchPickle unpickler = new TorchPickle(new ByteArrayInputStream(pickle), pickle.length,
                    file + " (" + pickles.get(0) + ")");
            Map<String, TensorRef> tensors = stateDict(file, unpickler.next());
            String dataPrefix = root + "data/";
            for (StorageRef s : unpickler.storages().values()) {
                checkZipStorage(file, zip, dataPrefix, s);
            }
            checkTensors(file, tensors);
            return new TorchCheckpoint(file, tensors, Optional.of(zip), dataPrefix, null, Map.of());
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    /** An entry's bytes, at most {@code limit} of them (a compressed entry may inflate to any size). */
    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long limit) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] b = in.readNBytes((int) limit + 1);
            if (b.length > limit) {
                throw new ModelFormatException(zip.getName() + ": entry " + entry.getName() + " is over " + limit
                        + " bytes, more than a state dict's needs; the file is corrupt or not a state dict");
            }
            return b;
        } catch (ZipException | java.io.EOFException e) {
            throw damagedEntry(zip, entry, e);
        }
    }

    /**
     * The JDK's zip errors ("invalid LOC header", "invalid entry size", or an EOF with no message) name neither the
     * file nor the entry.
     */
    private static ModelFormatException damagedEntry(ZipFile zip, ZipEntry entry, IOException e) {
        String why = e.getMessage() != null ? e.getMessage() : "the file ends inside it";
        return new ModelFormatException(zip.getName() + ": entry " + entry.getName() + " cannot be read (" + why
                + "); the file is truncated or corrupt", e);
    }

    private static void checkZipStorage(Path file, ZipFile zip, String dataPrefix, StorageRef s)
            throws ModelFormatException {
        if (!PLAIN_KEY.matcher(s.key()).matches()) {
            throw new ModelFormatException(file + ": storage key \"" + s.key() + "\" is not a plain name (letters,"
                    + " digits, _); it would point outside " + dataPrefix + " — the file is corrupt or malicious");
        }
        ZipEntry entry = zip.getEntry(dataPrefix + s.key());
        if (entry == null) {
            throw new ModelFormatException(file + ": storage " + s.key() + " has no entry " + dataPrefix + s.key()
                    + " in the archive; the file is truncated or corrupt");
        }
        if (entry.getMethod() != ZipEntry.STORED) {
            throw new ModelFormatException(file + ": entry " + entry.getName() + " is compressed ("
                    + entry.getCompressedSize() + " bytes declaring " + entry.getSize() + "); torch.save stores"
                    + " storages uncompressed, and vit4j refuses compressed ones (a zip bomb inflates without"
                    + " bound). Re-save the checkpoint with torch.save");
        }
        long needed = storageBytes(file, s);
        long fileSize = new java.io.File(zip.getName()).length();
        if (entry.getSize() < needed || entry.getSize() > fileSize) {
            throw new ModelFormatException(file + ": storage " + s.key() + " declares " + s.numel() + " elements of "
                    + s.type().dtype + " (" + needed + " bytes) but its entry " + entry.getName() + " holds "
                    + entry.getSize() + " bytes (the file is " + fileSize + "); the file is truncated or corrupt");
        }
    }

    private static long storageBytes(Path file, StorageRef s) throws ModelFormatException {
        try {
            return Math.multiplyExact(s.numel(), s.type().bytes);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file + ": storage " + s.key() + " declares " + s.numel() + " elements,"
                    + " too many to exist; the file is corrupt");
        }
    }

    private static TorchCheckpoint openLegacy(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        InputStream in = new BufferedInputStream(Channels.newInputStream(ch.position(0)));
        TorchPickle unpickler = new TorchPickle(in, size, file.toString());
        Object magic = unpickler.next();
        if (!(magic instanceof BigInteger m && m.equals(LEGACY_MAGIC))) {
            throw new ModelFormatException(file + " starts with a pickle of " + TorchPickle.describe(magic)
                    + ", not torch.save's magic number; it is not a PyTorch checkpoint");
        }
        Object protocol = unpickler.next();
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) {
            throw new ModelFormatException(file + ": torch.save protocol version " + TorchPickle.describe(protocol)
                    + " is not read; vit4j reads " + LEGACY_PROTOCOL + " (PyTorch 0.4 and later)");
        }
        Object sysInfo = unpickler.next();
        if (sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) {
            throw bigEndian(file, "its system info says little_endian: False");
        }
        Map<String, TensorRef> tensors = stateDict(file, unpickler.next());
        Object keys = unpickler.next();
        if (!(keys instanceof List<?> keyList)) {
            throw new ModelFormatException(file + ": after the state dict comes " + TorchPickle.describe(keys)
                    + ", not the list of storage keys; the file is corrupt");
        }
        Map<String, Long> offsets = new LinkedHashMap<>();
        long at = unpickler.position();
        for (Object k : keyList) {
            StorageRef s = unpickler.storages().get(k);
            if (s == null) {
                throw new ModelFormatException(file + ": the file stores storage " + TorchPickle.describe(k)
                        + ", which no tensor uses; the file is corrupt");
            }
            ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            Safetensors.readFully(ch, count, at, file);
            long numel = count.flip().getLong();
            long bytes = storageBytes(file, s);
            if (numel != s.numel() || at + 8 > size - bytes) {
                throw new ModelFormatException(file + ": storage " + s.key() + " declares " + s.numel()
                        + " elements of " + s.type().dtype + " (" + bytes + " bytes) and its record at byte " + at
                        + " says " + numel + "; the file ends at byte " + size + ": it is truncated or corrupt");
            }
            offsets.put(s.key(), at + 8);
            at += 8 + bytes;
        }
        for (String key : unpickler.storages().keySet()) {
            if (!offsets.containsKey(key)) {
                throw new ModelFormatException(file + ": storage " + key + " is used by a tensor but not stored in"
                        + " the file; it is truncated or corrupt");
            }
        }
        checkTensors(file, tensors);
        return new TorchCheckpoint(file, tensors, Optional.empty(), "", ch, offsets);
    }

    private static ModelFormatException bigEndian(Path file, String evidence) {
        return new ModelFormatException(file + " was saved on a big-endian machine (" + evidence + "); vit4j reads"
                + " little-endian checkpoints only: load it in PyTorch and save it again on a little-endian machine, or"
                + " save the state dict with safetensors.torch.save_file");
    }

    /** The dict of tensors: the top level, or its one value that is a dict of tensors. */
    private static Map<String, TensorRef> stateDict(Path file, Object top) throws ModelFormatException {
        Optional<Map<String, TensorRef>> direct = tensorDict(top);
        if (direct.isPresent()) {
            return direct.get();
        }
        if (top instanceof Map<?, ?> outer) {
            List<? extends Map.Entry<?, ?>> nested = outer.entrySet().stream()
                    .filter(e -> tensorDict(e.getValue()).isPresent()).toList();
            if (nested.size() == 1) {
                return tensorDict(nested.get(0).getValue()).orElseThrow();
            }
            throw new ModelFormatException(file + " holds a dict with keys " + outer.keySet().stream().limit(10)
                    .map(String::valueOf).toList() + ", " + (nested.isEmpty() ? "none" : "several "
                    + nested.stream().map(Map.Entry::getKey).toList()) + " of which is a dict of tensors; vit4j"
                    + " reads a state dict, or a checkpoint with exactly one (such as {'state_dict': …})");
        }
        throw new ModelFormatException(file + " holds " + TorchPickle.describe(top) + ", not a state dict (a dict"
                + " of tensors); save model.state_dict()");
    }

    private static Optional<Map<String, TensorRef>> tensorDict(Object o) {
        if (!(o instanceof Map<?, ?> m) || m.isEmpty()) {
            return Optional.empty();
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TensorRef t)) {
                return Optional.empty();
            }
            out.put(name, t);
        }
        return Optional.of(out);
    }

    /** Every element of every tensor must lie inside its storage. */
    private static void checkTensors(Path file, Map<String, TensorRef> tensors) throws ModelFormatException {
        for (Map.Entry<String, TensorRef> e : tensors.entrySet()) {
            TensorRef t = e.getValue();
            long[] shape = t.shape();
            long[] stride = t.stride();
            try {
                long elements = 1;
                long last = t.offset();
                for (int k = 0; k < shape.length; k++) {
                    elements = Math.multiplyExact(elements, shape[k]);
                    last = Math.addExact(last, Math.multiplyExact(Math.max(shape[k] - 1, 0), stride[k]));
                }
                if (elements > 0 && last >= t.storage().numel()) {
                    throw new ModelFormatException(file + ": tensor " + e.getKey() + " " + Arrays.toString(shape)
                            + " (stride " + Arrays.toString(stride) + ", offset " + t.offset() + ") reaches element "
                            + last + " of storage " + t.storage().key() + ", which holds " + t.storage().numel()
                            + "; the file is corrupt");
                }
            } catch (ArithmeticException ex) {
                throw new ModelFormatException(file + ": tensor " + e.getKey() + " has shape "
                        + Arrays.toString(shape) + " and stride " + Arrays.toString(stride) + ", too large to exist");
            }
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public long[] shape(String name) throws ModelFormatException {
        return tensor(name).shape();
    }

    private TensorRef tensor(String name) throws ModelFormatException {
        TensorRef t = tensors.get(name);
        if (t == null) {
            throw noSuchTensor(name);
        }
        return t;
    }

    /**
     * Reads one tensor as float32, C order, following its strides and storage offset (float16, bfloat16 and float64
     * converted; float32 bit-exact).
     *
     * @throws ModelFormatException when the tensor is absent, of another dtype, or over 2 GiB as float32
     */
    @Override
    public INDArray load(String name) throws IOException {
        TensorRef t = tensor(name);
        StorageType type = t.storage().type();
        long[] shape = t.shape();
        long[] stride = t.stride();
        if (!READABLE.contains(type)) {
            throw new ModelFormatException(file + ": tensor " + name + " " + Arrays.toString(shape) + " has dtype "
                    + type.dtype + " (torch." + type.pythonName + "), which vit4j does not read; supported: float32,"
                    + " float16, bfloat16, float64");
        }
        // Products checked when the file was opened; not the float32 bytes: a broadcast (stride 0) tensor of 2^62
        // elements spans one element of its storage, and 4 × 2^62 wraps round to 0.
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        long last = t.offset();
        for (int k = 0; k < shape.length; k++) {
            last += Math.max(shape[k] - 1, 0) * stride[k];
        }
        long span = (last - t.offset() + 1) * type.bytes;
        if (elements > Integer.MAX_VALUE / 4 || span > Integer.MAX_VALUE) {
            throw new ModelFormatException(file + ": tensor " + name + " " + Arrays.toString(shape) + " is over 2 GiB;"
                    + " vit4j reads tensors up to 2 GiB");
        }
        if (elements == 0) {
            return Nd4j.create(DataType.FLOAT, shape);
        }
        ByteBuffer bytes = storageBytes(t.storage(), t.offset() * type.bytes, (int) span);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        ByteBuffer memory = out.data().asNio().order(ByteOrder.nativeOrder());
        memory.position(0).limit((int) (elements * 4));
        FloatBuffer target = memory.asFloatBuffer();
        if (type == StorageType.FLOAT && isContiguous(shape, stride)) {
            target.put(bytes.asFloatBuffer());
            return out;
        }
        long[] index = new long[shape.length];
        long at = 0; // element index relative to the offset
        for (long i = 0; i < elements; i++) {
            target.put(element(bytes, type, (int) (at * type.bytes)));
            for (int k = shape.length - 1; k >= 0; k--) { // the next index in C order
                if (++index[k] < shape[k]) {
                    at += stride[k];
                    break;
                }
                at -= (shape[k] - 1) * stride[k];
                index[k] = 0;
            }
        }
        return out;
    }

    private static float element(ByteBuffer b, StorageType type, int at) {
        return switch (type) {
            case FLOAT -> b.getFloat(at);
            case HALF -> Safetensors.halfToFloat(b.getShort(at));
            case BFLOAT16 -> Safetensors.bfloat16ToFloat(b.getShort(at));
            case DOUBLE -> (float) b.getDouble(at);
            default -> throw new IllegalStateException("unreadable dtype " + type); // excluded by load
        };
    }

    private static boolean isContiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] != 1 && stride[k] != expected) {
                return false;
            }
            expected *= shape[k];
        }
        return true;
    }

    /** {@code length} bytes of a storage from byte {@code from}, little-endian; bounds were checked at open. */
    private ByteBuffer storageBytes(StorageRef s, long from, int length) throws IOException {
        ByteBuffer out;
        if (zip.isPresent()) {
            ZipEntry entry = zip.get().getEntry(dataPrefix + s.key());
            try (InputStream in = zip.get().getInputStream(entry)) {
                in.skipNBytes(from);
                byte[] b = in.readNBytes(length);
                if (b.length < length) {
                    throw new ModelFormatException(file + ": entry " + entry.getName() + " ends before byte "
                            + (from + length) + "; the file is truncated");
                }
                out = ByteBuffer.wrap(b);
            } catch (java.io.EOFException e) {
                throw new ModelFormatException(file + ": entry " + entry.getName() + " ends before byte " + from
                        + "; the file is truncated", e);
            } catch (ZipException e) {
                throw damagedEntry(zip.get(), entry, e);
            }
        } else {
            out = ByteBuffer.allocate(length);
            Safetensors.readFully(channel, out, legacyOffsets.get(s.key()) + from, file);
            out.flip();
        }
        return out.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i]));
        }
        return n == 0 ? "nothing (it is empty)" : sb.toString();
    }

    @Override
    public void close() throws IOException {
        if (zip.isPresent()) {
            zip.get().close();
        } else {
            channel.close();
        }
    }
}
