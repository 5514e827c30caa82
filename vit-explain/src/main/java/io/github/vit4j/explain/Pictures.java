package io.github.vit4j.explain;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pixel arrays as pictures: an image {@code [H, W, C]} (C = 3 for RGB or 1 for grey) with values in [0, 1] becomes a
 * {@link BufferedImage} or a PNG file. What the filter grids and feature visualisations are made of; overlays and
 * colour maps are the CLI's and the report's business.
 */
public final class Pictures {

    private Pictures() {
    }

    /**
     * The picture of {@code image [H, W, C]} (C = 1 or 3), values clipped to [0, 1] and rounded to 8 bits.
     *
     * @throws IllegalArgumentException for another shape, naming it
     */
    public static BufferedImage of(INDArray image) {
        long[] s = image == null ? new long[0] : image.shape();
        if (s.length != 3 || (s[2] != 1 && s[2] != 3) || s[0] < 1 || s[1] < 1) {
            throw new IllegalArgumentException("expected an image [H, W, 3] (RGB) or [H, W, 1] (grey) in [0, 1], got "
                    + (image == null ? null : Arrays.toString(s)) + "; Pictures.hwc turns [C, H, W] pixels into that");
        }
        int h = (int) s[0];
        int w = (int) s[1];
        int c = (int) s[2];
        float[] v = PixelModel.floats(image);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int at = (y * w + x) * c;
                int r = byteOf(v[at]);
                int g = c == 3 ? byteOf(v[at + 1]) : r;
                int b = c == 3 ? byteOf(v[at + 2]) : r;
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }

    /** Writes {@link #of(INDArray) the picture} of {@code image [H, W, C]} as a PNG file, creating its folder. */
    public static void writePng(INDArray image, Path file) throws IOException {
        writePng(image, file, 1);
    }

    /** As {@link #writePng(INDArray, Path)}, each pixel drawn as a {@code zoom}×{@code zoom} square (zoom ≥ 1). */
    public static void writePng(INDArray image, Path file, int zoom) throws IOException {
        if (zoom < 1) {
            throw new IllegalArgumentException("zoom must be ≥ 1 (screen pixels per image pixel), got " + zoom);
        }
        BufferedImage small = of(image);
        BufferedImage picture = new BufferedImage(small.getWidth() * zoom, small.getHeight() * zoom,
                BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < picture.getHeight(); y++) {
            for (int x = 0; x < picture.getWidth(); x++) {
                picture.setRGB(x, y, small.getRGB(x / zoom, y / zoom));
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(picture, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM for " + file);
        }
    }

    /** Image {@code i} of pixels {@code [B, C, H, W]} as {@code [H, W, C]} (a new array). */
    public static INDArray hwc(INDArray pixels, int i) {
        long[] s = pixels.shape();
        if (s.length != 4 || i < 0 || i >= s[0]) {
            throw new IllegalArgumentException("expected pixels [B, C, H, W] and an image 0.." + (s.length == 4
                    ? s[0] - 1 : "?") + ", got " + Arrays.toString(s) + " and image " + i);
        }
        return pixels.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).permute(1, 2, 0).dup('c');
    }

    private static int byteOf(float v) {
        return (int) Math.round(Math.min(1, Math.max(0, Float.isNaN(v) ? 0 : v)) * 255);
    }
}
