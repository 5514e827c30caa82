package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class ImageFilesTest {

    @TempDir
    Path tmp;

    @Test
    void cocoCatsResizedTo224MatchTheDeitReferenceInput() throws IOException {
        // The reference is a plain (non-antialiased, half-pixel) bilinear resize of the 640×480 PNG to 224×224 with
        // ImageNet mean/std, in float64; its file is Fortran-order, which format.Npy reads correctly. numpy shows that torch-style bilinear
        // in float64 reproduces it to 2e-13, so the only difference left is our float32 storage of values within
        // ±2.7: half a float32 ulp, at most 1.2e-7 (observed 1.19e-7). Tolerance 1e-6.
        RgbImage cats = ImageFiles.read(SharedAssets.resolve("data/images/coco_000000039769.png"));
        INDArray expected = io.github.vit4j.format.Npy.read(
                SharedAssets.resolve("reference/deit-tiny-imagenet/cats_input_1x3x224x224_float64.npy"));

        INDArray x = Preprocessing.imagenet(224).apply(cats);

        assertEquals(640, cats.width());
        assertEquals(480, cats.height());
        assertArrayEquals(new long[] {1, 3, 224, 224}, x.shape());
        double maxDiff = x.castTo(DataType.DOUBLE).sub(expected).amaxNumber().doubleValue();
        assertTrue(maxDiff <= 1e-6, "max abs diff " + maxDiff);
    }

    @Test
    void grayscalePngBecomesThreeEqualChannelsWithoutGammaChange() throws IOException {
        // Java2D's getRGB would brighten a TYPE_BYTE_GRAY image (linear gray → sRGB); PIL just copies the value.
        BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 100);
        gray.getRaster().setSample(1, 0, 0, 200);
        Path file = write(gray, "gray.png");

        RgbImage image = ImageFiles.read(file);

        assertArrayEquals(new byte[] {100, 100, 100, (byte) 200, (byte) 200, (byte) 200}, image.rgb());
    }

    @Test
    void palettePngIsLookedUpIntoRgb() throws IOException {
        byte[] r = {10, (byte) 250};
        byte[] g = {20, 0};
        byte[] b = {30, (byte) 128};
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY,
                new IndexColorModel(1, 2, r, g, b));
        indexed.getRaster().setSample(0, 0, 0, 1);
        indexed.getRaster().setSample(1, 0, 0, 0);
        Path file = write(indexed, "palette.png");

        RgbImage image = ImageFiles.read(file);

        assertArrayEquals(new byte[] {(byte) 250, 0, (byte) 128, 10, 20, 30}, image.rgb());
    }

    @Test
    void alphaIsDroppedNotBlended() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x000A141E);   // fully transparent (10, 20, 30)
        argb.setRGB(1, 0, 0x80FF8040);   // half transparent (255, 128, 64)
        Path file = write(argb, "alpha.png");

        RgbImage image = ImageFiles.read(file);

        assertArrayEquals(new byte[] {10, 20, 30, (byte) 255, (byte) 128, 64}, image.rgb());
    }

    @Test
    void aJpegDecodesToRgbOfItsSize() throws IOException {
        BufferedImage rgb = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                rgb.setRGB(x, y, 0x808080);
            }
        }
        RgbImage image = ImageFiles.read(write(rgb, "gray-ish.jpg"));

        assertEquals(16, image.width());
        assertEquals(8, image.height());
        assertTrue(Math.abs(image.sample(5, 5, 1) - 128) <= 2, "lossy but close: " + image.sample(5, 5, 1));
    }

    @Test
    void aFileNoDecoderReadsIsRejectedNamingTheFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.png"), "not an image");

        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(file));

        assertTrue(e.getMessage().startsWith("cannot read image " + file), e.getMessage());
    }

    @Test
    void aFolderListsItsImagesSortedByNameSkippingOtherFiles() throws IOException {
        BufferedImage pixel = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        write(pixel, "b.png");
        write(pixel, "a.JPG");
        write(pixel, "c.jpeg");
        Files.writeString(tmp.resolve("readme.txt"), "x");
        Files.writeString(tmp.resolve(".hidden.png"), "x");
        Files.createDirectory(tmp.resolve("sub.png"));

        List<String> names = ImageFiles.listImages(tmp).stream().map(p -> p.getFileName().toString()).toList();

        assertEquals(List.of("a.JPG", "b.png", "c.jpeg"), names);
    }

    @Test
    void aFolderWithoutImagesIsRejected() throws IOException {
        Files.writeString(tmp.resolve("readme.txt"), "x");

        IOException e = assertThrows(IOException.class, () -> ImageFiles.listImages(tmp));

        assertTrue(e.getMessage().contains("holds no image files"), e.getMessage());
    }

    @Test
    void anImageWithFiveChannelsIsRejectedNamingTheCount() {
        ColorSpace fiveColours = new ColorSpace(ColorSpace.TYPE_5CLR, 5) {
            @Override
            public float[] toRGB(float[] v) {
                return new float[3];
            }

            @Override
            public float[] fromRGB(float[] rgb) {
                return new float[5];
            }

            @Override
            public float[] toCIEXYZ(float[] v) {
                return new float[3];
            }

            @Override
            public float[] fromCIEXYZ(float[] xyz) {
                return new float[5];
            }
        };
        ColorModel cm = new ComponentColorModel(fiveColours, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(cm, cm.createCompatibleWritableRaster(2, 2), false, null);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFiles.toRgb(image));

        assertTrue(e.getMessage().startsWith("decoded image has 5 channels; supported: 1 (gray)"), e.getMessage());
    }

    private Path write(BufferedImage image, String name) throws IOException {
        Path file = tmp.resolve(name);
        String format = name.toLowerCase(Locale.ROOT).endsWith(".png") ? "png" : "jpeg";
        assertTrue(ImageIO.write(image, format, file.toFile()), "no ImageIO writer for " + format);
        return file;
    }
}
