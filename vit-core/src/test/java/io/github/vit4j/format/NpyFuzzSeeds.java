package io.github.vit4j.format;

import io.github.vit4j.fuzz.FuzzSeeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes {@link NpyFuzzTest}'s seed corpus (docs/fuzzing.md): valid small {@code .npy} files of every supported dtype
 * and order, versions 1–3, {@code .npz} files stored and deflated, edge cases the reader must refuse by name, and
 * the inputs of the bugs the fuzzer found ({@code finding-*}), re-created so that they reach the same code.
 */
public final class NpyFuzzSeeds {

    private NpyFuzzSeeds() {
    }

    /** Writes the seeds under {@code root} (the test class path's root). */
    public static void write(Path root) throws IOException {
        Path dir = FuzzSeeds.inputs(root, NpyFuzzTest.class, "anyBytesAreAnArrayOrANamedRefusal");

        // valid arrays: every dtype, C and Fortran order, a scalar, empty arrays, the three header versions
        FuzzSeeds.write(dir, "b1_bool.npy", npy("|b1", false, "(2,)", new byte[] {1, 0}));
        FuzzSeeds.write(dir, "f4_2x3.npy", npy("<f4", false, "(2, 3)", f4(0, 1, 2, 3, 4, 5)));
        FuzzSeeds.write(dir, "f4_bigendian.npy", npy(">f4", false, "(2,)",
                ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1).putFloat(2).array()));
        FuzzSeeds.write(dir, "f4_fortran_3x2.npy", npy("<f4", true, "(3, 2)", f4(0, 2, 4, 1, 3, 5)));
        FuzzSeeds.write(dir, "f8_vector.npy", npy("<f8", false, "(3,)", f8(1.5, -2, 0)));
        FuzzSeeds.write(dir, "i4_scalar.npy", npy("<i4", false, "()", i4(7)));
        FuzzSeeds.write(dir, "i8_empty.npy", npy("<i8", false, "(0, 3)", new byte[0]));
        FuzzSeeds.write(dir, "u1_2x2.npy", npy("|u1", false, "(2, 2)", new byte[] {0, (byte) 255, 7, 8}));
        FuzzSeeds.write(dir, "v2_f4.npy", npy(2, "<f4", false, "(2, 2)", f4(0, 1, 2, 3)));
        FuzzSeeds.write(dir, "v3_f4.npy", npy(3, "<f4", false, "(2,)", f4(0, 1)));
        FuzzSeeds.write(dir, "magic_only.npy", new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'});

        // refused, naming the file
        FuzzSeeds.write(dir, "edge-dim-not-a-number.npy", npy("<f4", false, "(2x, 2)", new byte[0]));
        FuzzSeeds.write(dir, "edge-dims-over-2gib.npy", npy("<f4", false, "(1000000, 1000)", new byte[0]));
        FuzzSeeds.write(dir, "edge-dims-overflow-a-long.npy",
                npy("<f8", false, "(4294967296, 4294967296)", new byte[0]));
        FuzzSeeds.write(dir, "edge-dtype-without-byte-order.npy", npy("f4", false, "(1,)", new byte[4]));
        FuzzSeeds.write(dir, "edge-negative-dim.npy", npy("<f4", false, "(-1, 2)", new byte[0]));
        FuzzSeeds.write(dir, "edge-version-9.npy", npy(9, "<f4", false, "()", new byte[4]));
        // an empty Fortran-order array once threw a NullPointerException inside ND4J's permute
        FuzzSeeds.write(dir, "edge-empty-float-matrix.npy", npy("<f4", true, "(0, 3)", new byte[0]));
        FuzzSeeds.write(dir, "edge-npz-entry-name-not-utf8.npz",
                npz(false, java.nio.charset.StandardCharsets.ISO_8859_1, "\u00ff.npy",
                        npy("<f4", false, "(2,)", f4(0, 1))));

        // .npz: stored and deflated
        byte[] a = npy("<f4", false, "(3,)", f4(0, 1, 2));
        byte[] b = npy("<f8", false, "(2, 2)", f8(1, 0, 0, 1));
        FuzzSeeds.write(dir, "two_arrays.npz", npz(false, StandardCharsets.UTF_8, "a.npy", a, "b.npy", b));
        FuzzSeeds.write(dir, "compressed.npz",
                npz(true, StandardCharsets.UTF_8, "x.npy", npy("<i4", false, "(4,)", i4(0, 1, 2, 3))));

        // Finding (campaign of 2026-11-25): an .npz entry whose bytes do not match its CRC-32 made the JDK's
        // ZipInputStream throw "invalid entry CRC", a ZipException that did not name the file. The same two arrays,
        // with one byte of a.npy's data changed after the zip was written.
        byte[] damaged = npz(false, StandardCharsets.UTF_8, "a.npy", a, "b.npy", b);
        damaged[FuzzSeeds.indexOf(damaged, a) + a.length - 1] ^= 0x55;   // a.npy's last data byte
        FuzzSeeds.write(dir, "finding-npz-entry-crc-refusal-without-file-name.npz", damaged);
    }

    /** A version-1 {@code .npy} file. */
    static byte[] npy(String descr, boolean fortran, String shape, byte[] data) {
        return npy(1, descr, fortran, shape, data);
    }

    /**
     * An {@code .npy} file as NumPy writes it: magic, version, header length (2 bytes in version 1, 4 after), the
     * header dictionary padded with spaces and ended by a newline so that the data starts at byte 128, the data.
     */
    static byte[] npy(int major, String descr, boolean fortran, String shape, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': "
                + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }");
        int total = Math.max(128, (prefix + header.length() + 1 + 63) / 64 * 64);
        while (prefix + header.length() + 1 < total) {
            header.append(' ');
        }
        header.append('\n');
        byte[] text = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocate(prefix + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            out.putShort((short) text.length);
        } else {
            out.putInt(text.length);
        }
        return out.put(text).put(data).array();
    }

    /** A zip of {@code name, bytes} pairs, stored or deflated, its entry names encoded in {@code names}. */
    static byte[] npz(boolean deflate, java.nio.charset.Charset names, Object... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes, names)) {
            for (int i = 0; i < entries.length; i += 2) {
                byte[] content = (byte[]) entries[i + 1];
                ZipEntry e = new ZipEntry((String) entries[i]);
                e.setTime(FuzzSeeds.TIME);
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(content);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(content.length);
                    e.setCompressedSize(content.length);
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(content);
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] f4(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] f8(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    static byte[] i4(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }
}
