package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Resizing;
import java.io.IOException;
import java.io.Serial;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A user's mapping file: {@link Properties} text (UTF-8) that says how a trainer named its tensors and, optionally,
 * what the model is. For example (the CIFAR-10 SimpleViT as its author saved it):
 *
 * <pre>
 * blocks.{i}.attn.qkv.weight  = blocks.{i}.attn.in_proj_weight
 * blocks.{i}.attn.qkv.bias    = blocks.{i}.attn.in_proj_bias
 * blocks.{i}.attn.proj.weight = blocks.{i}.attn.out_proj.weight
 * blocks.{i}.mlp.fc1.weight   = blocks.{i}.mlp.0.weight
 * config.heads        = 4
 * config.layerNormEps = 1e-5
 * preprocessing.mean  = 0.4914, 0.4822, 0.4465
 * preprocessing.std   = 0.2470, 0.2435, 0.2616
 * </pre>
 *
 * Keys:
 * <ul>
 * <li>a canonical tensor name ({@code {i}} for the block index) = the source name, or several joined with
 *     {@code +} to concatenate their rows (separate q, k, v into the fused qkv); canonical names not listed are
 *     looked up under their own name;</li>
 * <li>{@code layout} = {@code timm} (default) or {@code huggingface}: the rules to start from;</li>
 * <li>{@code ignore} = comma-separated globs ({@code *}, {@code {i}}) of source tensors that are not used;</li>
 * <li>{@code config.imageSize}, {@code patchSize}, {@code channels}, {@code hiddenSize}, {@code layers},
 *     {@code heads}, {@code mlpSize}, {@code layerNormEps}, {@code label.N} or {@code labelsFile} (one class name
 *     per line, relative to the mapping file): override or complete config.json; whatever is still unknown is read
 *     off the tensor shapes, except heads and layerNormEps;</li>
 * <li>{@code preprocessing.size}, {@code rescaleFactor} (default 1/255), {@code mean}, {@code std}
 *     (comma-separated), {@code roundResized} ({@code true} or {@code false}: round resized values to whole levels
 *     as PIL does; default as preprocessor_config.json says, else false), {@code resizing} (Pillow's resize and a
 *     centre crop as {@link Resizing#parse} reads it, e.g. {@code SHORTEST_EDGE 256 BICUBIC};
 *     default as preprocessor_config.json says, else the bilinear resize).</li>
 * </ul>
 *
 * @param file          the mapping file
 * @param layout        the name rules
 * @param config        the config keys it states
 * @param preprocessing the preprocessing keys it states
 */
record MappingFile(Path file, NameLayout layout, PartialConfig config, PartialPreprocessing preprocessing) {

    private static final List<String> CONFIG_KEYS = List.of("imageSize", "patchSize", "channels", "hiddenSize",
            "layers", "heads", "mlpSize", "layerNormEps", "labelsFile", "label.N");
    private static final List<String> PREPROCESSING_KEYS = List.of("size", "rescaleFactor", "mean", "std",
            "roundResized", "resizing");

    /**
     * Reads and checks a mapping file.
     *
     * @throws ModelFormatException naming the file and key for unknown keys, malformed values, or rules whose
     *                              {@code {i}} placeholders do not match
     * @throws IOException          when it (or its labels file) cannot be read
     */
    static MappingFile read(Path file) throws IOException {
        String text = utf8(file, "mapping file");
        KeyCounting props = new KeyCounting();
        try {
            props.load(new StringReader(text));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": not a valid mapping (Properties) file: " + e.getMessage(), e);
        }
        if (!props.repeated.isEmpty()) {
            String key = props.repeated.get(0);
            List<Integer> lines = linesOf(text, key);
            throw new ModelFormatException(file + ": key " + key + " is given twice" + (lines.size() < 2 ? ""
                    : ", on line " + lines.get(0) + " and line " + lines.get(1)) + "; give it once (Properties"
                    + " files keep the last silently, which hides edits)");
        }
        Map<String, String> entries = new TreeMap<>();
        props.stringPropertyNames().forEach(k -> entries.put(k, props.getProperty(k).strip()));

        String base = entries.getOrDefault("layout", "timm");
        NameLayout start = switch (base) {
            case "timm" -> NameLayout.timm();
            case "huggingface" -> NameLayout.huggingFace();
            default -> throw new ModelFormatException(file + ": layout = " + base + " is unknown; use timm (the"
                    + " default) or huggingface");
        };
        Map<String, List<String>> rules = new LinkedHashMap<>(start.rules());
        List<String> ignore = new ArrayList<>();
        PartialConfig config = new PartialConfig();
        PartialPreprocessing preprocessing = new PartialPreprocessing();
        List<String> canonical = NameLayout.canonicalPatterns();
        TreeMap<Integer, String> labels = new TreeMap<>();

        for (Map.Entry<String, String> e : entries.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.equals("layout")) {
                continue;
            }
            if (key.equals("ignore")) {
                for (String glob : value.split(",")) {
                    if (!glob.isBlank()) {
                        ignore.add(glob.strip());
                    }
                }
            } else if (key.startsWith("config.")) {
                String field = key.substring("config.".length());
                if (field.startsWith("label.")) {
                    int index = index(file, key, field.substring("label.".length()));
                    labels.put(index, props.getProperty(key)); // unstripped: a label is any text
                    continue;
                }
                switch (field) {
                    case "imageSize" -> config.imageSize = positive(file, key, value);
                    case "patchSize" -> config.patchSize = positive(file, key, value);
                    case "channels" -> config.channels = positive(file, key, value);
                    case "hiddenSize" -> config.hiddenSize = positive(file, key, value);
                    case "layers" -> config.layers = positive(file, key, value);
                    case "heads" -> config.heads = positive(file, key, value);
                    case "mlpSize" -> config.mlpSize = positive(file, key, value);
                    case "layerNormEps" -> config.layerNormEps = number(file, key, value);
                    case "labelsFile" -> config.labels = labelsFile(file, value);
                    default -> throw new ModelFormatException(file + ": unknown key " + key + "; config keys are "
                            + CONFIG_KEYS.stream().map(k -> "config." + k).toList());
                }
            } else if (key.startsWith("preprocessing.")) {
                String field = key.substring("preprocessing.".length());
                switch (field) {
                    case "size" -> preprocessing.size = positive(file, key, value);
                    case "rescaleFactor" -> preprocessing.rescaleFactor = number(file, key, value);
                    case "mean" -> preprocessing.mean = numbers(file, key, value);
                    case "std" -> preprocessing.std = numbers(file, key, value);
                    case "roundResized" -> preprocessing.roundResized = flag(file, key, value);
                    case "resizing" -> preprocessing.resizing = resizing(file, key, value);
                    default -> throw new ModelFormatException(file + ": unknown key " + key + "; preprocessing keys"
                            + " are " + PREPROCESSING_KEYS.stream().map(k -> "preprocessing." + k).toList());
                }
            } else if (canonical.contains(key)) {
                rules.put(key, sources(file, key, value));
            } else {
                throw new ModelFormatException(file + ": unknown key " + key + "; keys are canonical tensor names "
                        + "with {i} for the block index " + canonical + ", or layout, ignore, config.*,"
                        + " preprocessing.*");
            }
        }
        if (!labels.isEmpty()) {
            if (config.labels != null) {
                throw new ModelFormatException(file + ": give the class names either as config.label.N keys or as"
                        + " config.labelsFile, not both");
            }
            if (labels.size() != labels.lastKey() + 1) {
                throw new ModelFormatException(file + ": config.label.N keys must number the classes 0.."
                        + (labels.size() - 1) + " without gaps; found indices " + labels.keySet());
            }
            config.labels = List.copyOf(labels.values());
        }
        if (!config.isEmpty()) {
            config.sources.add(file.getFileName().toString());
        }
        if (preprocessing.size != null || preprocessing.rescaleFactor != null || preprocessing.mean != null
                || preprocessing.std != null || preprocessing.roundResized != null || preprocessing.resizing != null) {
            preprocessing.sources.add(file.getFileName().toString());
        }
        NameLayout layout = new NameLayout(file.toString(), rules, ignore);
        return new MappingFile(file, layout, config, preprocessing);
    }

    private static List<String> sources(Path file, String key, String value) throws ModelFormatException {
        List<String> out = new ArrayList<>();
        for (String part : value.split("\\+")) {
            String s = part.strip();
            if (s.isEmpty()) {
                throw new ModelFormatException(file + ": " + key + " = " + value + " names an empty source; write"
                        + " source names joined by +");
            }
            boolean keyPerBlock = key.contains(NameLayout.BLOCK);
            boolean sourcePerBlock = s.contains(NameLayout.BLOCK);
            if (keyPerBlock != sourcePerBlock) {
                throw new ModelFormatException(file + ": " + key + " = " + value + ": " + (keyPerBlock
                        ? "the source " + s + " lacks {i}, so every block would read the same tensor"
                        : "the source " + s + " has {i} but " + key + " is not per block"));
            }
            out.add(s);
        }
        return out;
    }

    private static List<String> labelsFile(Path mapping, String value) throws IOException {
        Path dir = mapping.toAbsolutePath().getParent();
        Path labels;
        try {
            labels = dir.resolve(value);
        } catch (InvalidPathException e) { // e.g. a NUL character (found by MappingFileFuzzTest)
            throw new ModelFormatException(mapping + ": config.labelsFile = " + value + " is not a file name: "
                    + e.getReason() + "; name the labels file relative to the mapping file");
        }
        if (!Files.isRegularFile(labels)) {
            throw new ModelFormatException(mapping + ": config.labelsFile = " + value + ", but " + labels
                    + " does not exist");
        }
        List<String> lines = new ArrayList<>(utf8(labels, "labels file").lines().toList());
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty()) {
            throw new ModelFormatException(labels + " (config.labelsFile of " + mapping + ") has no class names");
        }
        return List.copyOf(lines);
    }

    /**
     * A small text file decoded as UTF-8, or a {@link ModelFormatException} naming the file and the first byte that
     * is not UTF-8, with its offset and line.
     *
     * @param kind what the file is, for the message ("mapping file")
     */
    static String utf8(Path file, String kind) throws IOException {
        byte[] bytes = ConfigFiles.readBounded(file, "a " + kind);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never gives more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new ModelFormatException(String.format(Locale.ROOT, "%s is not UTF-8 text: byte 0x%02x at offset %d"
                    + " (line %d) is not valid UTF-8; %ss are UTF-8: save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                    file, bytes[offset] & 0xff, offset, line, kind));
        }
        return out.flip().toString();
    }

    /** The 1-based lines on which an entry for {@code key} starts (continuation lines and comments skipped). */
    private static List<Integer> linesOf(String text, String key) {
        List<Integer> found = new ArrayList<>();
        String[] physical = text.split("\r\n|\r|\n", -1);
        boolean continued = false;
        for (int i = 0; i < physical.length; i++) {
            String line = physical[i];
            String lead = line.stripLeading();
            if (continued) {
                continued = endsWithOddBackslashes(line);
            } else if (lead.isEmpty() || lead.startsWith("#") || lead.startsWith("!")) {
                continued = false;
            } else {
                Properties one = new Properties();
                try {
                    one.load(new StringReader(line));
                } catch (IOException | IllegalArgumentException e) {
                    // a line the whole file parsed can only fail alone in its continuation: not this key's start
                }
                if (one.containsKey(key)) {
                    found.add(i + 1);
                }
                continued = endsWithOddBackslashes(line);
            }
        }
        return found;
    }

    private static boolean endsWithOddBackslashes(String line) {
        int n = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            n++;
        }
        return n % 2 == 1;
    }

    /** Properties that remember which keys were loaded more than once. */
    private static final class KeyCounting extends Properties {
        @Serial
        private static final long serialVersionUID = 1L;

        private final transient List<String> repeated = new ArrayList<>();

        @Override
        public synchronized Object put(Object key, Object value) {
            Object old = super.put(key, value);
            if (old != null) {
                repeated.add((String) key);
            }
            return old;
        }
    }

    private static int index(Path file, String key, String text) throws ModelFormatException {
        try {
            int i = Integer.parseInt(text);
            if (i >= 0) {
                return i;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ModelFormatException(file + ": " + key + ": the class index must be an integer >= 0");
    }

    private static int positive(Path file, String key, String value) throws ModelFormatException {
        try {
            int v = Integer.parseInt(value);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ModelFormatException(file + ": " + key + " = " + value + "; expected a positive integer");
    }

    private static Resizing resizing(Path file, String key, String value) throws ModelFormatException {
        try {
            return Resizing.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + key + " = " + value + "; " + e.getMessage(), e);
        }
    }

    private static boolean flag(Path file, String key, String value) throws ModelFormatException {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ModelFormatException(file + ": " + key + " = " + value + "; expected true or false");
        };
    }

    private static double number(Path file, String key, String value) throws ModelFormatException {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new ModelFormatException(file + ": " + key + " = " + value + "; expected a number such as 1e-5");
        }
    }

    private static double[] numbers(Path file, String key, String value) throws ModelFormatException {
        try {
            return Arrays.stream(value.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new ModelFormatException(file + ": " + key + " = " + value + "; expected comma-separated numbers"
                    + " such as 0.485, 0.456, 0.406");
        }
    }
}
