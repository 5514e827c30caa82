package io.github.vit4j.hub;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.ModelFormatException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Which files of a Hub repository vit4j needs, and nothing else: the weights — {@code model.safetensors}, else
 * {@code pytorch_model.bin}, each also in its sharded form ({@code *.index.json} plus the shards it lists) — and
 * {@code config.json} and {@code preprocessor_config.json} where the repository has them (OpenCLIP's weights:
 * {@code open_clip_config.json}), and CLIP's tokenizer files ({@code vocab.json}, {@code merges.txt}) where it has
 * them. Anything else, such as
 * {@code training_args.bin} (a pickle of arbitrary objects), is never downloaded or opened. An index's shards are
 * read and checked by the loader's own rule ({@link ModelLoader#shardsOf}): plain file names on every system.
 */
final class WeightFiles {

    /** The weights files in order of preference: the first the repository holds is taken. */
    static final List<String> WEIGHTS = ModelLoader.WEIGHTS_FILES;
    static final List<String> CONFIGS = List.of("config.json", "preprocessor_config.json");
    /** The config file of OpenCLIP's weights ({@code open_clip_*}), the only one they need. */
    static final List<String> OPEN_CLIP_CONFIGS = List.of("open_clip_config.json");

    /**
     * CLIP's tokenizer files: fetched where the repository has them (zero-shot classes need them), but never required
     * for a snapshot to be complete, so a cache made without them (by Python, or before) still serves the model.
     */
    static final List<String> TOKENIZER = List.of("vocab.json", "merges.txt");

    /** The config files that go with the weights file {@code weights}. */
    static List<String> configs(String weights) {
        return weights.startsWith("open_clip_") ? OPEN_CLIP_CONFIGS : CONFIGS;
    }

    private WeightFiles() {
    }

    /** The weights file (or index) to take from {@code files}; {@code where} names the repository for the error. */
    static String weights(Collection<String> files, String where) throws ModelFormatException {
        for (String name : WEIGHTS) {
            if (files.contains(name)) {
                return name;
            }
        }
        List<String> shown = files.stream().sorted().limit(20).map(Refusals::bounded).toList(); // a server's names
        throw new ModelFormatException(where + " has no weights in a format vit4j reads: expected one of " + WEIGHTS
                + ", found " + shown + (files.size() > shown.size() ? " (and " + (files.size() - shown.size())
                + " more)" : "") + ". Convert the weights to safetensors (safetensors.torch.save_file) and open a"
                + " folder holding them, or pick a revision that has them (e.g. a pull request's refs/pr/N)");
    }

    /** The files to fetch first: the weights file or index, then the config files the repository has. */
    static List<String> toFetch(Collection<String> files, String where) throws ModelFormatException {
        List<String> out = new ArrayList<>();
        String weights = weights(files, where);
        out.add(weights);
        configs(weights).stream().filter(files::contains).forEach(out::add);
        TOKENIZER.stream().filter(files::contains).forEach(out::add);
        return out;
    }

    static boolean isIndex(String name) {
        return name.endsWith(".index.json");
    }
}
