package io.github.vit4j.image;

import io.github.vit4j.model.VitConfig;
import java.util.Arrays;
import java.util.Locale;

/**
 * How an 8-bit image becomes the model's {@code size × size}, the way Hugging Face's image processors do it with
 * Pillow ({@code CLIPImageProcessor}, {@code BitImageProcessor} (DINOv2), {@code DeiTImageProcessor},
 * {@code ViTImageProcessor}): first a resize with a {@link Resample} filter on the bytes, exactly as
 * {@code PIL.Image.resize} does (rounded to whole levels after each pass), then a centre crop to
 * {@code size × size}.
 *
 * <ul>
 * <li>{@link Rule#SHORTEST_EDGE}: the shorter side becomes {@code edge} and the longer {@code (int) (edge · long /
 *     short)}, truncated, as Hugging Face's {@code get_resize_output_image_size(default_to_square=False)} computes
 *     it (a 187×263 image to edge 224 becomes 224×315);</li>
 * <li>{@link Rule#SQUARE}: the whole image becomes {@code edge × edge}, whatever its aspect;</li>
 * <li>{@link Rule#NONE}: no resize, only the crop.</li>
 * </ul>
 * The centre crop takes rows from {@code (h − size) // 2} and columns from {@code (w − size) // 2} (floor
 * division), as Hugging Face's {@code center_crop} does; where the image is smaller than the crop, the rest is
 * zeros (black), placed as {@code center_crop} pads. A crop of an image already {@code size × size} changes nothing.
 *
 * @param rule   which resize
 * @param edge   the shortest edge's or the square's side in pixels (0 with {@link Rule#NONE})
 * @param filter Pillow's filter for the resize
 */
public record Resizing(Rule rule, int edge, Resample filter) {

    /** Which resize comes before the centre crop. */
    public enum Rule {
        /** The shorter side to {@code edge}, the longer in proportion (truncated). */
        SHORTEST_EDGE,
        /** The whole image to {@code edge × edge}. */
        SQUARE,
        /** No resize. */
        NONE
    }

    /**
     * @throws IllegalArgumentException naming the value when the rule or filter is missing, or the edge is not
     *                                  positive (not 0 with {@link Rule#NONE}) or past
     *                                  {@link VitConfig#MAX_IMAGE_SIZE}
     */
    public Resizing {
        if (rule == null || filter == null) {
            throw new IllegalArgumentException("a resizing needs a rule and a filter, got rule " + rule
                    + " and filter " + filter);
        }
        if (rule == Rule.NONE ? edge != 0 : edge < 1 || edge > VitConfig.MAX_IMAGE_SIZE) {
            throw new IllegalArgumentException("edge is " + edge + " with rule " + rule + "; expected "
                    + (rule == Rule.NONE ? "0 (no resize)" : "1.." + VitConfig.MAX_IMAGE_SIZE
                    + " pixels (VitConfig.MAX_IMAGE_SIZE)"));
        }
    }

    /** The shortest edge resized to {@code edge} with {@code filter}, then the centre crop. */
    public static Resizing shortestEdge(int edge, Resample filter) {
        return new Resizing(Rule.SHORTEST_EDGE, edge, filter);
    }

    /** The whole image resized to {@code edge × edge} with {@code filter}, then the centre crop. */
    public static Resizing square(int edge, Resample filter) {
        return new Resizing(Rule.SQUARE, edge, filter);
    }

    /** Only the centre crop (Hugging Face's {@code do_resize} false, {@code do_center_crop} true). */
    public static Resizing cropOnly() {
        return new Resizing(Rule.NONE, 0, Resample.BICUBIC);
    }

