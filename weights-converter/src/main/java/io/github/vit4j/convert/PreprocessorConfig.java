package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import java.util.Arrays;
import java.util.Set;

/** Hugging Face's {@code preprocessor_config.json}: the pixel pipeline of an image processor. */
final class PreprocessorConfig {

    /** Processor types whose resize goes through PIL on uint8 and so rounds to whole levels. */
    private static final Set<String> PIL_ROUNDING_PROCESSORS = Set.of("ViTImageProcessor", "ViTFeatureExtractor");

    private PreprocessorConfig() {
    }

    /**
     * Processor types whose integer {@code size} (and whose default) is the shortest edge, and whose
     * {@code do_center_crop} defaults to true; other types read an integer size as a square.
     */
    private static final Set<String> SHORTEST_EDGE_PROCESSORS = Set.of("CLIPImageProcessor", "CLIPFeatureExtractor",
            "BitImageProcessor");
    /** Processor types that crop by default (crop 224) when {@code do_center_crop} is not stated. */
    private static final Set<String> CROPPING_PROCESSORS = Set.of("CLIPImageProcessor", "CLIPFeatureExtractor",
            "BitImageProcessor", "DeiTImageProcessor", "DeiTFeatureExtractor");
    /** DeiT's processor types, whose default size is 256 × 256. */
    private static final Set<String> DEIT_PROCESSORS = Set.of("DeiTImageProcessor", "DeiTFeatureExtractor");
    /** Processor types whose {@code resample} defaults to bilinear; the others' default is bicubic. */
    private static final Set<String> BILINEAR_PROCESSORS = Set.of("ViTImageProcessor", "ViTFeatureExtractor");

