package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a {@code torch.save} pickle may name, and what each name means here: the allow-list of {@link TorchPickle}.
 * {@code collections.OrderedDict()} is an empty {@link LinkedHashMap}, {@code torch._utils._rebuild_tensor_v2} a
 * {@link TensorRef}, {@code _rebuild_parameter} its tensor, {@code torch.Size} its tuple, the storage types appear
 * only inside persistent ids ({@code ('storage', torch.FloatStorage, key, location, numel)}), which become
 * {@link StorageRef}s collected in {@link #storages()}. Any other global is refused by name; nothing is executed.
 */
final class TorchGlobals {

    /** The globals a state dict needs; every other one is refused by name. */
    static final Set<String> ALLOWED;

    static {
        Set<String> allowed = new TreeSet<>(List.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                "torch._utils._rebuild_parameter", "torch.Size"));
        for (StorageType t : StorageType.values()) {
            allowed.add("torch." + t.pythonName);
        }
        ALLOWED = Collections.unmodifiableSet(allowed);
    }

    /** The typed storages of torch.save, with their element sizes. */
    enum StorageType {
        FLOAT("FloatStorage", "float32", 4), HALF("HalfStorage", "float16", 2),
        BFLOAT16("BFloat16Storage", "bfloat16", 2), DOUBLE("DoubleStorage", "float64", 8),
        LONG("LongStorage", "int64", 8), INT("IntStorage", "int32", 4), SHORT("ShortStorage", "int16", 2),
        CHAR("CharStorage", "int8", 1), BYTE("ByteStorage", "uint8", 1), BOOL("BoolStorage", "bool", 1);

        final String pythonName;
        final String dtype;
        final int bytes;

        StorageType(String pythonName, String dtype, int bytes) {
            this.pythonName = pythonName;
            this.dtype = dtype;
            this.bytes = bytes;
        }
    }

    /** A global the pickle named, on the allow-list. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A storage as its persistent id gives it: {@code numel} elements of {@code type}, stored under {@code key}. */
    record StorageRef(String key, StorageType type, long numel) {
    }

    /**
     * A tensor as {@code _rebuild_tensor_v2} describes it: element {@code [i0, i1, …]} is element
     * {@code offset + Σ ik · stride[k]} of the storage.
     */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        TensorRef {
            shape = shape.clone();
            stride = stride.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long[] stride() {
            return stride.clone();
        }
    }

    private final String where;
    private final Map<String, StorageRef> storages = new LinkedHashMap<>();

    /** @param where the file (and part of it) for messages */
    TorchGlobals(String where) {
        this.where = where;
    }

    /** Every storage the persistent ids so far described, by key. */
    Map<String, StorageRef> storages() {
        return Collections.unmodifiableMap(storages);
    }

    /** An allowed global, or the refusal naming it. */
    Global global(String module, String name, long at) throws ModelFormatException {
        String qualified = module + "." + name;
        if (!ALLOWED.contains(qualified)) {
            throw error(at, "the pickle refers to " + qualified + ", which is not on vit4j's allow-list of what a"
                    + " state dict needs " + ALLOWED + "; nothing was executed. If the checkpoint is trusted, load it"
                    + " in Python and save its state_dict with safetensors.torch.save_file");
        }
        return new Global(module, name);
    }

    /** REDUCE: a call of an allowed global, interpreted here. */
    Object call(Object callable, Object args, long at) throws ModelFormatException {
        if (!(callable instanceof Global g)) {
            throw error(at, "REDUCE calls " + TorchPickle.describe(callable) + ", which is not a function");
        }
        if (!(args instanceof List<?> a) || args instanceof ArrayList) {
            throw error(at, "REDUCE of " + g + " needs a tuple of arguments but found " + TorchPickle.describe(args));
        }
        switch (g.toString()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) {
                    throw error(at, "collections.OrderedDict is called with " + a.size() + " arguments; torch.save"
                            + " writes none");
                }
                return new LinkedHashMap<>();
            }
            case "torch.Size" -> {
                if (a.size() != 1 || !(a.get(0) instanceof List<?> dims)) {
                    throw error(at, "torch.Size needs one tuple of sizes but got " + a.size() + " arguments");
                }
                return dims;
            }
            case "torch._utils._rebuild_parameter" -> {
                if (a.size() != 3 || !(a.get(0) instanceof TensorRef tensor)) {
                    throw error(at, "torch._utils._rebuild_parameter needs (tensor, requires_grad, hooks) but got "
                            + a.stream().map(TorchPickle::describe).toList());
                }
                return tensor;
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                return tensor(a, at);
            }
            default -> throw error(at, g + " is a storage type, which a state dict refers to but never calls");
        }
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}. */
    private TensorRef tensor(List<?> a, long at) throws ModelFormatException {
        String what = "torch._utils._rebuild_tensor_v2";
        if ((a.size() != 6 && a.size() != 7) || !(a.get(0) instanceof StorageRef storage)
                || !(a.get(1) instanceof Long offset) || !(a.get(2) instanceof List<?> size)
                || !(a.get(3) instanceof List<?> stride)) {
            throw error(at, what + " needs (storage, offset, size, stride, requires_grad, hooks) but got "
                    + a.stream().map(TorchPickle::describe).toList());
        }
        long[] shape = naturals(size, at, what + " size");
        long[] strides = naturals(stride, at, what + " stride");
        if (shape.length != strides.length || offset < 0) {
            throw error(at, what + " has size " + Arrays.toString(shape) + ", stride " + Arrays.toString(strides)
                    + " and offset " + offset + "; expected as many strides as sizes and an offset ≥ 0");
        }
        return new TensorRef(storage, offset, shape, strides);
    }

    /** BUILD sets an object's state: only the attributes of a dict (an OrderedDict's {@code _metadata}) pass. */
    void build(Object target, Object state, long at) throws ModelFormatException {
        if (!(target instanceof Map)) {
            throw error(at, "BUILD sets the state of " + TorchPickle.describe(target) + ", which a state dict never does");
        }
        // The state (PyTorch's _metadata: versions of the modules' state) is plain data and is dropped.
    }

    /** {@code ('storage', torch.FloatStorage, key, location, numel[, view_metadata])}. */
    StorageRef persistentLoad(Object pid, long at) throws ModelFormatException {
        if (!(pid instanceof List<?> id) || id.size() < 5 || !"storage".equals(id.get(0))
                || !(id.get(1) instanceof Global type) || !(id.get(2) instanceof String key)
                || !(id.get(4) instanceof Long numel) || numel < 0) {
            throw error(at, "persistent id " + TorchPickle.describe(pid) + " is not a storage of torch.save"
                    + " ('storage', type,"
                    + " key, location, numel)");
        }
        if (id.size() > 6 || (id.size() == 6 && id.get(5) != TorchPickle.None.NONE)) {
            throw error(at, "storage " + key + " is a view of another storage (a format of PyTorch before 0.4);"
                    + " load and re-save it with a recent PyTorch");
        }
        StorageType storageType = Arrays.stream(StorageType.values())
                .filter(t -> type.module().equals("torch") && t.pythonName.equals(type.name())).findFirst()
                .orElseThrow(() -> error(at, "storage " + key + " has type " + type + ", which is not a storage type"));
        StorageRef ref = new StorageRef(key, storageType, numel);
        StorageRef earlier = storages.putIfAbsent(key, ref);
        if (earlier != null && !earlier.equals(ref)) {
            throw error(at, "storage " + key + " is described twice differently: " + earlier + " and " + ref);
        }
        return ref;
    }

    private long[] naturals(List<?> values, long at, String what) throws ModelFormatException {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(values.get(i) instanceof Long v) || v < 0) {
                throw error(at, what + " " + values.stream().map(TorchPickle::describe).toList()
                        + " must be integers ≥ 0");
            }
            out[i] = v;
        }
        return out;
    }

    private ModelFormatException error(long at, String message) {
        return new ModelFormatException(where + " at pickle byte " + at + ": " + message);
    }
}
