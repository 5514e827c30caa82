package io.github.vit4j.convert;

import io.github.vit4j.convert.TorchGlobals.StorageRef;
import io.github.vit4j.convert.TorchGlobals.TensorRef;
import io.github.vit4j.format.ModelFormatException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.save}'s legacy format ({@code _use_new_zipfile_serialization=False}): five pickles in a row (the magic
 * number {@code 0x1950a86a20f9469cfc6c}, the protocol version 1001, a dict of system info with
 * {@code little_endian}, the state dict, the list of storage keys), then per key an 8-byte little-endian element count
 * and the raw storage. Each record is checked against the storage the pickle declares and against the file's end.
 */
final class TorchLegacyFormat implements TorchCheckpoint.Storages {

    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Long> offsets;

    private TorchLegacyFormat(Path file, FileChannel channel, Map<String, Long> offsets) {
        this.file = file;
        this.channel = channel;
        this.offsets = offsets;
    }

    /**
     * Reads a legacy checkpoint's pickles and storage records from {@code ch} and validates them; the checkpoint
     * reads its storages from {@code ch} and closes it.
     */
    static TorchCheckpoint open(Path file, FileChannel ch) throws IOException {
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
            throw TorchCheckpoint.bigEndian(file, "its system info says little_endian: False");
        }
        Map<String, TensorRef> tensors = TorchCheckpoint.stateDict(file, unpickler.next());
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
            WeightsFile.readFully(ch, count, at, file);
            long numel = count.flip().getLong();
            long bytes = TorchCheckpoint.storageBytes(file, s);
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
        TorchCheckpoint.checkTensors(file, tensors);
        return new TorchCheckpoint(file, tensors, new TorchLegacyFormat(file, ch, offsets));
    }

    @Override
    public ByteBuffer read(StorageRef s, long from, int length) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(length);
        WeightsFile.readFully(channel, out, offsets.get(s.key()) + from, file);
        return out.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
