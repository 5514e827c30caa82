package io.github.vit4j.image;

import io.github.vit4j.fuzz.FuzzSeeds;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Writes {@link ImageFilesFuzzTest}'s seed corpus (docs/fuzzing.md) with the JDK's ImageIO writers: 3×2 PNGs of
 * every channel layout (RGB, gray, 16-bit gray, RGBA, palette), a JPEG, a BMP, a GIF, and a JPEG cut short.
 */
public final class ImageFilesFuzzSeeds {

    private ImageFilesFuzzSeeds() {
    }

    /** Writes the seeds under {@code root} (the test class path's root). */
    public static void write(Path root) throws IOException {
        Path dir = FuzzSeeds.inputs(root, ImageFilesFuzzTest.class, "anyBytesAreAnImageOrANamedRefusal");
        FuzzSeeds.write(dir, "rgb-3x2.png", encode(image(BufferedImage.TYPE_INT_RGB), "png"));
        FuzzSeeds.write(dir, "gray-3x2.png", encode(image(BufferedImage.TYPE_BYTE_GRAY), "png"));
        FuzzSeeds.write(dir, "gray16-3x2.png", encode(image(BufferedImage.TYPE_USHORT_GRAY), "png"));
        FuzzSeeds.write(dir, "rgba-3x2.png", encode(image(BufferedImage.TYPE_INT_ARGB), "png"));
        FuzzSeeds.write(dir, "palette-3x2.png", encode(image(BufferedImage.TYPE_BYTE_INDEXED), "png"));
        FuzzSeeds.write(dir, "rgb-3x2.bmp", encode(image(BufferedImage.TYPE_INT_RGB), "bmp"));
        FuzzSeeds.write(dir, "rgb-3x2.gif", encode(eightColours(), "gif"));
        byte[] jpeg = encode(image(BufferedImage.TYPE_INT_RGB), "jpg");
        FuzzSeeds.write(dir, "rgb-3x2.jpg", jpeg);
        FuzzSeeds.write(dir, "truncated.jpg", Arrays.copyOf(jpeg, jpeg.length * 3 / 5));
    }

    /** A 3×2 image of six distinct colours (half transparent where the type has alpha). */
    static BufferedImage image(int type) {
        int[] argb = {0xffff0000, 0xff00ff00, 0xff0000ff, 0x80ffffff, 0xff808080, 0xff000000};
        BufferedImage image = new BufferedImage(3, 2, type);
        for (int i = 0; i < argb.length; i++) {
            image.setRGB(i % 3, i / 3, argb[i]);
        }
        return image;
    }

    /** The same image with a palette of 8 colours (a small GIF: the default indexed type has 256). */
    static BufferedImage eightColours() {
        byte[] r = {(byte) 255, 0, 0, (byte) 255, (byte) 128, 0, 0, 0};
        byte[] g = {0, (byte) 255, 0, (byte) 255, (byte) 128, 0, 0, 0};
        byte[] b = {0, 0, (byte) 255, (byte) 255, (byte) 128, 0, 0, 0};
        BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(3, 8, r, g, b));
        BufferedImage rgb = image(BufferedImage.TYPE_INT_RGB);
        image.getGraphics().drawImage(rgb, 0, 0, null);
        return image;
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, format, out)) {
            throw new IOException("the JDK has no " + format + " writer for image type " + image.getType());
        }
        return out.toByteArray();
    }
}
