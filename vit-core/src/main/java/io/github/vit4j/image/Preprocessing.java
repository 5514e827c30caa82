package io.github.vit4j.image;

import io.github.vit4j.model.kernels.NativeEnvironment;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How a model wants its pixels, with Hugging Face {@code ViTImageProcessor} semantics: resize to
 * {@code size × size} (bilinear, only when the image differs), multiply by {@code rescaleFactor} (1/255 turns
 * bytes into [0, 1]), then per channel {@code (x − mean) / std}.
 *
 * <p>The resize is plain bilinear with half-pixel centres and no antialiasing, exactly
 * {@code torch.nn.functional.interpolate(mode='bilinear', align_corners=False)}. With {@code roundResized} off the
 * resized values are kept unrounded (torch on float images; timm-style pipelines and the presets here). With it on,
 * the resized values are rounded to whole levels, multiples of {@code rescaleFactor} after rescaling (whole 0..255
 * grey levels for 1/255), after each of the two passes (along rows, then columns), halves up: what PIL does when
 * the Hugging Face processor resizes a uint8 image and gets uint8 back. For upscaling (CIFAR's 32 px to 224) PIL's
 * bilinear filter has the same weights as torch's, so then the result is PIL's, but for a value within about
 * 1e-4 of a half level, where PIL's 22-bit fixed-point weights may round the other way. For downscaling PIL
 * averages over an area, which this resize does not, rounding or not. Images already {@code size × size} are not
 * resized and so never rounded. Arithmetic is in double; results are stored as float32.
 *
 * <p>With a {@link Resizing} ({@link #withResizing}) the image is instead resized as Hugging Face's processors do it
 * with Pillow, on the bytes (e.g. {@code CLIPImageProcessor}: the shortest edge to 224 with {@link Resample#BICUBIC},
 * then a centre crop to {@code size × size}); the result is whole levels, so {@code roundResized} is then true.
 * Pixels handed to {@link #normalize} at another size are rounded to whole levels first and resized the same way.
 *
 * <p>Outputs are {@code [B, C, size, size]} float32, C-order, batch first. Two steps can be taken separately:
 * {@link #pixels} gives resized, rescaled pixels (the space for corruptions such as grayscale), and
 * {@link #normalize} turns those into model input; {@link #apply} does both at once and
 * {@link #denormalize} goes back.
 *
 * @param size          the model's input height and width
 * @param rescaleFactor factor applied to 0..255 pixel values, usually 1/255
 * @param mean          per-channel mean subtracted after rescaling (zeros for none)
 * @param std           per-channel standard deviation divided by (ones for none)
 * @param roundResized  whether resized values are rounded to whole levels as PIL does (Hugging Face's
 *                      {@code ViTImageProcessor}); off for torch-style unrounded values; always on with a resizing
 * @param resizing      Pillow's resize and a centre crop, as a model's processor config states them; empty for the
 *                      bilinear resize of the whole image described above
 */
public record Preprocessing(int size, double rescaleFactor, double[] mean, double[] std, boolean roundResized,
                            Optional<Resizing> resizing) {

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    /**
     * @throws IllegalArgumentException naming the value, when {@code size} is not positive, {@code rescaleFactor} or
     *                                  a {@code std} is not finite and positive, a {@code mean} is not finite, or
     *                                  mean and std differ in length
     */
    public Preprocessing {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescaleFactor is " + rescaleFactor + ", expected a finite positive "
                    + "number (1/255 for bytes to [0, 1])");
        }
        if (mean == null || std == null || mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std must have one value per channel, got mean "
                    + Arrays.toString(mean) + " and std " + Arrays.toString(std));
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Double.isFinite(mean[c])) {
                throw new IllegalArgumentException("mean[" + c + "] is " + mean[c] + " in mean "
                        + Arrays.toString(mean) + ", expected a finite number (zeros for no normalisation)");
            }
            if (!(std[c] > 0) || Double.isInfinite(std[c])) {
                throw new IllegalArgumentException("std[" + c + "] is " + std[c] + " in std " + Arrays.toString(std)
                        + ", expected a finite positive number (ones for no normalisation)");
            }
        }
        if (resizing == null) {
            throw new IllegalArgumentException("resizing must not be null; Optional.empty() for the bilinear resize");
        }
        roundResized = roundResized || resizing.isPresent();
        mean = mean.clone();
        std = std.clone();
    }

    /** A preprocessing whose images are resized to {@code size × size} bilinearly (no {@link Resizing}). */
    public Preprocessing(int size, double rescaleFactor, double[] mean, double[] std, boolean roundResized) {
        this(size, rescaleFactor, mean, std, roundResized, Optional.empty());
    }

    /** A preprocessing whose resize keeps unrounded values ({@code roundResized} off). */
    public Preprocessing(int size, double rescaleFactor, double[] mean, double[] std) {
        this(size, rescaleFactor, mean, std, false);
    }

    /** This preprocessing with {@code roundResized} set as given. */
    public Preprocessing withRoundResized(boolean round) {
        return new Preprocessing(size, rescaleFactor, mean, std, round, resizing);
    }

    /** This preprocessing with images resized by {@code resizing} (Pillow's filter, then the centre crop). */
    public Preprocessing withResizing(Resizing resizing) {
        return new Preprocessing(size, rescaleFactor, mean, std, true, Optional.of(resizing));
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** Number of channels the mean and std describe. */
    public int channels() {
        return mean.length;
    }

    /** The CIFAR-10 model of ../shared: 32×32, 1/255, mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616). */
    public static Preprocessing cifar10() {
        return new Preprocessing(32, 1 / 255.0, new double[] {0.4914, 0.4822, 0.4465},
                new double[] {0.2470, 0.2435, 0.2616});
    }

    /** ImageNet statistics as timm and DeiT use them: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static Preprocessing imagenet(int size) {
        return new Preprocessing(size, 1 / 255.0, new double[] {0.485, 0.456, 0.406},
                new double[] {0.229, 0.224, 0.225});
    }

    /** Pixels scaled to [0, 1] with no normalisation. */
    public static Preprocessing unitRange(int size) {
        return new Preprocessing(size, 1 / 255.0, new double[] {0, 0, 0}, new double[] {1, 1, 1});
    }

    /** One image as model input: {@code [1, 3, size, size]}, resized, rescaled and normalised. */
    public INDArray apply(RgbImage image) {
        return apply(List.of(image));
    }

    /**
     * Images as model input: {@code [B, 3, size, size]} in list order; each is resized to {@code size × size}
     * when its sides differ (rounded to whole 0..255 levels with {@code roundResized}), or by the
     * {@link #resizing}, multiplied by {@code rescaleFactor}, then normalised with {@code mean} and {@code std}.
     *
     * @throws IllegalArgumentException when the list is empty or this preprocessing is not for 3 channels
     */
    public INDArray apply(List<RgbImage> images) {
        return fromImages(images, true);
    }

    /** One image as pixels: {@code [1, 3, size, size]}, resized and rescaled but not normalised. */
    public INDArray pixels(RgbImage image) {
        return pixels(List.of(image));
    }

    /**
     * Images as pixels: {@code [B, 3, size, size]}, resized (rounded to whole 0..255 levels with
     * {@code roundResized}) and multiplied by {@code rescaleFactor}, not
     * normalised — values in [0, 1] for the usual 1/255. {@code normalize(pixels(images))} equals
     * {@code apply(images)} up to float32 rounding of the intermediate (a few 1e-7).
     *
     * @throws IllegalArgumentException when the list is empty or this preprocessing is not for 3 channels
     */
    public INDArray pixels(List<RgbImage> images) {
        return fromImages(images, false);
    }

    /**
     * Pixels to model input: {@code [B, C, H, W]} pixels already multiplied by {@code rescaleFactor} (in [0, 1]
     * for 1/255) are resized to {@code size × size} when {@code H} or {@code W} differ (and then, with
     * {@code roundResized}, rounded to multiples of {@code rescaleFactor}), then per channel
     * {@code (x − mean) / std}. The argument is not changed; it may be float or double, and a view.
     *
     * @return a new float32 array {@code [B, C, size, size]}
     * @throws IllegalArgumentException when the array is not rank 4, its channel count differs from
     *                                  {@link #channels()}, or a value lies outside the rescaled range
     *                                  {@code [0, 255 · rescaleFactor]} (a negative one: normalised already)
     */
    public INDArray normalize(INDArray pixels) {
        long[] shape = checkBatchOfPlanes(pixels, "pixels");
        int b = (int) shape[0];
        int h = (int) shape[2];
        int w = (int) shape[3];
        int c = channels();
        double[] in = NdArrays.toDoubles(pixels);
        checkRescaled(in, shape);
        float[] out = new float[b * c * size * size];
        double[] plane = new double[h * w];
        for (int i = 0; i < b; i++) {
            for (int ch = 0; ch < c; ch++) {
                System.arraycopy(in, (i * c + ch) * h * w, plane, 0, h * w);
                double[] resized = (h == size && w == size) ? plane
                        : resizing.isPresent() ? pillowResize(plane, h, w)
                        : roundResized ? roundedResize(plane, h, w)
                        : Bilinear.resize(plane, h, w, size, size);
                int base = (i * c + ch) * size * size;
                for (int k = 0; k < resized.length; k++) {
                    out[base + k] = (float) ((resized[k] - mean[ch]) / std[ch]);
                }
            }
        }
        return Nd4j.create(out, new long[] {b, c, size, size}, 'c');
    }

    /**
     * Resizes rescaled pixels in units of levels ({@code x / rescaleFactor}), rounding each pass to whole levels,
     * and rescales back. Values within 1e-3 of a whole level are first snapped to it: pixels stored as float32
     * ({@code k / 255}) are off by up to about 2e-5 levels, which would otherwise tip exact halves (common when
     * upscaling by 2) the wrong way; so {@code normalize(pixels(image))} rounds exactly as {@code apply(image)}.
     */
    private double[] roundedResize(double[] plane, int h, int w) {
        double[] levels = new double[plane.length];
        for (int k = 0; k < plane.length; k++) {
            double v = plane[k] / rescaleFactor;
            double whole = Math.rint(v);
            levels[k] = Math.abs(v - whole) < 1e-3 ? whole : v;
        }
        double[] resized = Bilinear.resize(levels, h, w, size, size, 1);
        for (int k = 0; k < resized.length; k++) {
            resized[k] *= rescaleFactor;
        }
        return resized;
    }

    /** Rescaled pixels rounded to whole levels (bytes), resized and cropped by {@link #resizing}, rescaled back. */
    private double[] pillowResize(double[] plane, int h, int w) {
        byte[] levels = new byte[plane.length];
        for (int k = 0; k < plane.length; k++) {
            levels[k] = (byte) Math.max(0, Math.min(255, Math.rint(plane[k] / rescaleFactor)));
        }
        byte[] resized = resizing.orElseThrow().apply(levels, 1, w, h, size);
        double[] out = new double[resized.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = (resized[k] & 0xFF) * rescaleFactor;
        }
        return out;
    }

    /**
     * Refuses values outside {@code [0, 255 · rescaleFactor]} (with a float32 rounding margin): pixels that were
     * normalised already, or bytes never rescaled, would otherwise give wrong logits without an error.
     */
    private void checkRescaled(double[] values, long[] shape) {
        double top = 255 * rescaleFactor;
        double margin = 1e-5 * top;
        for (int k = 0; k < values.length; k++) {
            double v = values[k];
            if (v >= -margin && v <= top + margin) {
                continue;
            }
            String why = v < 0
                    ? "normalised already? give model input that is normalised to Input.normalized, not to "
                            + "Input.pixels or Preprocessing.normalize"
                    : Double.isNaN(v) ? "a NaN pixel" : "not rescaled? multiply 0..255 values by rescaleFactor "
                            + rescaleFactor + " (Preprocessing.pixels does)";
            throw new IllegalArgumentException("expected pixels " + Arrays.toString(shape) + " in [0, "
                    + (float) top + "] (resized and rescaled, not normalised) but element " + k + " is " + v
                    + ": " + why);
        }
    }

    /**
     * Model input back to pixels: per channel {@code x · std + mean}, no resizing.
     *
     * @return a new float32 array of the same shape, {@code [B, C, H, W]}
     * @throws IllegalArgumentException when the array is not rank 4 or its channel count differs from
     *                                  {@link #channels()}
     */
    public INDArray denormalize(INDArray modelInput) {
        return perChannel(modelInput, "model input", (x, ch) -> x * std[ch] + mean[ch]);
    }

    /**
     * A gradient with respect to the model input {@code [B, C, H, W]} carried back through {@link #normalize}'s
     * per-channel {@code (x − mean) / std} to the pixels at the model's size: divided by std, since
     * {@code ∂((x − mean) / std)/∂x = 1 / std}. (The resize, if any, is not undone: the gradient is that of the
     * resized pixels.)
     *
     * @return a new float32 array of the same shape
     */
    public INDArray pixelGradient(INDArray inputGradient) {
        return perChannel(inputGradient, "input gradient", (g, ch) -> g / std[ch]);
    }

    /** A function of each element and its channel, over {@code [B, C, H, W]}: a new float32 array of the same shape. */
    private INDArray perChannel(INDArray x, String what, ChannelFunction f) {
        long[] shape = checkBatchOfPlanes(x, what);
        int c = channels();
        int planeSize = (int) (shape[2] * shape[3]);
        double[] in = NdArrays.toDoubles(x);
        float[] out = new float[in.length];
        for (int k = 0; k < in.length; k++) {
            out[k] = (float) f.apply(in[k], (k / planeSize) % c);
        }
        return Nd4j.create(out, shape.clone(), 'c');
    }

    @FunctionalInterface
    private interface ChannelFunction {
        double apply(double value, int channel);
    }

    /**
     * Checks that an array can go straight into a model built for this preprocessing: float32
     * {@code [B, channels(), size, size]} with {@code B ≥ 1}.
     *
     * @throws IllegalArgumentException naming the expected and actual shape and what probably went wrong
     */
    public void checkModelInput(INDArray x) {
        checkModelInput(x, channels(), size);
    }

    /**
     * Checks that an array handed over as model input has the shape the model expects: float32
     * {@code [B, channels, size, size]} with {@code B ≥ 1}. The message names both shapes and a likely fix, e.g.
     * {@code expected pixels [B, 3, 224, 224] but got [1, 4, 32, 32]: 4 channels (RGBA? drop alpha); 32×32 pixels
     * (resize to 224×224: Preprocessing.normalize or apply do that)}.
     *
     * @throws IllegalArgumentException when the array does not fit
     */
    public static void checkModelInput(INDArray x, int channels, int size) {
        InputShapes.checkModelInput(x, channels, size);
    }

    private INDArray fromImages(List<RgbImage> images, boolean normalise) {
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("no images to preprocess");
        }
        if (channels() != RgbImage.CHANNELS) {
            throw new IllegalArgumentException("this preprocessing has mean and std for " + channels()
                    + " channels but images are RGB (3 channels)");
        }
        int b = images.size();
        int planeSize = size * size;
        float[] out = new float[b * 3 * planeSize];
        for (int i = 0; i < b; i++) {
            RgbImage image = resizing.isPresent() ? resizing.get().apply(images.get(i), size) : images.get(i);
            boolean resize = image.width() != size || image.height() != size;
            for (int ch = 0; ch < 3; ch++) {
                double[] plane = resize                       // a large photo is read in place, not copied
                        ? Bilinear.resize(image.channel(ch), image.height(), image.width(), size, size,
                                roundResized ? 1 : 0)
                        : image.plane(ch);
                double m = normalise ? mean[ch] : 0;
                double sd = normalise ? std[ch] : 1;
                int base = (i * 3 + ch) * planeSize;
                for (int k = 0; k < planeSize; k++) {
                    out[base + k] = (float) ((plane[k] * rescaleFactor - m) / sd);
                }
            }
        }
        return Nd4j.create(out, new long[] {b, 3, size, size}, 'c');
    }

    /** Checks rank 4 with {@link #channels()} channels and a non-empty batch; returns the shape. */
    private long[] checkBatchOfPlanes(INDArray x, String what) {
        if (x == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        long[] s = x.shape();
        if (s.length != 4 || s[0] < 1 || s[1] != channels() || s[2] < 1 || s[3] < 1) {
            throw new IllegalArgumentException("expected " + what + " [B, " + channels() + ", H, W] but got "
                    + Arrays.toString(s) + (s.length == 4 && s[1] != channels()
                            ? ": " + s[1] + " channels" + InputShapes.channelHint(s[1], channels()) : ""));
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.size == size && p.rescaleFactor == rescaleFactor
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.roundResized == roundResized
                && p.resizing.equals(resizing);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Integer.hashCode(size) + Double.hashCode(rescaleFactor)) + Arrays.hashCode(mean)
                + 7 * Arrays.hashCode(std) + (roundResized ? 1 : 0) + 11 * resizing.hashCode();
    }

    /**
     * The record's text; {@code roundResized=true} and the resizing are appended only when on or present, so text
     * recorded before they existed holds.
     */
    @Override
    public String toString() {
        return "Preprocessing[size=" + size + ", rescaleFactor=" + rescaleFactor + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + (roundResized ? ", roundResized=true" : "")
                + resizing.map(r -> ", resizing=" + r).orElse("") + "]";
    }
}
