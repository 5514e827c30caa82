package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageTypeSpecifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worst case of the image size limit: a 10000×10000 one-colour PNG, a few hundred KB on disk, read as
 * {@code vit classify} reads it in a child JVM with the heap the {@code vit} launcher gives (and G1, the collector
 * the JVM picks on any machine of two or more cores), is read and resized; with a smaller heap it is refused from its
 * header with a message; it never ends in an OutOfMemoryError. The memory estimate behind that is worked by hand.
 */
class ImageFilesMemoryTest {

    private static final int SIDE = 10_000;
    private static final int RED = 200;
    private static final int GREEN = 100;
    private static final int BLUE = 50;

    @TempDir
    static Path dir;

    private static Path png;

    @BeforeAll
    static void writeTheImage() throws IOException {
        png = dir.resolve("one-colour.png");
        writeOneColourPng(png, SIDE, SIDE, RED, GREEN, BLUE);
    }

    @Test
    void aHundredMegapixelPngIsReadAndResizedUnderTheLaunchersHeap() throws Exception {
        String heap = launcherHeap();
        Result r = probe(heap, png);
        assertEquals(0, r.exit, "under -Xmx" + heap + ": " + r.output);
        assertTrue(r.output.contains("shape=[1, 3, 224, 224] first=" + (float) (RED / 255.0)), r.output);
    }

    @Test
    void aHeapTooSmallForTheImageRefusesItFromTheHeaderNamingTheFileTheSizeAndTheMemoryNeeded() throws Exception {
        Result r = probe("256m", png);
        assertEquals(3, r.exit, r.output);
        long megabytes = (Files.size(png) + 600_000_000 + 999_999) / 1_000_000;      // the file, then RGB twice
        assertTrue(r.output.contains("refused: image " + png + " declares 10000×10000 pixels, which would take "
                + megabytes + " MB of memory to decode, more than the"), r.output);
        assertTrue(r.output.contains("give the JVM a larger heap (-Xmx2g) or downscale the image"), r.output);
        assertFalse(r.output.contains("OutOfMemoryError"), r.output);
    }

    @Test
    void aBatchOfLargePhotosHoldsOnlyOneAtFullSizeAtATime() throws Exception {
        // four 25-megapixel images: 75 MB each as RgbImage, 150 MB while decoding; held together they need 375 MB
        Path folder = Files.createDirectories(dir.resolve("photos"));
        Path first = folder.resolve("photo-0.png");
        writeOneColourPng(first, 5000, 5000, RED, GREEN, BLUE);
        for (int i = 1; i < 4; i++) {
            Files.copy(first, folder.resolve("photo-" + i + ".png"));
        }
        Result r = probe("320m", folder);
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("shape=[4, 3, 224, 224] first=" + (float) (RED / 255.0)), r.output);
    }

    @Test
    void theMemoryToDecodeIsTheFileThenTheDecodedPixelsBesideTheRgbBytesOrTheRgbBytesTwice() {
        // 6000×4000, a 24-megapixel camera JPEG of 10 MB: decoded as 3 bytes a pixel, then 3 for RGB, then RGB twice
        long p = 6000L * 4000;
        ImageTypeSpecifier bgr = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_3BYTE_BGR);
        assertEquals(10_000_000 + 6 * p, ImageFiles.bytesToDecode(10_000_000, 6000, 4000, bgr));
        // gray: 1 byte a pixel decoded, but RGB and its copy take 6
        ImageTypeSpecifier gray = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_BYTE_GRAY);
        assertEquals(6 * p, ImageFiles.bytesToDecode(0, 6000, 4000, gray));
        // a 16-bit RGBA PNG: 8 bytes a pixel decoded beside 3 of RGB
        ImageTypeSpecifier rgba16 = ImageTypeSpecifier.createInterleaved(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                new int[] {0, 1, 2, 3}, DataBuffer.TYPE_USHORT, true, false);
        assertEquals(11 * p, ImageFiles.bytesToDecode(0, 6000, 4000, rgba16));
        // a decoder that does not say: counted as the most a supported layout stores, 8 bytes a pixel
        assertEquals(11 * p, ImageFiles.bytesToDecode(0, 6000, 4000, null));
    }

    @Test
    void aCameraPhotoFitsTheLaunchersHeapAndTheLargestImagesFitWhenTheyAre8Bit() throws IOException {
        long launcher = 1L << 30;                               // -Xmx1g: G1's largest pool is the whole heap
        ImageTypeSpecifier bgr = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_3BYTE_BGR);
        ImageFiles.checkMemory("photo.jpg", 6000, 4000, ImageFiles.bytesToDecode(10_000_000, 6000, 4000, bgr),
                launcher);
        ImageFiles.checkMemory("scan.png", 10_000, 10_000, ImageFiles.bytesToDecode(0, 10_000, 10_000, bgr),
                launcher);
        IOException e = assertThrows(IOException.class, () -> ImageFiles.checkMemory("scan16.png", 10_000, 10_000,
                ImageFiles.bytesToDecode(0, 10_000, 10_000, null), launcher));
        assertTrue(e.getMessage().contains("image scan16.png declares 10000×10000 pixels, which would take 1100 MB"
                + " of memory to decode, more than the 806 MB one image may take"), e.getMessage());
    }

    private record Result(int exit, String output) {
    }

    private static Result probe(String heap, Path images) throws Exception {
        List<String> command = List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xmx" + heap, "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", LargeImageProbe.class.getName(), images.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not end: " + out);
        return new Result(p.exitValue(), out);
    }

    /** The heap the {@code vit} launcher script gives the JVM (its {@code -Xmx}), so the two cannot drift apart. */
    private static String launcherHeap() throws IOException {
        String script = Files.readString(Path.of("..", "vit"));
        Matcher m = Pattern.compile("exec java -Xmx(\\w+)").matcher(script);
        assertTrue(m.find(), "the vit launcher sets no -Xmx");
        return m.group(1);
    }

    /** An 8-bit RGB PNG of one colour, written row by row: the pixels never exist in memory. */
    static void writeOneColourPng(Path file, int width, int height, int r, int g, int b) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try (OutputStream z = new DeflaterOutputStream(idat, deflater, 1 << 16)) {
            byte[] row = new byte[1 + 3 * width];                // filter byte 0 (none), then R, G, B per pixel
            for (int x = 0; x < width; x++) {
                row[1 + 3 * x] = (byte) r;
                row[2 + 3 * x] = (byte) g;
                row[3 + 3 * x] = (byte) b;
            }
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        } finally {
            deflater.end();
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(header);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[] {8, 2, 0, 0, 0});                    // 8 bits, RGB, deflate, adaptive filters, no interlace
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            chunk(out, "IHDR", header.toByteArray());
            chunk(out, "IDAT", idat.toByteArray());
            chunk(out, "IEND", new byte[0]);
        }
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt(data.length);
        out.write(name);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }
}