    /**
     * The size a {@code width × height} image has after the resize, before the crop: {@code {width, height}}.
     *
     * @throws IllegalArgumentException naming the image's size and the limit when a shortest-edge resize would make
     *                                  more than {@link ImageFiles#MAX_PIXELS} pixels (a long thin image)
     */
    public int[] resizedSize(int width, int height) {
        return switch (rule) {
            case NONE -> new int[] {width, height};
            case SQUARE -> new int[] {edge, edge};
            case SHORTEST_EDGE -> {
                boolean wide = width > height;
                int shortSide = wide ? height : width;
                int longSide = wide ? width : height;
                double longExact = (double) edge * longSide / shortSide;       // Python's int(edge * long / short)
                if (longExact * edge > ImageFiles.MAX_PIXELS) {
                    throw new IllegalArgumentException("a " + width + "×" + height + " image resized to shortest"
                            + " edge " + edge + " would be " + (wide ? (long) longExact + "×" + edge
                            : edge + "×" + (long) longExact) + ", more than the limit of " + ImageFiles.MAX_PIXELS
                            + " pixels (ImageFiles.MAX_PIXELS); crop the image nearer to a square first");
                }
                int longNew = (int) longExact;
                yield wide ? new int[] {longNew, edge} : new int[] {edge, longNew};
            }
        };
    }

    /** The image resized, not yet cropped. */
    public RgbImage resize(RgbImage image) {
        int[] to = resizedSize(image.width(), image.height());
        if (to[0] == image.width() && to[1] == image.height()) {
            return image;
        }
        return new RgbImage(to[0], to[1], PillowResize.resize(image.samples(), RgbImage.CHANNELS, image.width(),
                image.height(), to[0], to[1], filter));
    }

    /** The image resized and centre-cropped to {@code size × size}: what the model's pixels are made from. */
    public RgbImage apply(RgbImage image, int size) {
        RgbImage resized = resize(image);
        return new RgbImage(size, size, centreCrop(resized.samples(), RgbImage.CHANNELS, resized.width(),
                resized.height(), size, size));
    }

    /**
     * Interleaved samples resized and centre-cropped to {@code size × size}, {@code bands} per pixel (for
     * {@link Preprocessing#normalize}, whose arrays may have other channel counts).
     */
    byte[] apply(byte[] samples, int bands, int width, int height, int size) {
        int[] to = resizedSize(width, height);
        byte[] resized = PillowResize.resize(samples, bands, width, height, to[0], to[1], filter);
        return centreCrop(resized, bands, to[0], to[1], size, size);
    }

    /**
     * Hugging Face's {@code center_crop} of {@code width × height} interleaved samples to {@code cropW × cropH}:
     * output row {@code r} is input row {@code r + (height − cropH) // 2} (floor division), likewise for columns;
     * zeros where that lies outside the image.
     */
    static byte[] centreCrop(byte[] in, int bands, int width, int height, int cropW, int cropH) {
        int top = Math.floorDiv(height - cropH, 2);
        int left = Math.floorDiv(width - cropW, 2);
        byte[] out = new byte[cropW * cropH * bands];
        int firstX = Math.max(0, -left);
        int endX = Math.min(cropW, width - left);
        for (int r = 0; r < cropH; r++) {
            int y = r + top;
            if (y < 0 || y >= height || endX <= firstX) {
                continue;
            }
            System.arraycopy(in, (y * width + left + firstX) * bands, out, (r * cropW + firstX) * bands,
                    (endX - firstX) * bands);
        }
        return out;
    }

    /** {@code SHORTEST_EDGE 224 BICUBIC}: the form {@link #parse} reads (and {@code .vit} headers keep). */
    @Override
    public String toString() {
        return rule + " " + edge + " " + filter;
    }

    /**
     * A resizing from the form {@link #toString} writes, {@code RULE EDGE FILTER}.
     *
     * @throws IllegalArgumentException naming the text when it is not of that form
     */
    public static Resizing parse(String text) {
        String[] parts = text == null ? new String[0] : text.strip().split("\\s+");
        try {
            if (parts.length == 3) {
                return new Resizing(Rule.valueOf(parts[0].toUpperCase(Locale.ROOT)), Integer.parseInt(parts[1]),
                        Resample.valueOf(parts[2].toUpperCase(Locale.ROOT)));
            }
        } catch (IllegalArgumentException e) {                 // NumberFormatException is one too
            throw new IllegalArgumentException("resizing \"" + text + "\" is not RULE EDGE FILTER (e.g. "
                    + "\"SHORTEST_EDGE 224 BICUBIC\"): " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("resizing \"" + text + "\" is not RULE EDGE FILTER, e.g. "
                + "\"SHORTEST_EDGE 224 BICUBIC\" (rules " + Arrays.toString(Rule.values()) + ")");
    }
}
