package io.github.vit4j.image;

import java.util.Arrays;

/**
 * Pillow's resampling filters, named and numbered as {@code PIL.Image.Resampling} numbers them, so that the
 * {@code "resample"} of a Hugging Face {@code preprocessor_config.json} reads directly ({@link #ofCode}).
 *
 * <p>Each filter but {@link #NEAREST} is a kernel {@code k(x)} with a support (its half-width in input pixels):
 * when an axis shrinks by a factor {@code s > 1} the kernel is stretched to {@code k(x / s)} over {@code s} times the
 * support, so that every input pixel contributes (Pillow's antialiasing); when it grows the kernel is used as it
 * is. {@link PillowResize} applies them exactly as {@code Image.resize} does on 8-bit images.
 */
public enum Resample {
    /** The input pixel under each output pixel's centre (code 0); no kernel. */
    NEAREST(0, 0),
    /** Lanczos, a windowed sinc: {@code sinc(x) · sinc(x / 3)} for {@code |x| < 3} (code 1, also ANTIALIAS). */
    LANCZOS(1, 3),
    /** The triangle {@code 1 − |x|} for {@code |x| < 1} (code 2). */
    BILINEAR(2, 1),
    /** Keys' cubic convolution with {@code a = −0.5} for {@code |x| < 2} (code 3). */
    BICUBIC(3, 2),
    /** The box {@code 1} for {@code −0.5 < x ≤ 0.5}: an area average when shrinking (code 4). */
    BOX(4, 0.5),
    /** A sinc windowed by Hamming's {@code 0.54 + 0.46 cos(πx)} for {@code |x| < 1} (code 5). */
    HAMMING(5, 1);

    private final int code;
    private final double support;

    Resample(int code, double support) {
        this.code = code;
        this.support = support;
    }

    /** Pillow's number for this filter, as {@code preprocessor_config.json} writes it under {@code "resample"}. */
    public int code() {
        return code;
    }

    /** The kernel's half-width in input pixels before any stretching; 0 for {@link #NEAREST}. */
    double support() {
        return support;
    }

    /**
     * The filter Pillow numbers {@code code}.
     *
     * @throws IllegalArgumentException naming the code and the known ones
     */
    public static Resample ofCode(int code) {
        for (Resample r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("resample " + code + " is not one of Pillow's filters: expected one of "
                + Arrays.stream(values()).map(r -> r.code + " (" + r + ")").toList());
    }

    /** The kernel at {@code x}, in double as Pillow computes it (its {@code float} constants included). */
    double kernel(double x) {
        return switch (this) {
            case BOX -> x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR -> Math.abs(x) < 1.0 ? 1.0 - Math.abs(x) : 0.0;
            case HAMMING -> hamming(Math.abs(x));
            case BICUBIC -> bicubic(Math.abs(x));
            case LANCZOS -> -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            case NEAREST -> throw new IllegalStateException("NEAREST has no kernel");
        };
    }

    private static double hamming(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        if (x >= 1.0) {
            return 0.0;
        }
        double px = x * Math.PI;
        return Math.sin(px) / px * (0.54f + 0.46f * Math.cos(px));   // Pillow's constants are C floats
    }

    private static double bicubic(double x) {
        double a = -0.5;
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        double px = x * Math.PI;
        return Math.sin(px) / px;
    }
}
