package io.github.vit4j.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the reference {@code .npy} / {@code .npz} files (dtypes {@code <f8} and {@code |u1}, C or Fortran order)
 * into C-order ND4J arrays: float64 stays DOUBLE, uint8 becomes INT32. ND4J's own readers fall short here:
 * {@code Nd4j.createFromNpyFile} silently misreads Fortran order (the cats reference is Fortran order), and
 * {@code Nd4j.createFromNpzFile} fails on the uint8 {@code labels} entry ("Unsupported data type: B").
 */
final class Numpy {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Numpy() {
    }

    static INDArray readNpy(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Every array of an {@code .npz}, keyed by name without {@code .npy}. */
    static Map<String, INDArray> readNpz(Path file) throws IOException {
        Map<String, INDArray> arrays = new HashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName().replaceFirst("\\.npy$", "");
                arrays.put(name, parse(zip.readAllBytes(), file + ":" + e.getName()));
            }
        }
        return arrays;
    }

    private static INDArray parse(byte[] bytes, String what) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!Arrays.equals(magic, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'})) {
            throw new IOException(what + " is not a .npy array");
        }
        int major = b.get();
        b.get(); // minor version
        int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] header = new byte[headerLength];
        b.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, h, what);
        char order = group(FORTRAN, h, what).equals("True") ? 'f' : 'c';
        long[] shape = Arrays.stream(group(SHAPE, h, what).split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        int n = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        switch (descr) {
            case "<f8" -> {
                double[] data = new double[n];
                b.asDoubleBuffer().get(data);
                return Nd4j.create(data, shape, order).dup('c');
            }
            case "|u1" -> {
                int[] data = new int[n];
                for (int i = 0; i < n; i++) {
                    data[i] = b.get() & 0xFF;
                }
                return Nd4j.createFromArray(data).castTo(DataType.INT32).reshape(order, shape).dup('c');
            }
            default -> throw new IOException(what + ": dtype " + descr + " not supported (only <f8 and |u1)");
        }
    }

    private static String group(Pattern p, String header, String what) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(what + ": no " + p + " in .npy header " + header);
        }
        return m.group(1);
    }
}
