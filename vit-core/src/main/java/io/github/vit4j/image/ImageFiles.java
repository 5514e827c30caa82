package io.github.vit4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Image files (PNG, JPEG, and whatever else {@link ImageIO} decodes) into {@link RgbImage}s, and folders of them.
 *
 * <p>Every image becomes 8-bit RGB the way PIL's {@code convert("RGB")} does it: gray is copied into the three
 * channels, palette entries are looked up, alpha is dropped (not blended), 16-bit samples are rounded to 8 bits,
 * and the decoded samples are taken as they are, without colour management. JPEG decoders differ slightly from one
 * another (IDCT and chroma upsampling), so a JPEG may decode a few levels away from what libjpeg gives.
 */
public final class ImageFiles {

    /** File name endings, lower case, that {@link #listImages} picks up. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    /**
     * The most pixels (width × height) an image file may declare: 100 megapixels, 300 MB as RGB bytes. Larger files
     * are refused from their header, before decoding allocates anything.
     */
    public static final long MAX_PIXELS = 100_000_000L;

    /**
     * The share of the heap that decoding one image may take: 3/4 of the heap's largest memory pool, the one arrays
     * of an image's size are allocated in (the whole heap, {@link Runtime#maxMemory()}, under G1, the JVM's default
     * collector; the old generation, 2/3 of it, under the Serial and Parallel collectors). An image whose header
     * says it would take more is refused before it is decoded (see {@link #read(Path)}).
     */
    public static final double HEAP_SHARE = 0.75;
    /** {@code largestHeapPool()}, which cannot change while the JVM runs: asked of the JVM once, not per image. */
    private static final long HEAP_POOL = largestHeapPool();

    private ImageFiles() {
    }

