package io.github.vit4j.format;

import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NumPy's {@code .npy} and {@code .npz} files (format versions 1–3): reading {@code <f4}, {@code <f8}, {@code |u1},
 * {@code <i4}, {@code <i8} in C or Fortran order (Fortran order is transposed into C order, which ND4J's own reader
 * gets wrong), and writing float32 {@code .npy}. Files are written to a temporary name and moved into place, so a
 * reader never sees half a file.
 */
public final class Npy {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** The longest header an {@code .npz} entry may declare (numpy itself reads headers up to 10,000 bytes). */
    private static final int MAX_NPZ_HEADER = 1 << 16;
    /** The longest Java array the JVM allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Npy() {
    }

    /** Reads one {@code .npy} file as an array of its own type (FLOAT, DOUBLE, UBYTE, INT or LONG), C order. */
    public static INDArray read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_ARRAY) {
            throw new IOException(file + " is " + size + " bytes: vit4j reads .npy arrays of up to 2 GiB");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /**
     * Reads every array of an {@code .npz} file (stored or deflated), keyed by name without {@code .npy}. Each entry
     * is read no further than its {@code .npy} header declares (a byte more is refused: a deflated entry, a zip
     * bomb, can inflate to any size), and the arrays together may take at most the memory ND4J may use
     * ({@code org.bytedeco.javacpp.maxbytes}, by default the JVM's maximum heap).
     *
     * @throws IOException naming the file (and entry) when it is not a zip of {@code .npy} files, an entry holds
     *                     more than its header declares, or the arrays exceed that memory
     */
    public static Map<String, INDArray> readNpz(Path file) throws IOException {
        return readNpz(file, Pointer.maxBytes() > 0 ? Pointer.maxBytes() : Runtime.getRuntime().maxMemory());
    }

    /** {@link #readNpz(Path)} with at most {@code limit} bytes of {@code .npy} entries (headers and data) in all. */
    static Map<String, INDArray> readNpz(Path file, long limit) throws IOException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            ZipEntry e;
            while ((e = nextEntry(zip, file)) != null) {
                String name = e.getName().endsWith(".npy")
                        ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                String where = file + "!" + e.getName();
                byte[] bytes;
                try {
                    bytes = readEntry(zip, where, total, limit);
                } catch (ZipException | EOFException broken) {
                    throw new IOException(file + ": entry " + e.getName() + " of the .npz (zip) file is damaged: "
                            + broken.getMessage() + "; write it again with numpy.savez", broken);
                }
                total += bytes.length;
                out.put(name, parse(bytes, where));
            }
        }
        if (out.isEmpty()) {
            throw new IOException(file + " holds no arrays; is it an .npz file?");
        }
        return out;
    }

    /**
     * One {@code .npz} entry's bytes, read no further than its {@code .npy} header declares: the preamble, the
     * header (at most {@link #MAX_NPZ_HEADER} bytes), then the data of the declared shape and type. A byte more is
     * refused, and so is an entry that would bring the bytes read so far ({@code total}) past {@code limit}. What is
     * malformed is returned as read, for {@link #parse} to refuse in its words.
     */
    private static byte[] readEntry(InputStream in, String where, long total, long limit) throws IOException {
        byte[] preamble = in.readNBytes(12);
        if (preamble.length < 12 || !Arrays.equals(Arrays.copyOf(preamble, 6), MAGIC) || preamble[6] < 1
                || preamble[6] > 3) {
            return preamble;
        }
        ByteBuffer b = ByteBuffer.wrap(preamble).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = preamble[6] == 1 ? Short.toUnsignedInt(b.getShort(8)) : Integer.toUnsignedLong(b.getInt(8));
        if (headerLen > MAX_NPZ_HEADER) {
            throw new IOException(where + ": the .npy entry declares a header of " + headerLen + " bytes, more than"
                    + " the " + MAX_NPZ_HEADER + " vit4j reads; the file is damaged or not written by numpy.savez");
        }
        long headerEnd = (preamble[6] == 1 ? 10 : 12) + headerLen;
        byte[] head = concat(preamble, in.readNBytes((int) Math.max(headerEnd - 12, 0)));
        if (head.length < headerEnd) {
            return head;
        }
        Layout layout = layout(new String(head, (int) (headerEnd - headerLen), (int) headerLen,
                StandardCharsets.ISO_8859_1), where);
        long data = layout.count() * layout.width();
        if (headerEnd + data > MAX_ARRAY) {
            throw tooLarge(where, layout.shape());
        }
        if (total + headerEnd + data > limit) {
            throw new IOException(where + ": with this entry's " + (headerEnd + data) + " bytes the arrays of the"
                    + " .npz come to " + (total + headerEnd + data) + " bytes, more than the limit of " + limit
                    + " bytes (the memory ND4J may use, org.bytedeco.javacpp.maxbytes); give the JVM more memory or"
                    + " split the file");
        }
        byte[] body = in.readNBytes((int) data);
        if (body.length == data && in.read() >= 0) {
            throw new IOException(where + ": the entry inflates to more than the " + data + " bytes of data its"
                    + " header declares (" + layout.descr() + " " + Arrays.toString(layout.shape()) + "); it is"
                    + " damaged or a zip bomb; write it again with numpy.savez");
        }
        return concat(head, body);
    }

    /** The next zip entry, or an IOException naming the file where the JDK's reader fails in its own words. */
    private static ZipEntry nextEntry(ZipInputStream zip, Path file) throws IOException {
        try {
            return zip.getNextEntry();
        } catch (ZipException | EOFException | IllegalArgumentException broken) {
            // IllegalArgumentException: an entry name that is not valid UTF-8 ("MALFORMED")
            throw new IOException(file + " is not a readable .npz (zip) file: " + broken.getMessage()
                    + "; write it again with numpy.savez", broken);
        }
    }

    /** Writes {@code array} as a little-endian float32 C-order {@code .npy} (other types are cast to float32). */
    public static void write(Path file, INDArray array) throws IOException {
        INDArray a = array.dataType() == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
        a = VitFile.isDense(a) ? a : a.dup('c');                  // asFloat() below writes the whole buffer
        byte[] header = float32Header(a.shape());
        float[] values = a.length() == 0 ? new float[0] : a.data().asFloat();
        ByteBuffer body = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(values);
        AtomicFile.write(file, out -> {
            out.write(header);
            out.write(body.array());
        });
    }

    /**
     * Writes {@code rows} (all of one length) as a little-endian int64 C-order {@code .npy} {@code [rows, columns]}:
     * token ids, as numpy writes {@code np.int64} arrays.
     *
     * @throws IllegalArgumentException for no rows or rows of different lengths
     */
    public static void writeInt64(Path file, long[][] rows) throws IOException {
        if (rows.length == 0) {
            throw new IllegalArgumentException("no rows to write to " + file);
        }
        int columns = rows[0].length;
        ByteBuffer body = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(rows.length, columns), 8))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != columns) {
                throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values, row 0 has "
                        + columns + "; an .npy array is rectangular");
            }
            body.asLongBuffer().position(r * columns).put(rows[r]);
        }
        byte[] header = header("<i8", rows.length, columns);
        AtomicFile.write(file, out -> {
            out.write(header);
            out.write(body.array());
        });
    }

    /**
     * The bytes before the values of a little-endian float32 C-order {@code .npy} (format 1.0) of {@code shape}, as
     * {@link #write} writes them: for a writer that streams the values after it.
     */
    public static byte[] float32Header(long... shape) {
        return header("<f4", shape);
    }

    private static byte[] header(String descr, long... shape) {
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + String.join(", ", Arrays.stream(shape).mapToObj(Long::toString).toList()) + ")";
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer bytes = ByteBuffer.allocate(MAGIC.length + 4 + header.length());
        bytes.put(MAGIC).put(new byte[] {1, 0})
                .put(new byte[] {(byte) (header.length() & 0xff), (byte) (header.length() >> 8)})
                .put(header.getBytes(StandardCharsets.US_ASCII));
        return bytes.array();
    }

    private static INDArray parse(byte[] bytes, String where) throws IOException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IOException(where + " is not a .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[6];
        if (major < 1 || major > 3) {
            throw new IOException(where + ": .npy format version " + major + "." + bytes[7] + " is not one of 1.0,"
                    + " 2.0, 3.0; write it again with numpy.save");
        }
        if (major > 1 && bytes.length < 12) {
            throw new IOException(where + " is truncated: " + bytes.length + " bytes, shorter than the 12-byte"
                    + " preamble of a version-" + major + " .npy file");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : Integer.toUnsignedLong(b.getInt(8));
        int start = major == 1 ? 10 : 12;
        if (start + headerLen > bytes.length) {
            throw new IOException(where + ": header length " + headerLen + " runs past the end of the file ("
                    + bytes.length + " bytes)");
        }
        Layout layout = layout(new String(bytes, start, (int) headerLen, StandardCharsets.ISO_8859_1), where);
        String descr = layout.descr();
        boolean fortran = layout.fortran();
        long[] shape = layout.shape();
        int width = layout.width();
        long count = layout.count();
        String type = descr.substring(1);
        int dataStart = (int) (start + headerLen);
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart).slice().order(order);
        if (data.remaining() != count * width) {
            throw new IOException(where + ": shape " + Arrays.toString(shape) + " of " + descr + " needs "
                    + count * width + " bytes but the file has " + data.remaining());
        }
        if (count == 0) { // ND4J cannot permute an empty array (a NullPointerException); no values to order
            return Nd4j.create(switch (type) {
                case "f4" -> DataType.FLOAT;
                case "f8" -> DataType.DOUBLE;
                case "i8" -> DataType.LONG;
                default -> DataType.INT;
            }, shape);
        }
        long[] storeShape = shape.clone();
        if (fortran) {
            reverse(storeShape);
        }
        int n = (int) count;
        INDArray a = switch (type) {
            case "f4" -> {
                float[] v = new float[n];
                data.asFloatBuffer().get(v);
                yield Nd4j.create(v, storeShape, 'c');
            }
            case "f8" -> {
                double[] v = new double[n];
                data.asDoubleBuffer().get(v);
                yield Nd4j.create(v, storeShape, 'c');
            }
            case "i4" -> {
                int[] v = new int[n];
                data.asIntBuffer().get(v);
                yield Nd4j.createFromArray(v).reshape(storeShape);
            }
            case "i8" -> {
                long[] v = new long[n];
                data.asLongBuffer().get(v);
                yield Nd4j.createFromArray(v).reshape(storeShape);
            }
            default -> {
                byte[] v = new byte[n];
                data.get(v);
                int[] asInts = new int[n];
                for (int i = 0; i < n; i++) {
                    asInts[i] = Byte.toUnsignedInt(v[i]);
                }
                yield Nd4j.createFromArray(asInts).reshape(storeShape);
            }
        };
        if (fortran && shape.length > 1) {
            int[] axes = new int[shape.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = axes.length - 1 - i;
            }
            a = a.permute(axes).dup('c');
        }
        return a;
    }

    /** What a {@code .npy} header declares: {@code count} elements of {@code width} bytes each. */
    private record Layout(String descr, boolean fortran, long[] shape, int width, long count) {
    }

    /** The layout a header's dict declares, refused when its dtype is not read or its data would be over 2 GiB. */
    private static Layout layout(String header, String where) throws IOException {
        String descr = group(DESCR, header, where, "descr");
        boolean fortran = group(FORTRAN, header, where, "fortran_order").equals("True");
        long[] shape = shape(group(SHAPE, header, where, "shape"), where);
        int width = "<>|=".indexOf(descr.charAt(0)) < 0 ? 0 : switch (descr.substring(1)) {
            case "f4", "i4" -> 4;
            case "f8", "i8" -> 8;
            case "u1", "b1" -> 1;
            default -> 0;
        };
        if (width == 0) {
            throw new IOException(where + ": dtype " + descr + " is not supported; expected <f4, <f8, <i4, <i8 or"
                    + " |u1");
        }
        return new Layout(descr, fortran, shape, width, elements(shape, width, where));
    }

    /** The dimensions of a header's {@code 'shape'} tuple, e.g. {@code "2, 3"} or {@code "5,"}; () is a scalar. */
    private static long[] shape(String tuple, String where) throws IOException {
        String[] parts = tuple.split(",", -1);
        long[] shape = new long[parts.length];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String d = parts[i].strip();
            if (d.isEmpty() && (i == parts.length - 1 || tuple.isBlank())) {
                continue; // the trailing comma of (5,), or ()
            }
            try {
                shape[n] = Long.parseLong(d);
            } catch (NumberFormatException e) {
                shape[n] = -1;
            }
            if (shape[n] < 0) {
                throw new IOException(where + ": .npy shape (" + tuple + ") has dimension '" + d + "'; expected"
                        + " non-negative integers");
            }
            n++;
        }
        return Arrays.copyOf(shape, n);
    }

    /** The element count of {@code shape}, refused when its bytes could not fit one Java array (2 GiB). */
    private static long elements(long[] shape, int width, String where) throws IOException {
        long count = 1;
        for (long d : shape) {
            count = d == 0 || count == 0 ? 0 : count > Integer.MAX_VALUE / d ? Long.MAX_VALUE : count * d;
        }
        if (count > Integer.MAX_VALUE / width) {
            throw tooLarge(where, shape);
        }
        return count;
    }

    private static IOException tooLarge(String where, long[] shape) {
        return new IOException(where + ": shape " + Arrays.toString(shape) + " is too large: vit4j reads .npy arrays"
                + " of up to 2 GiB");
    }

    private static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static String group(Pattern p, String header, String where, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(where + ": .npy header has no '" + key + "': " + header.trim());
        }
        return m.group(1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
