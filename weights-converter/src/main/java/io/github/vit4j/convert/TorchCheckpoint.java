package io.github.vit4j.convert;

import io.github.vit4j.convert.TorchGlobals.StorageRef;
import io.github.vit4j.convert.TorchGlobals.StorageType;
import io.github.vit4j.convert.TorchGlobals.TensorRef;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@code torch.save} file holding a state dict, read without running any of it (see {@link TorchPickle}), in
 * either of its formats: the zip format of PyTorch 1.6 and later ({@link TorchZipFormat}) or the legacy one
 * ({@link TorchLegacyFormat}); each finds the pickle and the storages' bytes.
 *
 * <p>The state dict is the pickled dict when its values are all tensors, else the one value of the top-level dict that
 * is such a dict (a training checkpoint's {@code state_dict} or {@code model}). Every tensor is checked against its
 * storage, and every storage against its zip entry or the file, when the file is opened; {@link #load} converts
 * float32, float16, bfloat16 and float64 to float32 and follows strides and storage offsets (views, shared storages).
 */
final class TorchCheckpoint implements WeightsFile {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    private static final Set<StorageType> READABLE = Set.of(StorageType.FLOAT, StorageType.HALF,
            StorageType.BFLOAT16, StorageType.DOUBLE);

    /** Where a format keeps its storages' bytes: the zip's entries, or the legacy file's records. */
    sealed interface Storages extends Closeable permits TorchZipFormat, TorchLegacyFormat {

        /** {@code length} bytes of a storage from byte {@code from}, little-endian; bounds were checked at open. */
        ByteBuffer read(StorageRef s, long from, int length) throws IOException;
    }

    private final Path file;
    private final Map<String, TensorRef> tensors;
    private final Storages storages;

    TorchCheckpoint(Path file, Map<String, TensorRef> tensors, Storages storages) {
        this.file = file;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.storages = storages;
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
                return TorchZipFormat.open(file);
            }
            if (!startsLikeCheckpoint(start)) {
                throw new ModelFormatException(file + " is not a PyTorch checkpoint: it starts with "
                        + hex(start, head.position()) + ", not a zip archive (50 4b 03 04) nor the pickle of"
                        + " torch.save's legacy format (80 02 8a 0a); give a .safetensors, .pt, .pth or .bin file");
            }
            return TorchLegacyFormat.open(file, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A storage's size in bytes, or the error when it cannot exist. */
    static long storageBytes(Path file, StorageRef s) throws ModelFormatException {
        try {
            return Math.multiplyExact(s.numel(), s.type().bytes);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file + ": storage " + s.key() + " declares " + s.numel() + " elements,"
                    + " too many to exist; the file is corrupt");
        }
    }

    static ModelFormatException bigEndian(Path file, String evidence) {
        return new ModelFormatException(file + " was saved on a big-endian machine (" + evidence + "); vit4j reads"
                + " little-endian checkpoints only: load it in PyTorch and save it again on a little-endian machine, or"
                + " save the state dict with safetensors.torch.save_file");
    }

    /** The dict of tensors: the top level, or its one value that is a dict of tensors. */
    static Map<String, TensorRef> stateDict(Path file, Object top) throws ModelFormatException {
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
    static void checkTensors(Path file, Map<String, TensorRef> tensors) throws ModelFormatException {
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
        ByteBuffer bytes = storages.read(t.storage(), t.offset() * type.bytes, (int) span);
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
            case HALF -> HalfPrecision.halfToFloat(b.getShort(at));
            case BFLOAT16 -> HalfPrecision.bfloat16ToFloat(b.getShort(at));
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

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i]));
        }
        return n == 0 ? "nothing (it is empty)" : sb.toString();
    }

    @Override
    public void close() throws IOException {
        storages.close();
    }
}