    /**
     * Decodes one image file into RGB.
     *
     * @throws NoSuchFileException when the file does not exist
     * <p>Memory: decoding holds the file's bytes, the decoder's pixels (3 bytes a pixel for 8-bit RGB, 1 for gray
     * or a palette, up to 8 for 16-bit RGBA) and the RGB bytes made from them, then the RGB bytes and the
     * {@link RgbImage}'s own copy; for an 8-bit image that is about 6 bytes a pixel. The header gives all of these,
     * and an image that would take more than {@link #HEAP_SHARE} of the maximum heap is refused before it is
     * decoded. Under the {@code vit} launcher's 1 GB heap every 8-bit image up to {@link #MAX_PIXELS} is read (a
     * 24-megapixel camera JPEG takes about 150 MB); a 16-bit RGBA PNG of 100 megapixels needs a larger heap.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         naming the file, when it cannot be read, no decoder recognises it, its header
     *                             declares more than {@link #MAX_PIXELS} pixels or more than the heap can hold (as
     *                             above), the decoder fails or warns (a truncated or damaged file), or its decoded
     *                             channel layout is not gray, gray + alpha, palette, RGB or RGBA
     */
    public static RgbImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such image file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return decodeToRgb(file.toString(), in, Files.size(file));
        }
    }

    /**
     * Decodes an image file's content, e.g. a file that Spark read or a Parquet table's image bytes, exactly as
     * {@link #read(Path)} decodes the file.
     *
     * @param name    the file's name or path, for messages
     * @param content the file's bytes
     * @throws IOException naming {@code name}, as {@link #read(Path)} does
     */
    public static RgbImage read(String name, byte[] content) throws IOException {
        return decodeToRgb(name, new ByteArrayInputStream(content), content.length);
    }

    /** Decodes and converts, letting the decoder's pixels go before the {@link RgbImage} copies the RGB bytes. */
    private static RgbImage decodeToRgb(String name, InputStream in, long inputBytes) throws IOException {
        BufferedImage image = decode(name, in, inputBytes);
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb;
        try {
            rgb = rgbBytes(image);
        } catch (IllegalArgumentException e) {
            throw new IOException("image " + name + ": " + e.getMessage(), e);
        }
        image = null;                          // unreachable now, so the memory estimate of bytesToDecode holds
        return new RgbImage(width, height, rgb);
    }

    /**
     * Decodes with the first ImageIO reader that recognises the content, caching in memory (no temporary file).
     * The declared size is checked against {@link #MAX_PIXELS} and the memory decoding would take against the heap
     * before anything is decoded, and a warning from the decoder (a JPEG that ends early is decoded with gray rows
     * and only a warning) is an error.
     */
    private static BufferedImage decode(String file, InputStream in, long inputBytes) throws IOException {
        try (ImageInputStream stream = new MemoryCacheImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw new IOException("cannot read image " + file + ": no decoder recognises its content (readable: "
                        + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                int width;
                int height;
                ImageTypeSpecifier type;
                try {
                    reader.setInput(stream, true, true);
                    width = reader.getWidth(0);
                    height = reader.getHeight(0);
                } catch (IOException | RuntimeException e) {
                    throw cannotDecode(file, format, e);
                }
                checkDeclaredSize(file, width, height);
                try {
                    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
                    type = types.hasNext() ? types.next() : null;    // what read(0) decodes into
                } catch (IOException | RuntimeException e) {
                    throw cannotDecode(file, format, e);
                }
                checkMemory(file, width, height, bytesToDecode(inputBytes, width, height, type), HEAP_POOL);
                BufferedImage image;
                try {
                    image = reader.read(0);
                } catch (IOException | RuntimeException e) {
                    throw cannotDecode(file, format, e);
                }
                if (!warnings.isEmpty()) {
                    throw new IOException("cannot decode image " + file + " as " + format + ": the decoder warned "
                            + String.join("; ", warnings) + " (is the file truncated or damaged? its pixels would be "
                            + "partly made up; export or download it again)");
                }
                return image;
            } finally {
                reader.dispose();
            }
        }
    }

    /** Refuses an image whose header declares more than {@link #MAX_PIXELS} pixels. */
    private static void checkDeclaredSize(String file, int width, int height) throws IOException {
        long pixels = (long) width * height;
        if (pixels > MAX_PIXELS) {
            throw new IOException("image " + file + " declares " + width + "×" + height + " pixels (" + pixels
                    + "), more than the limit of " + MAX_PIXELS + " (ImageFiles.MAX_PIXELS, 100 megapixels); "
                    + "downscale it first, or check that the file is what it claims to be");
        }
    }

    /**
     * The most the heap's largest pool can hold: where arrays of an image's size are allocated, so the most that
     * one image's arrays can take together (at most {@link Runtime#maxMemory()}).
     */
    private static long largestHeapPool() {
        long heap = Runtime.getRuntime().maxMemory();
        long pool = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getUsage().getMax()).max().orElse(-1);   // -1: a pool without a maximum
        return pool > 0 ? Math.min(pool, heap) : heap;
    }

    /** Refuses an image that would take more than {@link #HEAP_SHARE} of {@code heapPool} to decode. */
    static void checkMemory(String file, int width, int height, long needed, long heapPool) throws IOException {
        long budget = (long) (heapPool * HEAP_SHARE);
        if (needed > budget) {
            long gigabytes = (long) Math.ceil(needed / HEAP_SHARE * 1.5 / (1L << 30));  // 1.5: the old generation
            throw new IOException("image " + file + " declares " + width + "×" + height + " pixels, which would take "
                    + megabytes(needed) + " of memory to decode, more than the " + megabytes(budget) + " one image"
                    + " may take (ImageFiles.HEAP_SHARE: 3/4 of the " + megabytes(heapPool) + " that the largest pool"
                    + " of the JVM's heap holds); give the JVM a larger heap (-Xmx" + gigabytes + "g) or downscale"
                    + " the image");
        }
    }

    private static String megabytes(long bytes) {
        return (bytes + 999_999) / 1_000_000 + " MB";
    }

    /**
     * The most heap that decoding an image of this header takes: the file's bytes (which ImageIO's stream caches),
     * then the decoder's pixels and the RGB bytes made from them, then the RGB bytes and the {@link RgbImage}'s
     * copy. The decoder's pixels take what {@code type}'s sample model stores per pixel, 8 bytes (16-bit RGBA, the
     * most a supported layout stores) when the decoder does not say.
     */
    static long bytesToDecode(long inputBytes, int width, int height, ImageTypeSpecifier type) {
        long pixels = (long) width * height;
        long bitsPerPixel = 64;
        if (type != null) {
            SampleModel sm = type.getSampleModel(1, 1);
            bitsPerPixel = sm instanceof MultiPixelPackedSampleModel packed ? packed.getPixelBitStride()
                    : (long) sm.getNumDataElements() * DataBuffer.getDataTypeSize(sm.getDataType());
        }
        long decoded = (pixels * bitsPerPixel + 7) / 8;
        long rgb = pixels * RgbImage.CHANNELS;
        return inputBytes + Math.max(decoded + rgb, 2 * rgb);
    }

    private static IOException cannotDecode(String file, String format, Exception e) {
        return new IOException("cannot decode image " + file + " as " + format + ": " + e.getMessage()
                + truncationHint(e), e);
    }

    private static String truncationHint(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return " (the file ends early: is it truncated?)";
            }
        }
        return "";
    }

    /**
     * An in-memory image as 8-bit RGB (see the class comment for how gray, palette, alpha and 16-bit are treated).
     *
     * @throws IllegalArgumentException when its channel layout is not gray, gray + alpha, palette, RGB or RGBA, or
     *                                  it has more than {@link #MAX_PIXELS} pixels
     */
    public static RgbImage toRgb(BufferedImage image) {
        return new RgbImage(image.getWidth(), image.getHeight(), rgbBytes(image));
    }

    /** The interleaved RGB bytes of an image, converted a row at a time (no arrays of the whole image but these). */
    private static byte[] rgbBytes(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h > MAX_PIXELS) {
            throw new IllegalArgumentException("a " + w + "×" + h + " image has more than the " + MAX_PIXELS
                    + " pixels of ImageFiles.MAX_PIXELS; downscale it first");
        }
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int colourType = cm.getColorSpace().getType();
        byte[] rgb = new byte[w * h * 3];
        int[] row = new int[w];
        if (cm instanceof IndexColorModel palette) {
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0, i = y * w * 3; x < w; x++, i += 3) {
                    rgb[i] = (byte) palette.getRed(row[x]);
                    rgb[i + 1] = (byte) palette.getGreen(row[x]);
                    rgb[i + 2] = (byte) palette.getBlue(row[x]);
                }
            }
        } else if (colourType == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2)) {
            for (int y = 0; y < h; y++) {
                to8Bits(raster.getSamples(0, y, w, 1, 0, row), cm.getComponentSize(0));
                for (int x = 0, i = y * w * 3; x < w; x++, i += 3) {
                    byte v = (byte) row[x];
                    rgb[i] = v;
                    rgb[i + 1] = v;
                    rgb[i + 2] = v;
                }
            }
        } else if (colourType == ColorSpace.TYPE_RGB && (bands == 3 || bands == 4) && !cm.isAlphaPremultiplied()) {
            for (int y = 0; y < h; y++) {
                for (int c = 0; c < 3; c++) {
                    to8Bits(raster.getSamples(0, y, w, 1, c, row), cm.getComponentSize(c));
                    for (int x = 0, i = y * w * 3 + c; x < w; x++, i += 3) {
                        rgb[i] = (byte) row[x];
                    }
                }
            }
        } else if (bands >= 1 && bands <= 4) {
            // Other colour spaces or premultiplied alpha: let Java2D convert to (non-premultiplied) sRGB.
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0, i = y * w * 3; x < w; x++, i += 3) {
                    rgb[i] = (byte) (row[x] >> 16);
                    rgb[i + 1] = (byte) (row[x] >> 8);
                    rgb[i + 2] = (byte) row[x];
                }
            }
        } else {
            throw new IllegalArgumentException("decoded image has " + bands + " channels; supported: 1 (gray), "
                    + "2 (gray + alpha), 3 (RGB), 4 (RGBA) or a palette");
        }
        return rgb;
    }

    /**
     * The image files directly inside a folder (not in subfolders), those whose names end in one of
     * {@link #EXTENSIONS} in any case, sorted by file name; hidden files (starting with '.') are skipped.
     *
     * @throws NoSuchFileException when the folder does not exist
     * @throws IOException         when it cannot be listed or holds no image files
     */
    public static List<Path> listImages(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString(), null, "no such folder");
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(folder)) {
            entries.filter(Files::isRegularFile).filter(ImageFiles::hasImageName).forEach(files::add);
        }
        if (files.isEmpty()) {
            throw new IOException("folder " + folder + " holds no image files (names ending in "
                    + String.join(", ", EXTENSIONS.stream().sorted().map(e -> "." + e).toList()) + ")");
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return List.copyOf(files);
    }

    /** Whether the file name ends in one of {@link #EXTENSIONS} and is not hidden. */
    static boolean hasImageName(Path file) {
        return isImageName(file.getFileName().toString());
    }

    /**
     * Whether {@link #listImages} takes a file of this name (no folder): one that ends in one of {@link #EXTENSIONS}
     * in any case and does not start with '.'; for listings of other file systems (a Spark job's folder of images).
     */
    public static boolean isImageName(String name) {
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Samples of {@code bits} bits rounded to 0..255. */
    private static int[] to8Bits(int[] samples, int bits) {
        if (bits == 8) {
            return samples;
        }
        long max = (1L << bits) - 1;
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (int) ((samples[i] * 255L + max / 2) / max);
        }
        return samples;
    }
}
