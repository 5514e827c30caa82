package io.github.vit4j.image;

import io.github.vit4j.model.Input;
import io.github.vit4j.model.kernels.NativeEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalInt;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A numbered list of images to classify, as a user names it on the command line, read in batches:
 * <ul>
 *   <li>{@code cifar10:PATH} — a CIFAR-10 binary file ({@link Cifar10}); images are named
 *       {@code FILE#INDEX} and carry their labels;</li>
 *   <li>a path to an image file — one image, named by its file name, label unknown;</li>
 *   <li>a path to a folder — its image files ({@link ImageFiles#listImages}) sorted by file name, labels
 *       unknown.</li>
 * </ul>
 * Files are read only when a batch asks for them.
 */
public final class ImageSource {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    /** The label of an image whose class is not known. */
    public static final int UNKNOWN_LABEL = -1;

    /** The prefix that marks a CIFAR-10 binary file in a spec. */
    public static final String CIFAR10_PREFIX = "cifar10:";

    private static final String FORMS = "cifar10:PATH.bin, an image file (.png, .jpg, ...) or a folder of images";

    private final String description;
    private final List<String> names;
    private final OptionalInt labelClasses;         // classes the labels range over; empty without labels
    private final String labelSet;                  // the labels' classes in words, e.g. "CIFAR-10's 10 classes"
    private final Loader loader;

    /** Reads images {@code from .. from + count − 1} with their labels, as pixels ({@link Preprocessing#pixels}). */
    private interface Loader {
        Loaded load(int from, int count, Preprocessing preprocessing) throws IOException;
    }

    private record Loaded(int[] labels, INDArray pixels) {
    }

    private ImageSource(String description, List<String> names, OptionalInt labelClasses, String labelSet,
                        Loader loader) {
        this.description = description;
        this.names = names;                         // immutable: each factory makes its own
        this.labelClasses = labelClasses;
        this.labelSet = labelSet;
        this.loader = loader;
    }

    /**
     * Images read from a source, in source order, with what the model needs to take them: the pixels as read (in
     * [0, 1] for the usual 1/255, the space in which corruptions such as grayscale work) and the preprocessing that
     * normalises them. {@link #input()} is the model's input; the pixels never go to the model unnormalised.
     *
     * @param first         index in the source of the first image
     * @param names         name of each image (for output in input order)
     * @param labels        class of each image, or {@link #UNKNOWN_LABEL}
     * @param pixels        {@code [n, 3, size, size]} float32, resized and rescaled but not normalised
     *                      ({@link Preprocessing#pixels(List)})
     * @param preprocessing how the model normalises them
     */
    public record Batch(int first, List<String> names, int[] labels, INDArray pixels, Preprocessing preprocessing) {

        /** @throws IllegalArgumentException when the names, labels and pixels do not count the same images */
        public Batch {
            names = List.copyOf(names);
            labels = labels.clone();
            if (names.size() != labels.length || pixels.rank() == 0 || pixels.size(0) != labels.length) {
                throw new IllegalArgumentException("batch of " + names.size() + " names, " + labels.length
                        + " labels and pixels " + Arrays.toString(pixels.shape()) + " do not match");
            }
            if (preprocessing == null) {
                throw new IllegalArgumentException("a batch needs the preprocessing that normalises its pixels");
            }
        }

        /**
         * Pixels that come from no source: images {@code 0 .. B − 1} named {@code image 0, image 1, …}, labels
         * unknown.
         *
         * @param pixels {@code [B, C, H, W]} resized and rescaled but not normalised (in [0, 1] for 1/255)
         */
        public static Batch of(INDArray pixels, Preprocessing preprocessing) {
            int n = pixels.rank() == 0 ? 0 : (int) pixels.size(0);
            int[] labels = new int[n];
            Arrays.fill(labels, UNKNOWN_LABEL);
            List<String> names = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                names.add("image " + i);
            }
            return new Batch(0, names, labels, pixels, preprocessing);
        }

        /** The model's input: the pixels normalised ({@link Input#pixels(INDArray, Preprocessing)}). */
        public Input input() {
            return Input.pixels(pixels, preprocessing);
        }

        /** The same images (names, labels, preprocessing) with other pixels, e.g. corrupted ones. */
        public Batch withPixels(INDArray newPixels) {
            if (newPixels == null || !Arrays.equals(newPixels.shape(), pixels.shape())) {
                throw new IllegalArgumentException("new pixels " + (newPixels == null ? null
                        : Arrays.toString(newPixels.shape())) + " for a batch of " + Arrays.toString(pixels.shape())
                        + "; give the same shape");
            }
            return new Batch(first, names, labels, newPixels, preprocessing);
        }

        /** A copy of the labels, {@link #UNKNOWN_LABEL} where unknown. */
        @Override
        public int[] labels() {
            return labels.clone();
        }

        /** Number of images. */
        public int size() {
            return labels.length;
        }

        /** Index in the source of image {@code i} of the batch. */
        public int index(int i) {
            return first + i;
        }

        /** The label of image {@code i} of the batch, if known. */
        public OptionalInt label(int i) {
            return labels[i] == UNKNOWN_LABEL ? OptionalInt.empty() : OptionalInt.of(labels[i]);
        }

        @Override
        public String toString() {
            return "Batch[first=" + first + ", size=" + labels.length + ", pixels=" + Arrays.toString(pixels.shape())
                    + "]";
        }
    }

    /**
     * Parses what a user typed: {@code cifar10:PATH}, an image file, or a folder of images.
     *
     * @throws IllegalArgumentException when the spec is blank, names nothing that exists, or names a {@code .bin}
     *                                  file without the {@code cifar10:} prefix
     * @throws IOException              when a CIFAR-10 file is empty or its length is wrong, or a folder holds no
     *                                  images
     */
    public static ImageSource parse(String spec) throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no images given: expected " + FORMS);
        }
        if (spec.startsWith(CIFAR10_PREFIX)) {
            String file = spec.substring(CIFAR10_PREFIX.length());
            if (file.isBlank()) {
                throw new IllegalArgumentException("'" + spec + "' names no file: expected cifar10:PATH.bin");
            }
            return cifar10(Path.of(file));
        }
        Path path = Path.of(spec);
        if (Files.isDirectory(path)) {
            return imageFolder(path);
        }
        if (Files.isRegularFile(path)) {
            if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".bin")) {
                throw new IllegalArgumentException("'" + spec + "' looks like a CIFAR-10 binary file: write "
                        + CIFAR10_PREFIX + spec);
            }
            return imageFile(path);
        }
        int colon = spec.indexOf(':');
        String hint = colon > 0 && spec.substring(0, colon).matches("[A-Za-z0-9_-]+")
                ? " (unknown kind '" + spec.substring(0, colon + 1) + "'; the only prefix is " + CIFAR10_PREFIX + ")"
                : "";
        throw new IllegalArgumentException("no such file or folder: '" + spec + "'" + hint + "; expected " + FORMS);
    }

    /**
     * The records of a CIFAR-10 binary file, with their labels.
     *
     * @throws IOException when the file cannot be read, is empty, or its length is not a multiple of 3073
     */
    public static ImageSource cifar10(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such CIFAR-10 file: " + file);
        }
        int n = Cifar10.count(file);
        if (n == 0) {
            throw new IOException("CIFAR-10 file " + file + " holds no records (it is empty); expected at least one "
                    + Cifar10.RECORD_BYTES + "-byte record (data_batch_N.bin or test_batch.bin of cifar-10-binary)");
        }
        String base = file.getFileName().toString();
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(base + "#" + i);
        }
        return new ImageSource(CIFAR10_PREFIX + file, List.copyOf(names), OptionalInt.of(Cifar10.CLASSES),
                "CIFAR-10's " + Cifar10.CLASSES + " classes", (from, count, preprocessing) -> {
            Cifar10.Records r = Cifar10.read(file, from, count);
            return new Loaded(r.labels(), preprocessing.pixels(r.images()));
        });
    }

    /** One image file, decoded when read. */
    public static ImageSource imageFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such image file: " + file);
        }
        return files(file.toString(), List.of(file));
    }

    /**
     * The image files of a folder, sorted by file name (see {@link ImageFiles#listImages}).
     *
     * @throws IOException when the folder cannot be listed or holds no image files
     */
    public static ImageSource imageFolder(Path folder) throws IOException {
        return files(folder.toString(), ImageFiles.listImages(folder));
    }

    private static ImageSource files(String description, List<Path> files) {
        List<Path> paths = List.copyOf(files);
        List<String> names = paths.stream().map(p -> p.getFileName().toString()).toList();
        return new ImageSource(description, names, OptionalInt.empty(), "no labels", (from, count, preprocessing) -> {
            INDArray[] pixels = new INDArray[count];
            for (int i = 0; i < count; i++) {       // one photo at full size in memory at a time, not a batch of them
                pixels[i] = preprocessing.pixels(ImageFiles.read(paths.get(from + i)));
            }
            int[] labels = new int[count];
            Arrays.fill(labels, UNKNOWN_LABEL);
            return new Loaded(labels, count == 1 ? pixels[0] : Nd4j.concat(0, pixels));
        });
    }

    /**
     * Images already in memory that are images {@code first .. first + n − 1} of a larger dataset, e.g. one batch of
     * a partition of a Spark job. They keep their indices in the whole: a trace seeds each image's corruption by its
     * index, so they are traced exactly as in the whole. The source's size is {@code first + n}; images before
     * {@code first} are not held, and reading them fails.
     *
     * @param description  the dataset, for messages (images are named {@code DESCRIPTION#INDEX})
     * @param first        the index of the first image in the dataset
     * @param labels       each image's label, or {@link #UNKNOWN_LABEL}
     * @param images       the images
     * @param labelClasses the classes the labels range over (10 for CIFAR-10); empty when the images have no labels
     * @throws IllegalArgumentException when {@code first} is negative, there are no images, or labels and images
     *                                  do not count the same images
     */
    public static ImageSource held(String description, int first, int[] labels, List<RgbImage> images,
                                   OptionalInt labelClasses) {
        int n = images.size();
        if (first < 0 || n == 0 || labels.length != n) {
            throw new IllegalArgumentException("held images of " + description + " from index " + first + ": " + n
                    + " images and " + labels.length + " labels; expected a first index >= 0 and as many labels as "
                    + "images, at least one");
        }
        List<RgbImage> held = List.copyOf(images);
        int[] heldLabels = labels.clone();
        List<String> names = new AbstractList<>() {       // O(1): first may be in the millions
            @Override
            public String get(int i) {
                Objects.checkIndex(i, first + n);
                return description + "#" + i;
            }

            @Override
            public int size() {
                return first + n;
            }
        };
        String labelSet = labelClasses.isPresent() ? labelClasses.getAsInt() + " classes" : "no labels";
        return new ImageSource(description + " (images " + first + " .. " + (first + n - 1) + " held)", names,
                labelClasses, labelSet, (from, count, preprocessing) -> {
            if (from < first) {
                throw new IllegalArgumentException("images " + from + " .. " + (from + count - 1) + " of "
                        + description + " requested, but only " + first + " .. " + (first + n - 1) + " are held; "
                        + "read the held ones");
            }
            return new Loaded(Arrays.copyOfRange(heldLabels, from - first, from - first + count),
                    preprocessing.pixels(held.subList(from - first, from - first + count)));
        });
    }

    /** Number of images. */
    public int size() {
        return names.size();
    }

    /** The name of every image, in source order. */
    public List<String> names() {
        return names;
    }

    /**
     * The number of classes the source's labels range over (labels are {@code 0 .. n − 1}): 10 for CIFAR-10;
     * empty when its images carry no labels.
     */
    public OptionalInt labelClasses() {
        return labelClasses;
    }

    /**
     * Checks that the source's labels can be scored against the predictions of a model with {@code modelClasses}
     * classes. Labels from a dataset with another number of classes cannot be (CIFAR-10's label 3 is "cat", an
     * ImageNet model's class 3 a shark): they are refused. A source without labels passes.
     *
     * @param instead what to do instead, the end of the message (e.g. which option tracks the clean top-1)
     * @throws IllegalArgumentException naming the source, its classes and the model's, when they differ
     */
    public void checkLabelsFit(int modelClasses, String instead) {
        if (labelClasses.isPresent() && labelClasses.getAsInt() != modelClasses) {
            throw new IllegalArgumentException("the labels of " + description + " are " + labelSet
                    + " but the model has " + modelClasses + " classes, so they cannot be scored against its "
                    + "predictions; " + instead);
        }
    }

    /**
     * Images {@code from .. from + count − 1}: their pixels resized and rescaled but not normalised (in [0, 1] for
     * the usual 1/255), {@code [count, 3, size, size]} (see {@link Preprocessing#pixels(List)}), with
     * {@code preprocessing} to normalise them ({@link Batch#input()}).
     *
     * @throws IllegalArgumentException when the range is empty or outside {@code 0 .. size() − 1}
     * @throws IOException              when an image cannot be read
     */
    public Batch read(int from, int count, Preprocessing preprocessing) throws IOException {
        Loaded loaded = load(from, count, preprocessing);
        return new Batch(from, names.subList(from, from + count), loaded.labels(), loaded.pixels(), preprocessing);
    }

    /**
     * All images in batches of at most {@code batchSize}, read lazily as the iteration goes.
     * An image that cannot be read ends the iteration with an {@link UncheckedIOException}.
     *
     * @throws IllegalArgumentException when {@code batchSize} is not positive
     */
    public Iterable<Batch> batches(int batchSize, Preprocessing preprocessing) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        return () -> new Iterator<>() {
            private int next = 0;

            @Override
            public boolean hasNext() {
                return next < size();
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("all " + size() + " images have been read");
                }
                int count = Math.min(batchSize, size() - next);
                try {
                    Batch b = read(next, count, preprocessing);
                    next += count;
                    return b;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    private Loaded load(int from, int count, Preprocessing preprocessing) throws IOException {
        if (from < 0 || count <= 0 || (long) from + count > size()) {
            throw new IllegalArgumentException("images " + from + " .. " + ((long) from + count - 1)
                    + " requested but " + description + " holds " + size() + " (0 .. " + (size() - 1) + ")");
        }
        return loader.load(from, count, preprocessing);
    }

    /** The spec this source was made from, e.g. {@code cifar10:data/test_batch.bin}. */
    @Override
    public String toString() {
        return description;
    }
}
