package io.github.vit4j.convert;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.github.vit4j.format.ModelFormatException;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A checkpoint split into shards, as Hugging Face saves large models: an index
 * ({@code model.safetensors.index.json} or {@code pytorch_model.bin.index.json},
 * {@code {"metadata": {..}, "weight_map": {"tensor name": "shard file", ..}}}) beside the shards it names, each a
 * safetensors file or a PyTorch checkpoint. Seen through it, the shards are one file of named tensors.
 *
 * <p>{@link #open} checks everything before any tensor is read: the index's size (16 MiB, before it is read), its
 * JSON, every shard a plain file name beside the index on every system ({@link #shardNameProblem}: {@code ..},
 * {@code /}, {@code \}, {@code D:}, NUL and other controls refused: files are hostile input),
 * every shard present, each tensor listed once, and each shard holding exactly the tensors the index gives it.
 * Every shard is opened with {@link WeightsFile#open} (its header validated there) and {@link #load} asks the
 * shard that holds the tensor.
 */
final class ShardedCheckpoint implements WeightsFile {

    /** How an index's file name ends. */
    static final String INDEX_SUFFIX = ".index.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter JSON_ASCII = JSON.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII);
    /** The longest file name most file systems take (255 bytes: ext4, APFS; 255 UTF-16 units: NTFS). */
    private static final int MAX_SHARD_NAME = 255;
    private static final String WINDOWS_RESERVED = "<>:\"|?*";
    private static final Pattern WINDOWS_DEVICES = Pattern.compile("CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9]|CONIN\\$"
            + "|CONOUT\\$");

    private final Path index;
    private final List<WeightsFile> shards;
    private final Map<String, WeightsFile> byName;

    private ShardedCheckpoint(Path index, List<WeightsFile> shards, Map<String, WeightsFile> byName) {
        this.index = index;
        this.shards = List.copyOf(shards);
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Whether this file name is a shard index, which {@link WeightsFile#open} reads with this class. */
    static boolean isIndex(Path file) {
        return file.getFileName().toString().endsWith(INDEX_SUFFIX);
    }

    /**
     * Reads an index, checks it against its shards and opens them all.
     *
     * @throws ModelFormatException naming the index, and the tensor and shards, for any inconsistency
     * @throws IOException          when a file cannot be read
     */
    static ShardedCheckpoint open(Path index) throws IOException {
        Map<String, String> weightMap = weightMap(index);
        Path folder = index.toAbsolutePath().getParent();
        TreeSet<String> shardNames = new TreeSet<>(weightMap.values());
        for (String shard : shardNames) {
            if (!Files.isRegularFile(folder.resolve(shard))) {
                long listed = weightMap.values().stream().filter(shard::equals).count();
                throw new ModelFormatException(index + " lists " + listed + " tensors in the shard " + shard
                        + ", which is not in " + folder + "; the download is incomplete: fetch every shard the index"
                        + " names (" + shardNames.size() + " shards)");
            }
        }
        List<WeightsFile> opened = new ArrayList<>();
        try {
            Map<String, WeightsFile> byName = new LinkedHashMap<>();
            for (String shard : shardNames) {
                WeightsFile file = WeightsFile.open(folder.resolve(shard));
                opened.add(file);
                for (String name : file.names()) {
                    WeightsFile other = byName.putIfAbsent(name, file);
                    if (other != null) {
                        throw new ModelFormatException(index + ": tensor " + quoted(name) + " is in two shards, "
                                + other.file().getFileName() + " and " + shard + " (the index lists it in "
                                + weightMap.get(name) + "); the shards are not from one checkpoint");
                    }
                    String listed = weightMap.get(name);
                    if (listed == null) {
                        throw new ModelFormatException(index + ": the shard " + shard + " holds tensor " + quoted(name)
                                + ", which the index does not list; the index and its shards are not from one"
                                + " checkpoint");
                    }
                    if (!listed.equals(shard)) {
                        throw new ModelFormatException(index + " lists tensor " + quoted(name) + " in the shard "
                                + listed + " but it is in the shard " + shard + "; the index and its shards are not from one"
                                + " checkpoint");
                    }
                }
            }
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                if (!byName.containsKey(e.getKey())) {
                    throw new ModelFormatException(index + " lists tensor " + quoted(e.getKey()) + " in the shard "
                            + e.getValue() + ", which does not hold it; the index and its shards are not from one"
                            + " checkpoint");
                }
            }
            return new ShardedCheckpoint(index, opened, byName);
        } catch (IOException | RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    /** The shard files {@code index} names, sorted, each once; the index checked as {@link #open} checks it. */
    static List<String> shardNames(Path index) throws IOException {
        return List.copyOf(new TreeSet<>(weightMap(index).values()));
    }

    /**
     * The index's {@code weight_map}, tensor name → shard file name, in the index's order; each shard checked to be
     * a plain file name beside the index, each tensor to be listed once.
     */
    private static Map<String, String> weightMap(Path index) throws IOException {
        byte[] bytes = ConfigFiles.readBounded(index, "an index of shards");
        Map<String, String> map = new LinkedHashMap<>();
        boolean seen = false;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelFormatException(index + " is not a JSON object; expected {\"weight_map\": {\"tensor"
                        + " name\": \"shard file\", …}}");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("weight_map")) {
                    p.skipChildren();
                } else if (seen || value != JsonToken.START_OBJECT) {
                    throw noWeightMap(index, seen ? "gives weight_map twice" : "has a weight_map that is not an"
                            + " object");
                } else {
                    seen = true;
                    readWeightMap(index, p, map);
                }
            }
            if (p.nextToken() != null) {
                throw new ModelFormatException(index + " has more text after its JSON object; the file is corrupt");
            }
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(index + " is not valid JSON: " + quoted(e.getOriginalMessage()));
        } catch (CharConversionException e) { // Jackson guessed UTF-16 or UTF-32 from the first bytes (fuzzing)
            throw new ModelFormatException(index + " is not UTF-8 JSON: " + e.getMessage() + "; an index is UTF-8", e);
        }
        if (map.isEmpty()) {
            throw noWeightMap(index, seen ? "has an empty weight_map" : "has no weight_map");
        }
        return map;
    }

    private static void readWeightMap(Path index, JsonParser p, Map<String, String> map) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String tensor = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new ModelFormatException(index + ": weight_map gives tensor " + quoted(tensor) + " the shard "
                        + quoted(String.valueOf(p.readValueAsTree())) + ", which is not a file name; expected e.g."
                        + " \"model-00001-of-00002.safetensors\"");
            }
            String shard = p.getText();
            Optional<String> problem = shardNameProblem(shard);
            if (problem.isPresent()) {
                throw new ModelFormatException(index + ": weight_map puts tensor " + quoted(tensor) + " in the shard "
                        + quoted(shard) + ", which is not a plain file name beside the index: " + problem.get()
                        + "; expected e.g. \"model-00001-of-00002.safetensors\". The file is corrupt or malicious");
            }
            if (shard.endsWith(INDEX_SUFFIX)) {
                throw new ModelFormatException(index + ": weight_map puts tensor " + quoted(tensor) + " in the shard "
                        + quoted(shard) + ", which is another index; shards are safetensors files or PyTorch"
                        + " checkpoints");
            }
            Optional<String> format = shardFormat(index);
            if (format.isPresent() && !shard.endsWith(format.get())) {
                throw new ModelFormatException(index + ": weight_map puts tensor " + quoted(tensor) + " in the shard "
                        + quoted(shard) + ", which is not a " + format.get() + " file like the index's; an index"
                        + " lists shards of its own format (a safetensors index never leads to a pickle)");
            }
            String previous = map.putIfAbsent(tensor, shard);
            if (previous != null) {
                throw new ModelFormatException(index + ": weight_map lists tensor " + quoted(tensor) + " twice, in"
                        + " the shard " + previous + " and in the shard " + shard + "; each tensor belongs to"
                        + " exactly one shard");
            }
        }
    }

    /**
     * The file name ending every shard of {@code index} must have: {@code .safetensors} for
     * {@code model.safetensors.index.json}, {@code .bin} for {@code pytorch_model.bin.index.json} (as Hugging Face
     * names them); none for an index of another name. A hostile safetensors index cannot send the loader, or the
     * Hub's download, to a pickle such as {@code training_args.bin}.
     */
    private static Optional<String> shardFormat(Path index) {
        String base = index.getFileName().toString();
        base = base.substring(0, base.length() - INDEX_SUFFIX.length());
        return base.endsWith(".safetensors") ? Optional.of(".safetensors")
                : base.endsWith(".bin") ? Optional.of(".bin") : Optional.empty();
    }

    /**
     * Why {@code shard} cannot be the name of a file beside the index on every operating system, if it cannot: the
     * one rule for shard names, which the Hub download applies too (through {@link ModelLoader#shardsOf}). A shard
     * name is 1 to 255 printable ASCII characters without {@code /} or {@code \} (a path), without what Windows
     * refuses or reads otherwise ({@code <>:"|?*}, where {@code D:x} is a path on drive D; a trailing {@code .} or
     * space, which it drops; the device names {@code CON}, {@code NUL}, {@code COM1}, … even with an extension), and
     * not starting with {@code .} ({@code ..}, hidden files) or a space.
     */
    static Optional<String> shardNameProblem(String shard) {
        if (shard.isEmpty()) {
            return Optional.of("it is empty");
        }
        if (shard.length() > MAX_SHARD_NAME) {
            return Optional.of("it is " + shard.length() + " characters long, more than " + MAX_SHARD_NAME);
        }
        if (shard.contains("/") || shard.contains("\\")) {
            return Optional.of("it holds a / or \\ (a path, not a file name)");
        }
        for (int i = 0; i < shard.length(); i++) {
            char c = shard.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return Optional.of(String.format(Locale.ROOT, "it holds the character U+%04X; shard names are"
                        + " printable ASCII", (int) c));
            }
            if (WINDOWS_RESERVED.indexOf(c) >= 0) {
                return Optional.of("it holds '" + c + "', which Windows refuses in a file name (there D:x is a path"
                        + " on drive D)");
            }
        }
        if (shard.startsWith(".") || shard.startsWith(" ")) {
            return Optional.of("it starts with '.' or a space (.. is the folder above, .x a hidden file)");
        }
        if (shard.endsWith(".") || shard.endsWith(" ")) {
            return Optional.of("it ends with '.' or a space, which Windows drops from file names");
        }
        String device = shard.split("\\.", 2)[0].strip().toUpperCase(Locale.ROOT);
        if (WINDOWS_DEVICES.matcher(device).matches()) {
            return Optional.of(device + " is a device name on Windows, with any extension");
        }
        return Optional.empty();
    }

    /**
     * {@code s} as a JSON string, every character outside printable ASCII escaped (ESC as
     * <code>&#92;u001B</code>): text from a file shown in a message, which cannot drive a terminal or hide what it
     * holds; at most 100 characters of it.
     */
    static String quoted(String s) {
        String shown = s.length() > 100 ? s.substring(0, 100) : s;
        try {
            return JSON_ASCII.writeValueAsString(shown) + (shown.length() < s.length() ? "... (" + s.length()
                    + " characters)" : "");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string is always JSON", e);
        }
    }

    private static ModelFormatException noWeightMap(Path index, String problem) {
        return new ModelFormatException(index + " " + problem + "; expected {\"weight_map\": {\"tensor name\":"
                + " \"shard file\", …}} naming the shard of every tensor");
    }

    private static void closeAll(List<WeightsFile> files, Throwable failure) {
        for (WeightsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /** The index. */
    @Override
    public Path file() {
        return index;
    }

    /** Every tensor of every shard: the shards in file-name order, each in its own order. */
    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public long[] shape(String name) throws ModelFormatException {
        return shard(name).shape(name);
    }

    /** Reads the tensor from the shard that holds it. */
    @Override
    public INDArray load(String name) throws IOException {
        return shard(name).load(name);
    }

    /** How many shard files the index names. */
    int shardCount() {
        return shards.size();
    }

    private WeightsFile shard(String name) throws ModelFormatException {
        WeightsFile shard = byName.get(name);
        if (shard == null) {
            throw noSuchTensor(name);
        }
        return shard;
    }

    /** Closes every shard. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (WeightsFile f : shards) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
