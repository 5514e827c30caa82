package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that decode badly or would not fit in memory are errors naming the file, never a quiet result. */
class ImageFilesRefusalsTest {

    @TempDir
    Path tmp;

    @Test
    void aTruncatedJpegIsAnErrorNamingTheFileNotAHalfGrayImage() throws IOException {
        // ImageIO's JPEG reader fills the missing rows with gray and only warns ("Premature end of JPEG file").
        Path file = truncated(noise(64, 64), "jpeg", "cut.jpg");

        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(file));

        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"),
                e.getMessage());
    }

    @Test
    void aFilesBytesDecodeAsTheFileAndATruncatedOneIsAnErrorNamingTheGivenName() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(noise(64, 64), "jpeg", bytes));
        Path file = Files.write(tmp.resolve("whole.jpg"), bytes.toByteArray());
        assertEquals(ImageFiles.read(file), ImageFiles.read("whole.jpg", bytes.toByteArray()));

        byte[] cut = Files.readAllBytes(truncated(noise(64, 64), "jpeg", "cut.jpg"));
        IOException e = assertThrows(IOException.class, () -> ImageFiles.read("hdfs://n/images/cut.jpg", cut));
        assertTrue(e.getMessage().startsWith("cannot decode image hdfs://n/images/cut.jpg as JPEG:")
                && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aTruncatedPngIsAnErrorNamingTheFile() throws IOException {
        Path file = truncated(noise(64, 64), "png", "cut.png");

        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(file));

        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void aPngDeclaring30000By30000PixelsIsRefusedFromItsHeaderNamingSizeAndLimit() throws IOException {
        // 30000 × 30000 × 3 bytes overflows an int (NegativeArraySizeException before the check existed).
        Path file = Files.write(tmp.resolve("huge.png"), pngHeader(30000, 30000));

        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(file));

        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("30000×30000")
                && e.getMessage().contains(String.valueOf(ImageFiles.MAX_PIXELS)), e.getMessage());
    }

    @Test
    void aPngDeclaring16000By16000PixelsIsRefusedBeforeDecoding() throws IOException {
        // 256 megapixels: decoding would need gigabytes of heap.
        Path file = Files.write(tmp.resolve("big.png"), pngHeader(16000, 16000));

        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(file));

        assertTrue(e.getMessage().contains("16000×16000"), e.getMessage());
    }

    @Test
    void aWholeImageJustAsLargeAsItsHeaderSaysStillDecodes() throws IOException {
        Path file = tmp.resolve("whole.jpg");
        ImageIO.write(noise(64, 64), "jpeg", file.toFile());

        RgbImage image = ImageFiles.read(file);

        assertTrue(image.width() == 64 && image.height() == 64, image.toString());
    }

    /** An RGB image of seeded noise, so that compression cannot make it tiny. */
    private static BufferedImage noise(int w, int h) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random rng = new java.util.Random(7);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, rng.nextInt(0x1000000));
            }
        }
        return image;
    }

    /** The image written in {@code format}, then cut to 60% of its bytes. */
    private Path truncated(BufferedImage image, String format, String name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, bytes), "no ImageIO writer for " + format);
        byte[] whole = bytes.toByteArray();
        return Files.write(tmp.resolve(name), Arrays.copyOf(whole, whole.length * 6 / 10));
    }

    /** A PNG signature and an IHDR chunk (8-bit RGB) declaring {@code w × h}, with its CRC, then IEND. */
    private static byte[] pngHeader(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(png, "IHDR", ihdr.array());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(typeBytes);
        png.writeBytes(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
