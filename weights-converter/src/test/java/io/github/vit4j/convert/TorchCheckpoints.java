package io.github.vit4j.convert;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes PyTorch checkpoints as {@code torch.save(state_dict, f)} does (the zip format, pickle protocol 2, float32
 * storages, an {@code OrderedDict} of tensors), for tests here and in other modules (this module's test jar): e.g. a
 * Hugging Face folder's {@code pytorch_model.bin} of seeded random weights,
 * {@code write(file, huggingFaceStateDict(VitWeights.random(VitConfig.vitB16(), 1)))}. PyTorch 1.13's
 * {@code torch.load} reads what it writes (checked by hand, not in the tests). {@link #zip} and {@link #legacy} write
 * any storages and views of them ({@link Storage}, {@link Tensor}): several tensors sharing a storage, strides,
 * offsets, float16, bfloat16 and float64, in either of torch.save's formats.
 */
public final class TorchCheckpoints {

    /** torch.save's magic number 0x1950a86a20f9469cfc6c, little-endian, as its {@code LONG1} opcode holds it. */
    static final byte[] LEGACY_MAGIC = {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8,
        0x50, 0x19};

    /** torch.save's legacy protocol version. */
    static final int LEGACY_PROTOCOL = 1001;

    private TorchCheckpoints() {
    }

    /** One storage of a checkpoint: its type ({@code FloatStorage}, …), element count and little-endian bytes. */
    record Storage(String type, long numel, byte[] bytes) {
    }

    /** One entry of the state dict: a view of storage {@code key}. */
    record Tensor(String key, long offset, long[] shape, long[] stride) {
    }

    /**
     * Writes a state dict of float32 tensors, in the map's order, each in a storage of its own.
     *
     * @param file       the checkpoint to write ({@code pytorch_model.bin}, {@code model.pt}, …)
     * @param stateDict  name → tensor (any shape; written in C order)
     */
    public static void write(Path file, Map<String, INDArray> stateDict) throws IOException {
        Map<String, Storage> storages = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : stateDict.entrySet()) {
            INDArray t = e.getValue();
            float[] values = t.dup('c').data().asFloat();
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            String key = Integer.toString(storages.size());
            storages.put(key, new Storage("FloatStorage", values.length, b.array()));
            tensors.put(e.getKey(), new Tensor(key, 0, t.shape(), contiguousStrides(t.shape())));
        }
        Files.write(file, zip("archive", statePickle(storages, tensors), storages, "little"));
    }

    /**
     * The state dict that Hugging Face's {@code ViTForImageClassification} has for these weights: its names, query,
     * key and value as separate tensors, and the shapes PyTorch gives them ({@code cls_token [1, 1, D]},
     * {@code position_embeddings [1, T, D]}, the patch convolution {@code [D, C, p, p]}).
     */
    public static Map<String, INDArray> huggingFaceStateDict(VitWeights weights) {
        VitConfig c = weights.config();
        NameLayout layout = NameLayout.huggingFace();
        Map<String, INDArray> out = new LinkedHashMap<>();
        weights.tensors().forEach((canonical, t) -> {
            List<String> sources = layout.sources(canonical);
            INDArray shaped = switch (canonical) {
                case "cls_token" -> t.reshape(1, 1, c.hiddenSize());
                case "pos_embed" -> t.reshape(1, c.tokens(), c.hiddenSize());
                case "patch_embed.proj.weight" -> t.reshape(c.hiddenSize(), c.channels(), c.patchSize(),
                        c.patchSize());
                default -> t;
            };
            long rows = shaped.size(0) / sources.size();
            for (int i = 0; i < sources.size(); i++) {
                out.put(sources.get(i), sources.size() == 1 ? shaped
                        : shaped.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i * rows, (i + 1) * rows)));
            }
        });
        return out;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            stride[k] = s;
            s *= shape[k];
        }
        return stride;
    }

    /**
     * The pickle of an {@code OrderedDict} of tensors as torch.save writes it: {@code _rebuild_tensor_v2((storage
     * persistent id), offset, size, stride, False, OrderedDict())} per entry.
     */
    static byte[] statePickle(Map<String, Storage> storages, Map<String, Tensor> tensors) {
        return statePickle(storages, tensors, false);
    }

    /**
     * The same, with the persistent ids of the given format: the zip format's {@code ('storage', type, key,
     * location, numel)}, or the legacy format's {@code ('storage', type, key, location, numel, view_metadata)} with
     * {@code view_metadata} None (PyTorch 0.4 and later save no storage views).
     */
    static byte[] statePickle(Map<String, Storage> storages, Map<String, Tensor> tensors, boolean legacy) {
        PickleBytes p = new PickleBytes().proto(2);
        p.global("collections", "OrderedDict").emptyTuple().reduce().mark();
        tensors.forEach((name, t) -> {
            Storage s = storages.get(t.key());
            p.string(name).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().string("storage").global("torch", s == null ? "FloatStorage" : s.type()).string(t.key())
                    .string("cpu").integer(s == null ? 0 : s.numel());
            if (legacy) {
                p.none();
            }
            p.tuple().persistentId();
            p.integer(t.offset()).intTuple(t.shape()).intTuple(t.stride()).bool(false);
            p.global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
        });
        return p.setItems().stop().toByteArray();
    }

    /**
     * A torch.save zip archive: {@code root/data.pkl}, {@code root/byteorder} (unless null), {@code root/data/<key>}
     * per storage and {@code root/version}, every entry stored uncompressed as PyTorch does.
     */
    static byte[] zip(String root, byte[] pickle, Map<String, Storage> storages, String byteorder)
            throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(root + "/data.pkl", pickle);
        if (byteorder != null) {
            entries.put(root + "/byteorder", byteorder.getBytes(StandardCharsets.US_ASCII));
        }
        storages.forEach((key, s) -> entries.put(root + "/data/" + key, s.bytes()));
        entries.put(root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return storedZip(entries);
    }

    /**
     * A torch.save file in the legacy format ({@code _use_new_zipfile_serialization=False}), laid out as PyTorch's
     * {@code _legacy_save} writes it: five pickles (the magic number, the protocol version 1001, the system info
     * {@code {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}},
     * the state dict, the sorted list of storage keys), then per key in that order an 8-byte little-endian element
     * count and the storage's bytes.
     */
    static byte[] legacy(Map<String, Storage> storages, Map<String, Tensor> tensors) {
        PickleBytes p = new PickleBytes();
        p.proto(2).long1(LEGACY_MAGIC).stop();
        p.proto(2).integer(LEGACY_PROTOCOL).stop();
        p.proto(2).emptyDict().mark().string("protocol_version").integer(LEGACY_PROTOCOL)
                .string("little_endian").bool(true).string("type_sizes").emptyDict().mark()
                .string("short").integer(2).string("int").integer(4).string("long").integer(4).setItems()
                .setItems().stop();
        p.raw(statePickle(storages, tensors, true));
        List<String> keys = storages.keySet().stream().sorted().toList();
        p.proto(2).emptyList();
        if (keys.size() == 1) {
            p.string(keys.get(0)).op('a');                    // APPEND, as pickle writes a list of one
        } else if (!keys.isEmpty()) {
            p.mark();
            keys.forEach(p::string);
            p.appends();
        }
        p.stop();
        for (String key : keys) {
            Storage s = storages.get(key);
            p.raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(s.numel()).array()).raw(s.bytes());
        }
        return p.toByteArray();
    }

    /** A zip archive of uncompressed entries. */
    static byte[] storedZip(Map<String, byte[]> entries) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
