package io.github.vit4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Which files of a Hub repository vit4j needs, and nothing else: the weights — {@code model.safetensors}, else
 * {@code pytorch_model.bin}, each also in its sharded form ({@code *.index.json} plus the shards it lists) — and
 * {@code config.json} and {@code preprocessor_config.json} where the repository has them. Anything else, such as
 * {@code training_args.bin} (a pickle of arbitrary objects), is never downloaded or opened.
 */
final class WeightFiles {

    /** The weights files in order of preference: the first the repository holds is taken. */
    static final List<String> WEIGHTS = ModelLoader.WEIGHTS_FILES;
    static final List<String> CONFIGS = List.of("config.json", "preprocessor_config.json");
    private static final long MAX_INDEX_BYTES = 16L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private WeightFiles() {
    }

    /** The weights file (or index) to take from {@code files}; {@code where} names the repository for the error. */
    static String weights(Collection<String> files, String where) throws ModelFormatException {
        for (String name : WEIGHTS) {
            if (files.contains(name)) {
                return name;
            }
        }
        List<String> shown = files.stream().sorted().limit(20).toList();
        throw new ModelFormatException(where + " has no weights in a format vit4j reads: expected one of " + WEIGHTS
                + ", found " + shown + (files.size() > shown.size() ? " (and " + (files.size() - shown.size())
                + " more)" : "") + ". Convert the weights to safetensors (safetensors.torch.save_file) and open a"
                + " folder holding them, or pick a revision that has them (e.g. a pull request's refs/pr/N)");
    }

    /** The files to fetch first: the weights file or index, then the config files the repository has. */
    static List<String> toFetch(Collection<String> files, String where) throws ModelFormatException {
        List<String> out = new ArrayList<>();
        out.add(weights(files, where));
        CONFIGS.stream().filter(files::contains).forEach(out::add);
        return out;
    }

    static boolean isIndex(String name) {
        return name.endsWith(".index.json");
    }

    /**
     * The shards an index lists (its {@code weight_map}'s values), each checked to be a plain file name beside it.
     */
    static List<String> shards(Path index, String where) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new ModelFormatException(index + " is " + size + " bytes, more than an index of shards can be ("
                    + MAX_INDEX_BYTES + "); the file in " + where + " is corrupt");
        }
        JsonNode map;
        try {
            map = JSON.readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new ModelFormatException(index + " (from " + where + ") is not valid JSON: " + e.getMessage(), e);
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(index + " (from " + where + ") has no weight_map object naming its"
                    + " shards; expected {\"weight_map\": {\"tensor name\": \"shard file\", …}}");
        }
        TreeSet<String> shards = new TreeSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            String shard = v.asText();
            if (!v.isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.startsWith(".")) {
                throw new ModelFormatException(index + " (from " + where + ") names the shard " + v + ", which is"
                        + " not a file name beside the index; expected e.g. \"model-00001-of-00002.safetensors\"");
            }
            shards.add(shard);
        }
        return List.copyOf(shards);
    }
}
