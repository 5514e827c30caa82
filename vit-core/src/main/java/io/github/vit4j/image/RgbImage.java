package io.github.vit4j.image;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * An 8-bit RGB image in memory: {@code width × height} pixels, stored <em>interleaved</em> and row-major, the
 * layout image decoders use: the sample of channel {@code c} (0 red, 1 green, 2 blue) at column {@code x}, row
 * {@code y} is {@code rgb[(y * width + x) * 3 + c] & 0xFF}.
 *
 * <p>The array is copied in and out, so an image cannot change after it is made.
 *
 * @param width  columns, positive
 * @param height rows, positive
 * @param rgb    {@code width × height × 3} bytes, interleaved R, G, B, row-major
 */
public record RgbImage(int width, int height, byte[] rgb) {

    /** Channels of every image: red, green, blue. */
    public static final int CHANNELS = 3;

    /**
     * @throws IllegalArgumentException when a side is not positive or the array does not hold
     *                                  {@code width × height × 3} bytes
     */
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image sides must be positive, got " + width + "×" + height);
        }
        long expected = (long) width * height * CHANNELS;
        if (rgb == null || rgb.length != expected) {
            throw new IllegalArgumentException("a " + width + "×" + height + " RGB image needs " + expected
                    + " bytes (interleaved R, G, B), got " + (rgb == null ? "null" : rgb.length));
        }
        rgb = rgb.clone();
    }

    /**
     * An image from channel planes: all red samples row-major, then all green, then all blue (the CIFAR-10 record
     * layout).
     *
     * @param planar {@code 3 × width × height} bytes, R plane, G plane, B plane
     * @throws IllegalArgumentException when the array length is wrong
     */
    public static RgbImage fromPlanar(int width, int height, byte[] planar) {
        long plane = (long) width * height;
        if (width <= 0 || height <= 0 || planar == null || planar.length != plane * CHANNELS) {
            throw new IllegalArgumentException("a " + width + "×" + height + " planar RGB image needs "
                    + plane * CHANNELS + " bytes (R plane, G plane, B plane), got "
                    + (planar == null ? "null" : planar.length));
        }
        int n = (int) plane;
        byte[] rgb = new byte[n * CHANNELS];
        for (int i = 0; i < n; i++) {
            rgb[i * 3] = planar[i];
            rgb[i * 3 + 1] = planar[n + i];
            rgb[i * 3 + 2] = planar[2 * n + i];
        }
        return new RgbImage(width, height, rgb);
    }

    /** A copy of the interleaved samples. */
    @Override
    public byte[] rgb() {
        return rgb.clone();
    }

    /** The sample of channel {@code c} (0 red, 1 green, 2 blue) at column {@code x}, row {@code y}, in 0..255. */
    public int sample(int x, int y, int c) {
        if (x < 0 || x >= width || y < 0 || y >= height || c < 0 || c >= CHANNELS) {
            throw new IndexOutOfBoundsException("pixel (x=" + x + ", y=" + y + ", channel " + c + ") outside a "
                    + width + "×" + height + " RGB image");
        }
        return rgb[(y * width + x) * CHANNELS + c] & 0xFF;
    }

    /** The interleaved samples themselves, not a copy: for resizing in this package, which must not change them. */
    byte[] samples() {
        return rgb;
    }

    /** Channel {@code c} as a fresh row-major {@code height × width} plane of doubles in 0..255. */
    double[] plane(int c) {
        double[] p = new double[width * height];
        for (int i = 0; i < p.length; i++) {
            p[i] = rgb[i * CHANNELS + c] & 0xFF;
        }
        return p;
    }

    /** Channel {@code c} read in place: the value at {@code y · width + x} in 0..255, for resizing without a plane. */
    IntToDoubleFunction channel(int c) {
        return k -> rgb[k * CHANNELS + c] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage r && r.width == width && r.height == height && Arrays.equals(r.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "×" + height + "]";
    }
}
