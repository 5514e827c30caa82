package io.github.vit4j.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads CIFAR-10 in its official <em>binary</em> format ({@code cifar-10-binary.tar.gz}): a file is a sequence of
 * 3073-byte records, each one label byte (0..9) followed by the 32×32 image as 1024 red, 1024 green, then 1024
 * blue bytes, each plane row-major. Also reads a file of labels (one byte each) and the class names of
 * {@code batches.meta.txt} (one per line).
 *
 * <p>Errors in a file's content (a length that is not a whole number of records, a label above 9) are
 * {@link IOException}s naming the file; bad arguments (a range outside the file) are
 * {@link IllegalArgumentException}s.
 */
public final class Cifar10 {

    /** Side of every image, in pixels. */
    public static final int SIDE = 32;
    /** Number of classes; labels are 0..9. */
    public static final int CLASSES = 10;
    /** Bytes of one record: 1 label byte + 3 × 32 × 32 pixel bytes. */
    public static final int RECORD_BYTES = 1 + 3 * SIDE * SIDE;

    private Cifar10() {
    }

    /**
     * Images of a CIFAR-10 file with their labels.
     *
     * @param first  index in the file of the first record read
     * @param labels class index 0..9 of each image, in file order
     * @param images the 32×32 images, in file order
     */
    public record Records(int first, int[] labels, List<RgbImage> images) {

        /** @throws IllegalArgumentException when the counts of labels and images differ */
        public Records {
            labels = labels.clone();
            images = List.copyOf(images);
            if (labels.length != images.size()) {
                throw new IllegalArgumentException(labels.length + " labels for " + images.size() + " images");
            }
        }

        /** A copy of the labels. */
        @Override
        public int[] labels() {
            return labels.clone();
        }

        /** Number of records. */
        public int size() {
            return labels.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Records r && r.first == first && Arrays.equals(r.labels, labels)
                    && r.images.equals(images);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * first + Arrays.hashCode(labels)) + images.hashCode();
        }

        @Override
        public String toString() {
            return "Cifar10.Records[first=" + first + ", size=" + labels.length + "]";
        }
    }

    /**
     * Number of records in a CIFAR-10 binary file, from its length.
     *
     * @throws IOException when the file cannot be read or its length is not a multiple of 3073
     */
    public static int count(Path file) throws IOException {
        long length = Files.size(file);
        if (length % RECORD_BYTES != 0) {
            throw new IOException("CIFAR-10 file " + file + " has " + length + " bytes, not a multiple of the "
                    + RECORD_BYTES + "-byte record (1 label byte + 3072 pixel bytes): is this the python pickle"
                    + " version? use the binary version (cifar-10-binary.tar.gz, data_batch_N.bin /"
                    + " test_batch.bin)");
        }
        long n = length / RECORD_BYTES;
        if (n > Integer.MAX_VALUE) {
            throw new IOException("CIFAR-10 file " + file + " has too many records: " + n);
        }
        return (int) n;
    }

    /** Every record of a CIFAR-10 binary file; see {@link #read(Path, int, int)}. */
    public static Records read(Path file) throws IOException {
        return read(file, 0, count(file));
    }

    /**
     * Records {@code first .. first + count − 1} of a CIFAR-10 binary file, reading only those bytes.
     *
     * @throws IllegalArgumentException when the range is negative or runs past the end of the file
     * @throws IOException              when the file cannot be read, its length is not a multiple of 3073, or a
     *                                  label is above 9 (the message names the record's index)
     */
    public static Records read(Path file, int first, int count) throws IOException {
        int total = count(file);
        if (first < 0 || count < 0 || (long) first + count > total) {
            throw new IllegalArgumentException("records " + first + " .. " + ((long) first + count - 1)
                    + " requested but CIFAR-10 file " + file + " holds " + total + " (0 .. " + (total - 1) + ")");
        }
        int[] labels = new int[count];
        List<RgbImage> images = new ArrayList<>(count);
        ByteBuffer buf = ByteBuffer.allocate(RECORD_BYTES * Math.max(1, Math.min(count, 256)));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position((long) first * RECORD_BYTES);
            byte[] pixels = new byte[RECORD_BYTES - 1];
            int done = 0;
            while (done < count) {
                int records = Math.min(count - done, buf.capacity() / RECORD_BYTES);
                buf.clear().limit(records * RECORD_BYTES);
                while (buf.hasRemaining()) {
                    if (ch.read(buf) < 0) {
                        throw new IOException("CIFAR-10 file " + file + " ended early at record " + (first + done));
                    }
                }
                buf.flip();
                for (int r = 0; r < records; r++) {
                    int index = first + done;
                    int label = buf.get() & 0xFF;
                    if (label >= CLASSES) {
                        throw new IOException("CIFAR-10 file " + file + ": record " + index + " has label " + label
                                + ", expected 0.." + (CLASSES - 1) + " (is this CIFAR-100, whose records start with"
                                + " two label bytes?)");
                    }
                    buf.get(pixels);
                    labels[done] = label;
                    images.add(RgbImage.fromPlanar(SIDE, SIDE, pixels));
                    done++;
                }
            }
        }
        return new Records(first, labels, images);
    }

    /**
     * A labels file: one byte per image, each a class index 0..9 (such as {@code test_labels_all10000.u8}).
     *
     * @throws IOException when the file cannot be read or a byte is above 9 (the message names its index)
     */
    public static int[] readLabels(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            labels[i] = bytes[i] & 0xFF;
            if (labels[i] >= CLASSES) {
                throw new IOException("labels file " + file + ": label " + i + " is " + labels[i] + ", expected 0.."
                        + (CLASSES - 1));
            }
        }
        return labels;
    }

    /**
     * Class names, one per line, in label order (CIFAR-10's {@code batches.meta.txt}); surrounding spaces and
     * blank lines are dropped.
     *
     * @throws IOException when the file cannot be read or holds no names
     */
    public static List<String> readClassNames(Path file) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String name = line.strip();
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new IOException("class names file " + file + " holds no names (expected one per line)");
        }
        return List.copyOf(names);
    }
}