    /**
     * A Hugging Face image processor config: size, resampling, centre crop, rescale and normalisation as stated,
     * with ViTImageProcessor's defaults (rescale 1/255, mean and std 0.5) and {@code do_rescale false} → factor 1,
     * {@code do_normalize false} → mean 0, std 1, {@code do_resize false} → the model's image size.
     *
     * <p>Where the config states {@code resample}, a centre crop or a shortest edge, images are resized as the
     * processor resizes them with Pillow (a {@link Resizing}): the filter {@code resample} names (bilinear by
     * default for ViT's processors, bicubic for the others), {@code size.shortest_edge} or
     * {@code size.height/width} (an integer {@code size} is a shortest edge for CLIP's and Bit's processors, a
     * square for the others; absent, the type's default: shortest edge 224 for CLIP's and Bit's, 256 × 256 for
     * DeiT's), then with {@code do_center_crop} (default true for CLIP, Bit (DINOv2) and DeiT) a
     * centre crop to {@code crop_size} (default 224), which is then the model's input size (as is a stated
     * {@code crop_size} where the processor neither resizes nor crops). Otherwise the resize is
     * today's bilinear one, rounded to whole levels for a {@code ViTImageProcessor} or {@code ViTFeatureExtractor}
     * (named by {@code image_processor_type} or {@code feature_extractor_type}, or neither key present), unrounded
     * for other types. Images are always converted to RGB ({@code do_convert_rgb}); ImageFiles does it as Pillow.
     *
     * @throws ModelFormatException naming the file and key when {@code resample} is not one of Pillow's filters,
     *                              a size or crop is not square, or a shortest-edge resize has no crop (its output
     *                              would not be square)
     */
    static PartialPreprocessing read(Path file) throws IOException {
        JsonNode root = ConfigFiles.readObject(file);
        JsonFields f = new JsonFields(file, root, "");
        PartialPreprocessing p = new PartialPreprocessing();
        p.sources.add(file.getFileName().toString());
        String type = f.string("image_processor_type", f.string("feature_extractor_type", "ViTImageProcessor"));
        boolean resize = f.bool("do_resize", true);
        boolean crop = f.bool("do_center_crop", CROPPING_PROCESSORS.contains(type));
        f.bool("do_convert_rgb", true);                      // checked for its type; images are RGB anyway
        Integer side = null;
        Integer shortestEdge = null;
        if (resize) {
            p.roundResized = PIL_ROUNDING_PROCESSORS.contains(type);
            JsonNode size = root.get("size");
            if (size != null && size.isObject()) {
                JsonFields s = new JsonFields(file, size, "size.");
                side = square(s, "height", "width", "vit4j resizes to square images");
                shortestEdge = s.integer("shortest_edge");
            } else if (SHORTEST_EDGE_PROCESSORS.contains(type)) {
                shortestEdge = f.integer("size");
            } else {
                side = f.integer("size");
            }
            if (size == null || size.isNull()) {            // the processor type's own default size
                shortestEdge = SHORTEST_EDGE_PROCESSORS.contains(type) ? Integer.valueOf(224) : null;
                side = DEIT_PROCESSORS.contains(type) ? Integer.valueOf(256) : null;
            }
        }
        Integer resample = f.integer("resample");
        if (resample == null && !crop && shortestEdge == null) {
            p.size = side;                                    // the bilinear resize, as before
        } else {
            Resample filter = filter(f, resample, type);
            Integer cropSize = crop ? cropSize(file, root) : null;
            if (shortestEdge != null && !crop) {
                throw f.unsupported("size.shortest_edge", shortestEdge + " without do_center_crop",
                        "the resized images would not be square; vit4j runs square inputs");
            }
            try {
                if (shortestEdge != null) {
                    p.resizing = Resizing.shortestEdge(shortestEdge, filter);
                } else if (side != null) {
                    p.resizing = Resizing.square(side, filter);
                }
            } catch (IllegalArgumentException e) {
                throw shortestEdge != null ? f.unsupported("size.shortest_edge", shortestEdge.toString(),
                        e.getMessage()) : f.unsupported("size", side.toString(), e.getMessage());
            }
            if (shortestEdge == null && side == null && crop) {
                p.resizing = Resizing.cropOnly();                 // no resize (or no size): the crop alone
            }
            p.size = crop ? cropSize : side;
        }
        if (crop) {                     // the size the model runs at: the crop's, or, where the processor neither
            p.cropSize = p.size;        // resizes nor crops (images given at that size), the crop_size it states
        } else if (!resize && root.has("crop_size")) {
            p.cropSize = cropSize(file, root);
        }
        p.rescaleFactor = f.bool("do_rescale", true) ? orElse(f.decimal("rescale_factor"), 1 / 255.0) : 1.0;
        double[] mean = f.decimals("image_mean");
        double[] std = f.decimals("image_std");
        if (!f.bool("do_normalize", true)) {
            int channels = mean != null ? mean.length : 3;
            p.mean = new double[channels];
            p.std = new double[channels];
            Arrays.fill(p.std, 1.0);
        } else {
            p.mean = mean != null ? mean : new double[] {0.5, 0.5, 0.5};
            p.std = std != null ? std : new double[] {0.5, 0.5, 0.5};
        }
        return p;
    }

    /** Pillow's filter the {@code resample} code names, or the processor type's default. */
    private static Resample filter(JsonFields f, Integer code, String type) throws ModelFormatException {
        if (code == null) {
            return BILINEAR_PROCESSORS.contains(type) ? Resample.BILINEAR : Resample.BICUBIC;
        }
        try {
            return Resample.ofCode(code);
        } catch (IllegalArgumentException e) {
            throw f.unsupported("resample", code.toString(), e.getMessage());
        }
    }

    /** {@code crop_size}: an integer or {@code {height, width}}, which must be equal; 224 when absent. */
    private static int cropSize(Path file, JsonNode root) throws ModelFormatException {
        JsonNode crop = root.get("crop_size");
        if (crop != null && crop.isObject()) {
            Integer side = square(new JsonFields(file, crop, "crop_size."), "height", "width",
                    "vit4j crops to square images");
            return side != null ? side : 224;
        }
        Integer side = new JsonFields(file, root, "").integer("crop_size");
        return side != null ? side : 224;
    }

    /** Two equal sides ({@code height}, {@code width}), either alone, or null when neither is stated. */
    private static Integer square(JsonFields s, String heightKey, String widthKey, String why)
            throws ModelFormatException {
        Integer h = s.integer(heightKey);
        Integer w = s.integer(widthKey);
        if (h != null && w != null && !h.equals(w)) {
            throw s.unsupported(heightKey, h + " (" + widthKey + " " + w + ")", why);
        }
        return h != null ? h : w;
    }
}
