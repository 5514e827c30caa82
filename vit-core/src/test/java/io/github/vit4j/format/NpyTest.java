package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** NumPy files in and out, including the Fortran-order files ND4J's own reader gets wrong. */
class NpyTest {

    @TempDir
    Path dir;

    @Test
    void aWrittenFloatArrayReadsBackIdentically() throws IOException {
        INDArray a = Nd4j.rand(DataType.FLOAT, 2, 3, 4);
        Path f = dir.resolve("a.npy");
        Npy.write(f, a);
        INDArray b = Npy.read(f);
        assertArrayEquals(a.shape(), b.shape());
        assertArrayEquals(a.data().asFloat(), b.data().asFloat());
        assertEquals(0, (Files.size(f) - 4 * 24) % 64, "header padded to 64 bytes as numpy does");
    }

    @Test
    void aFortranOrderFileIsTransposedIntoCOrder() throws IOException {
        // the 2×3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column: 1 4 2 5 3 6
        Path f = dir.resolve("f.npy");
        Files.write(f, npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 1, 4, 2, 5, 3, 6));
        INDArray m = Npy.read(f);
        assertArrayEquals(new long[] {2, 3}, m.shape());
        assertEquals(2.0, m.getDouble(0, 1));
        assertEquals(4.0, m.getDouble(1, 0));
        assertEquals(6.0, m.getDouble(1, 2));
    }

    @Test
    void aTruncatedFileAndAnUnsupportedTypeAreNamed() throws IOException {
        Path f = dir.resolve("short.npy");
        byte[] whole = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 1, 2, 3);
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length - 8));
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("short.npy") && e.getMessage().contains("needs 24 bytes"), e.getMessage());
        Path c = dir.resolve("complex.npy");
        Files.write(c, npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 0, 0));
        e = assertThrows(IOException.class, () -> Npy.read(c));
        assertTrue(e.getMessage().contains("<c16"), e.getMessage());
        Files.writeString(dir.resolve("text.npy"), "not numpy");
        e = assertThrows(IOException.class, () -> Npy.read(dir.resolve("text.npy")));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void anEmptyFortranOrderArrayReadsAsAnEmptyArrayOfItsShape() throws IOException {
        // found by NpyFuzzTest: ND4J's permute of an empty array threw a NullPointerException
        Path f = dir.resolve("empty.npy");
        Files.write(f, npy("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 3), }"));
        INDArray m = Npy.read(f);
        assertArrayEquals(new long[] {0, 3}, m.shape());
        assertEquals(DataType.DOUBLE, m.dataType());
    }

    @Test
    void shapesThatCannotBeReadAreRefusedNamingTheDimensionOrTheSize() throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }"));
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("dimension '-1'") && e.getMessage().contains("bad.npy"), e.getMessage());
        Files.write(f, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"));
        e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }

    @Test
    void aDamagedNpzIsRefusedNamingTheFile() throws IOException {
        // found by NpyFuzzTest: the JDK's "invalid entry CRC" reached the caller without the file's name
        Path good = dir.resolve("good.npz");
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(good))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("a.npy"));
            zip.write(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 1, 2));
        }
        byte[] bytes = Files.readAllBytes(good);
        bytes[40 + 80] ^= 1; // a byte of the entry's data (after the 30-byte local header and name)
        Path bad = dir.resolve("bad.npz");
        Files.write(bad, bytes);
        IOException e = assertThrows(IOException.class, () -> Npy.readNpz(bad));
        assertTrue(e.getMessage().contains("bad.npz"), e.getMessage());
    }

    @Test
    void anNpzEntryInflatingPastWhatItsHeaderDeclaresIsRefusedNamingTheFileAndTheEntry() throws IOException {
        // a zip bomb: a header for 2 doubles, then 64 MiB of zeros that deflate to about 64 KB
        Path bomb = dir.resolve("bomb.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(bomb))) {
            zip.putNextEntry(new ZipEntry("small.npy"));
            zip.write(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 1, 2));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                zip.write(zeros);
            }
        }
        assertTrue(Files.size(bomb) < 1 << 20, "the bomb is small: " + Files.size(bomb));
        IOException e = assertThrows(IOException.class, () -> Npy.readNpz(bomb));
        assertTrue(e.getMessage().contains(bomb + "!small.npy")
                && e.getMessage().contains("more than the 16 bytes of data its header declares"), e.getMessage());
    }

    @Test
    void anNpzWhoseArraysTogetherExceedTheLimitIsRefusedAtTheEntryThatCrossesIt() throws IOException {
        Path two = dir.resolve("two.npz");
        byte[] entry = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 1, 2, 3, 4);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(two))) {
            for (String name : new String[] {"a.npy", "b.npy"}) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write(entry);
            }
        }
        assertEquals(2, Npy.readNpz(two, 2L * entry.length).size());
        long limit = 2L * entry.length - 1;
        IOException e = assertThrows(IOException.class, () -> Npy.readNpz(two, limit));
        assertTrue(e.getMessage().contains(two + "!b.npy") && e.getMessage().contains("limit of " + limit + " bytes"),
                e.getMessage());
    }

    @Test
    void anNpzEntryDeclaringAHugeHeaderIsRefusedBeforeReadingIt() throws IOException {
        Path f = dir.resolve("header.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(f))) {
            zip.putNextEntry(new ZipEntry("h.npy"));
            zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                0x7f});
            zip.write(new byte[1 << 20]);
        }
        IOException e = assertThrows(IOException.class, () -> Npy.readNpz(f));
        assertTrue(e.getMessage().contains(f + "!h.npy") && e.getMessage().contains("header of 2147483647 bytes"),
                e.getMessage());
    }

    /** A version-1.0 .npy of float64 values with the given header dict. */
    private static byte[] npy(String dict, double... values) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n";
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(new byte[] {(byte) header.length(), (byte) (header.length() >> 8)});
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        out.write(b.array());
        return out.toByteArray();
    }
}
