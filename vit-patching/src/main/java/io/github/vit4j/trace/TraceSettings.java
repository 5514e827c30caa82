package io.github.vit4j.trace;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.format.Fingerprints;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Everything that determines a dataset trace's rows, as the {@code trace.meta.properties} of its folder records
 * them: every field of {@link DatasetTrace.Options} but the limit (the corruption as calibrated), the model (its
 * config, its preprocessing and a fingerprint of its weights) and the images (their number, how many are traced and a
 * fingerprint of their names, labels and pixels, so that a changed or reordered source is noticed). Where the model
 * and images were read from is not recorded: the fingerprints say whether they are the same.
 *
 * <p>The file's keys are its own, not Java names, so that renaming the API changes no file: {@value #FORMAT} names
 * the version ({@value #CURRENT_FORMAT}); docs/guarantees.md ("trace.meta.properties") describes the keys. A folder
 * of format 1 (vit4j before 2026-12-07, no {@value #FORMAT} key: keys such as {@code DatasetTrace.Options.corruption}, and the
 * images' {@code images.source}) is read as format 2 and rewritten in it once resumed.
 */
final class TraceSettings {

    /** The key of the file's version. */
    static final String FORMAT = "format";
    /** The version written. */
    static final String CURRENT_FORMAT = "2";
    /** The setting that says how many images a trace covers. */
    static final String TRACED = "images.traced";
    /** The fingerprint of the traced images. */
    static final String FINGERPRINT = "images.fingerprint";
    /** Settings that earlier versions recorded from a caller's identity text, ignored when resuming. */
    static final String CALLER = "caller.";

    /** The key of each recorded setting: all but the limit (whose count is {@value #TRACED}). */
    private static final Map<DatasetTrace.Setting, String> KEYS = keys();

    /** Format 1's keys of the settings, Java names of the API before 2026-12-07, and their keys now. */
    private static final Map<String, String> FORMAT_1 = Map.of(
            "DatasetTrace.Options.corruption", "corruption",
            "DatasetTrace.Options.spec.kinds", "kinds",
            "DatasetTrace.Options.spec.window", "window",
            "DatasetTrace.Options.spec.tokens", "tokens",
            "DatasetTrace.Options.spec.metric", "metric",
            "DatasetTrace.Options.method", "method",
            "DatasetTrace.Options.target", "target",
            "DatasetTrace.Options.seed", "seed",
            "DatasetTrace.Options.batchSize", "batch_size");
    /** Where format 1 recorded the images were read from (a path), which the fingerprint makes needless. */
    private static final String FORMAT_1_SOURCE = "images.source";

    private TraceSettings() {
    }

    /**
     * The settings of a trace of {@code source} but for how many of its images are traced (see {@link #traced}).
     *
     * @param calibrated the options' corruption as calibrated for this trace
     */
    static Map<String, String> of(VitWeights weights, Preprocessing preprocessing, ImageSource source,
                                  DatasetTrace.Options options, Corruption calibrated) {
        CausalTrace.Spec spec = options.spec();
        Map<String, String> s = new LinkedHashMap<>();
        s.put(FORMAT, CURRENT_FORMAT);
        s.put(KEYS.get(DatasetTrace.Setting.CORRUPTION), calibrated.describe());
        s.put(KEYS.get(DatasetTrace.Setting.KINDS), spec.kinds().stream().map(SweepKind::label)
                .collect(Collectors.joining(",")));
        s.put(KEYS.get(DatasetTrace.Setting.WINDOW), Integer.toString(spec.window()));
        s.put(KEYS.get(DatasetTrace.Setting.TOKENS), spec.tokens().toString());
        s.put(KEYS.get(DatasetTrace.Setting.METRIC), spec.metric().label());
        s.put(KEYS.get(DatasetTrace.Setting.METHOD), options.method().label());
        s.put(KEYS.get(DatasetTrace.Setting.TARGET), options.target().label());
        s.put(KEYS.get(DatasetTrace.Setting.SEED), Long.toString(options.seed()));
        s.put(KEYS.get(DatasetTrace.Setting.BATCH_SIZE), Integer.toString(options.batchSize()));
        s.put("model.config", weights.config().toString());
        // Rounding of resized values shows in the pixels the images' fingerprint samples, not here: a trace recorded
        // before Preprocessing.roundResized existed resumes when its pixels are unchanged (images at the model's size).
        s.put("model.preprocessing", preprocessing.withRoundResized(false).toString());
        s.put("model.weights", Fingerprints.weights(weights));
        s.put("images.size", Integer.toString(source.size()));
        return s;
    }

    /**
     * {@code settings} with the count and fingerprint of the first {@code images} images of {@code source}, for
     * each count of {@code images} (ascending), from one pass over the images.
     */
    static List<Map<String, String>> traced(Map<String, String> settings, ImageSource source,
                                            Preprocessing preprocessing, int... images) throws IOException {
        String[] fingerprints = Fingerprints.images(source, preprocessing, images);
        List<Map<String, String>> traced = new ArrayList<>();
        for (int i = 0; i < images.length; i++) {
            Map<String, String> s = new LinkedHashMap<>(settings);
            s.put(TRACED, Integer.toString(images[i]));
            s.put(FINGERPRINT, fingerprints[i]);
            traced.add(s);
        }
        return traced;
    }

    private static Map<DatasetTrace.Setting, String> keys() {
        Map<DatasetTrace.Setting, String> k = new EnumMap<>(DatasetTrace.Setting.class);
        k.put(DatasetTrace.Setting.CORRUPTION, "corruption");
        k.put(DatasetTrace.Setting.KINDS, "kinds");
        k.put(DatasetTrace.Setting.WINDOW, "window");
        k.put(DatasetTrace.Setting.TOKENS, "tokens");
        k.put(DatasetTrace.Setting.METRIC, "metric");
        k.put(DatasetTrace.Setting.METHOD, "method");
        k.put(DatasetTrace.Setting.TARGET, "target");
        k.put(DatasetTrace.Setting.SEED, "seed");
        k.put(DatasetTrace.Setting.BATCH_SIZE, "batch_size");
        return Collections.unmodifiableMap(k);
    }

    /**
     * The settings a {@code trace.meta.properties} file holds, read as the current format: format 1's keys renamed
     * and its images' source dropped; earlier versions' caller identity left out. The {@value #FORMAT} key keeps the
     * file's own version, so that a caller can tell an old file.
     *
     * @throws IOException naming the file when it is of a format this version does not read (a later one)
     */
    static Map<String, String> read(Properties file, Path where) throws IOException {
        String format = file.getProperty(FORMAT, "1");
        if (!format.equals("1") && !format.equals(CURRENT_FORMAT)) {
            throw new IOException(where + " is of format " + format + ", which this version of vit4j does not read "
                    + "(it reads formats 1 and " + CURRENT_FORMAT + "); resume the trace with the version that wrote "
                    + "it, or trace into another folder");
        }
        Map<String, String> recorded = new TreeMap<>();
        for (String key : file.stringPropertyNames()) {
            if (key.startsWith(CALLER) || format.equals("1") && key.equals(FORMAT_1_SOURCE)) {
                continue;
            }
            recorded.put(format.equals("1") ? FORMAT_1.getOrDefault(key, key) : key, file.getProperty(key));
        }
        recorded.put(FORMAT, format);
        return recorded;
    }

    /** The setting recorded under {@code key}; empty for the model's and images' keys. */
    static Optional<DatasetTrace.Setting> setting(String key) {
        return KEYS.entrySet().stream().filter(e -> e.getValue().equals(key)).map(Map.Entry::getKey).findFirst();
    }

    /** The number of images {@code recorded} settings say were traced; {@code otherwise} where they say none. */
    static int tracedImages(Map<String, String> recorded, int otherwise) {
        try {
            return Integer.parseInt(recorded.getOrDefault(TRACED, ""));
        } catch (NumberFormatException e) {
            return otherwise;                                  // the settings' check names the missing value
        }
    }
}
