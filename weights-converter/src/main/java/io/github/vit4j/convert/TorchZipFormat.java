package io.github.vit4j.convert;

import io.github.vit4j.convert.TorchGlobals.StorageRef;
import io.github.vit4j.convert.TorchGlobals.TensorRef;
import io.github.vit4j.format.ModelFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * {@code torch.save}'s zip format (PyTorch 1.6 and later): {@code <root>/data.pkl} is the pickle, each storage is the
 * uncompressed entry {@code <root>/data/<key>}, {@code <root>/byteorder} says {@code little} or {@code big} (absent:
 * little). Storage keys must be plain names and entries stored uncompressed (a zip bomb inflates without bound); the
 * JDK's zip errors are given the file's and the entry's names.
 */
final class TorchZipFormat implements TorchCheckpoint.Storages {

    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final Path file;
    private final ZipFile zip;
    private final String dataPrefix;

    private TorchZipFormat(Path file, ZipFile zip, String dataPrefix) {
        this.file = file;
        this.zip = zip;
        this.dataPrefix = dataPrefix;
    }

    /**
     * Opens a zip checkpoint and validates it: {@code <root>/byteorder}, the pickle, every storage against its entry,
     * every tensor against its storage.
     */
    static TorchCheckpoint open(Path file) throws IOException {
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
                    throw TorchCheckpoint.bigEndian(file, root + "byteorder: " + order);
                }
            }
            byte[] pickle = readEntry(zip, zip.getEntry(pickles.get(0)), TorchPickle.MAX_PICKLE_BYTES);
            TorchPickle unpickler = new TorchPickle(new ByteArrayInputStream(pickle), pickle.length,
                    file + " (" + pickles.get(0) + ")");
            Map<String, TensorRef> tensors = TorchCheckpoint.stateDict(file, unpickler.next());
            String dataPrefix = root + "data/";
            for (StorageRef s : unpickler.storages().values()) {
                checkZipStorage(file, zip, dataPrefix, s);
            }
            TorchCheckpoint.checkTensors(file, tensors);
            return new TorchCheckpoint(file, tensors, new TorchZipFormat(file, zip, dataPrefix));
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
        long needed = TorchCheckpoint.storageBytes(file, s);
        long fileSize = new java.io.File(zip.getName()).length();
        if (entry.getSize() < needed || entry.getSize() > fileSize) {
            throw new ModelFormatException(file + ": storage " + s.key() + " declares " + s.numel() + " elements of "
                    + s.type().dtype + " (" + needed + " bytes) but its entry " + entry.getName() + " holds "
                    + entry.getSize() + " bytes (the file is " + fileSize + "); the file is truncated or corrupt");
        }
    }

    @Override
    public ByteBuffer read(StorageRef s, long from, int length) throws IOException {
        ZipEntry entry = zip.getEntry(dataPrefix + s.key());
        try (InputStream in = zip.getInputStream(entry)) {
            in.skipNBytes(from);
            byte[] b = in.readNBytes(length);
            if (b.length < length) {
                throw new ModelFormatException(file + ": entry " + entry.getName() + " ends before byte "
                        + (from + length) + "; the file is truncated");
            }
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        } catch (java.io.EOFException e) {
            throw new ModelFormatException(file + ": entry " + entry.getName() + " ends before byte " + from
                    + "; the file is truncated", e);
        } catch (ZipException e) {
            throw damagedEntry(zip, entry, e);
        }
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
