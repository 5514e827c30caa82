package io.github.vit4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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

    private ImageFiles() {
    }

    /**
     * Decodes one image file into RGB.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         naming the file, when it cannot be read, no decoder recognises it, its header
     *                             declares more than {@link #MAX_PIXELS} pixels, the decoder fails or warns (a
     *                             truncated or damaged file), or its decoded channel layout is not gray,
     *                             gray + alpha, palette, RGB or RGBA
     */
    public static RgbImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such image file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return toRgb(file.toString(), decode(file.toString(), in));
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
        return toRgb(name, decode(name, new ByteArrayInputStream(content)));
    }

    private static RgbImage toRgb(String name, BufferedImage image) throws IOException {
        try {
            return toRgb(image);
        } catch (IllegalArgumentException e) {
            throw new IOException("image " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes with the first ImageIO reader that recognises the content, caching in memory (no temporary file).
     * The declared size is checked against {@link #MAX_PIXELS} before anything is decoded, and a warning from the
     * decoder (a JPEG that ends early is decoded with gray rows and only a warning) is an error.
     */
    private static BufferedImage decode(String file, InputStream in) throws IOException {
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
                try {
                    reader.setInput(stream, true, true);
                    width = reader.getWidth(0);
                    height = reader.getHeight(0);
                } catch (IOException | RuntimeException e) {
                    throw cannotDecode(file, format, e);
                }
                checkDeclaredSize(file, width, height);
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
        if (cm instanceof IndexColorModel palette) {
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < index.length; i++) {
                rgb[i * 3] = (byte) palette.getRed(index[i]);
                rgb[i * 3 + 1] = (byte) palette.getGreen(index[i]);
                rgb[i * 3 + 2] = (byte) palette.getBlue(index[i]);
            }
        } else if (colourType == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2)) {
            int[] gray = to8Bits(raster.getSamples(0, 0, w, h, 0, (int[]) null), cm.getComponentSize(0));
            for (int i = 0; i < gray.length; i++) {
                byte v = (byte) gray[i];
                rgb[i * 3] = v;
                rgb[i * 3 + 1] = v;
                rgb[i * 3 + 2] = v;
            }
        } else if (colourType == ColorSpace.TYPE_RGB && (bands == 3 || bands == 4) && !cm.isAlphaPremultiplied()) {
            for (int c = 0; c < 3; c++) {
                int[] samples = to8Bits(raster.getSamples(0, 0, w, h, c, (int[]) null), cm.getComponentSize(c));
                for (int i = 0; i < samples.length; i++) {
                    rgb[i * 3 + c] = (byte) samples[i];
                }
            }
        } else if (bands >= 1 && bands <= 4) {
            // Other colour spaces or premultiplied alpha: let Java2D convert to (non-premultiplied) sRGB.
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                rgb[i * 3] = (byte) (argb[i] >> 16);
                rgb[i * 3 + 1] = (byte) (argb[i] >> 8);
                rgb[i * 3 + 2] = (byte) argb[i];
            }
        } else {
            throw new IllegalArgumentException("decoded image has " + bands + " channels; supported: 1 (gray), "
                    + "2 (gray + alpha), 3 (RGB), 4 (RGBA) or a palette");
        }
        return new RgbImage(w, h, rgb);
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
