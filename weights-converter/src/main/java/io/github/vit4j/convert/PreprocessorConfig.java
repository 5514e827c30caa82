package io.github.vit4j.convert;

import static io.github.vit4j.convert.JsonFields.orElse;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/** Hugging Face's {@code preprocessor_config.json}: the pixel pipeline of a ViTImageProcessor. */
final class PreprocessorConfig {

    /** Processor types whose resize goes through PIL on uint8 and so rounds to whole levels. */
    private static final Set<String> PIL_ROUNDING_PROCESSORS = Set.of("ViTImageProcessor", "ViTFeatureExtractor");

    private PreprocessorConfig() {
    }

    /**
     * A Hugging Face ViTImageProcessor config: size, rescale and normalisation as stated, with ViTImageProcessor's
     * defaults (rescale 1/255, mean and std 0.5) and {@code do_rescale false} → factor 1, {@code do_normalize
     * false} → mean 0, std 1, {@code do_resize false} → the model's image size. A {@code ViTImageProcessor} or
     * {@code ViTFeatureExtractor} (named by {@code image_processor_type} or {@code feature_extractor_type}, or
     * neither key present) with {@code do_resize} true resizes with PIL into bytes, so resized values are rounded to
     * whole levels ({@code roundResized}); other processor types are read with the same keys but left unrounded.
     */
    static PartialPreprocessing read(Path file) throws IOException {
        JsonNode root = ConfigFiles.readObject(file);
        JsonFields f = new JsonFields(file, root, "");
        PartialPreprocessing p = new PartialPreprocessing();
        p.sources.add(file.getFileName().toString());
        if (f.bool("do_resize", true)) {
            String type = f.string("image_processor_type", f.string("feature_extractor_type", "ViTImageProcessor"));
            p.roundResized = PIL_ROUNDING_PROCESSORS.contains(type);
            JsonNode size = root.get("size");
            if (size != null && size.isObject()) {
                JsonFields s = new JsonFields(file, size, "size.");
                Integer h = s.integer("height");
                Integer w = s.integer("width");
                Integer edge = s.integer("shortest_edge");
                if (h != null && w != null && !h.equals(w)) {
                    throw s.unsupported("height", h + " (width " + w + ")", "vit4j resizes to square images");
                }
                p.size = h != null ? h : w != null ? w : edge;
            } else {
                p.size = f.integer("size");
            }
        }
        Integer crop = cropSize(f, root);
        if (crop != null) {                    // the model's input: what the centre crop leaves (or the images are)
            p.size = crop;
            p.cropSize = crop;
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

    /** {@code crop_size}: a number, or {@code {height, width}} that must be square; null when absent. */
    private static Integer cropSize(JsonFields f, JsonNode root) throws IOException {
        JsonNode crop = root.get("crop_size");
        if (crop == null || !crop.isObject()) {
            return f.integer("crop_size");
        }
        JsonFields c = new JsonFields(f.file(), crop, "crop_size.");
        Integer h = c.integer("height");
        Integer w = c.integer("width");
        if (h != null && w != null && !h.equals(w)) {
            throw c.unsupported("height", h + " (width " + w + ")", "vit4j runs square images");
        }
        return h != null ? h : w;
    }
}
