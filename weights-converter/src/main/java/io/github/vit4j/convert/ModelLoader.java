package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.hub.Hub;
import io.github.vit4j.hub.HubModel;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.kernels.NativeEnvironment;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Loads a trained ViT from whatever form it comes in; the entry point of {@code vit convert} and of every command
 * that takes a model.
 *
 * <ul>
 * <li>a native {@code .vit} file: {@link VitFile#read} (memory-mapped, no conversion);</li>
 * <li>a Hugging Face folder: {@code config.json} + {@code model.safetensors} (+ {@code preprocessor_config.json};
 *     without it, ViTImageProcessor's defaults: mean and std 0.5, rescale 1/255, the config's image size);</li>
 * <li>a timm folder: {@code config.json} with {@code architecture} + {@code model.safetensors}; preprocessing from
 *     {@code pretrained_cfg} mean and std (ImageNet's when absent), rescale 1/255, the model's image size;</li>
 * <li>the image towers of other families: Hugging Face's CLIP, SigLIP, DINOv2 (with registers) and DeiT
 *     ({@link HuggingFaceFamilies}), timm's ({@link TimmFamilies}), and OpenCLIP's {@code open_clip_config.json} +
 *     {@code open_clip_model.safetensors} or {@code open_clip_pytorch_model.bin} ({@link OpenClipConfig}); a
 *     processor's {@code crop_size} is the size the model runs at, its position embeddings resized to it;</li>
 * <li>a single {@code .safetensors} file, or a PyTorch checkpoint ({@code .pt}, {@code .pth}, {@code .bin}: a
 *     {@code torch.save} state dict, read without running any code; a folder's {@code pytorch_model.bin} when it has
 *     no {@code model.safetensors}): config files beside it are used as in a folder;</li>
 * <li>a checkpoint split into shards: the index ({@code model.safetensors.index.json},
 *     {@code pytorch_model.bin.index.json}) or a folder holding it, each shard checked against what the index says
 *     it holds; a folder takes {@code model.safetensors}, then its index, then {@code pytorch_model.bin}, then its
 *     index;</li>
 * <li>any of these weights files plus a mapping file ({@link MappingFile}) for weights saved under their trainer's
 *     own names; its {@code config.*} and {@code preprocessing.*} keys override the files.</li>
 * </ul>
 *
 * Without a mapping the tensor names decide the layout (Hugging Face or timm). Config values nobody states are read
 * off the tensor shapes where they can be (layers, widths, patch size, image size, classes), never the number of
 * heads or the LayerNorm epsilon. Every problem is an {@link IOException} (usually a {@link ModelFormatException})
 * whose message names the file, the tensor, what was expected and what was found.
 */
public final class ModelLoader {

    /**
     * The weights files of a Hugging Face model folder, in order of preference: the first the folder (or a Hub
     * repository) holds is the model's weights; an {@code *.index.json} names the shards of a sharded checkpoint.
     */
    public static final List<String> WEIGHTS_FILES = List.of("model.safetensors", "model.safetensors.index.json",
            "pytorch_model.bin", "pytorch_model.bin.index.json", "open_clip_model.safetensors",
            "open_clip_pytorch_model.bin");

    static {
        NativeEnvironment.prepare();                          // before this class creates its first arrays
    }

    private ModelLoader() {
    }

    /**
     * Loads a model from a path or from the Hugging Face Hub: {@code hf:org/name[@revision]} is downloaded into the
     * cache shared with Python's {@code huggingface_hub} (settings from the environment: {@code HF_HOME},
     * {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}, …) and its snapshot folder loaded; see {@link Hub}.
     *
     * @param location a path as {@link #load(Path)} takes, or {@code hf:org/name[@revision]}
     * @throws IOException naming the file or repository and what is wrong
     */
    public static Pretrained load(String location) throws IOException {
        return load(location, Optional.empty(), note -> { });
    }

    /**
     * {@link #load(String)} with a mapping file and notes, as {@link #load(Path, Optional, Consumer)}.
     *
     * @throws IOException naming the file or repository and what is wrong
     */
    public static Pretrained load(String location, Optional<Path> mapping, Consumer<String> notes)
            throws IOException {
        Path source = Hub.resolve(location);
        if (HubModel.isSpec(location)) {
            notes.accept(location + " is in the Hub cache at " + source);
        }
        return load(source, mapping, notes);
    }

    /**
     * Loads a model whose tensor names need no mapping file: {@link #load(Path, Optional)} with none.
     *
     * @param source a {@code .vit}, {@code .safetensors}, {@code .pt}, {@code .pth} or {@code .bin} file, a shard
     *               index ({@code *.index.json}), or a folder holding one
     * @throws IOException naming the file and what is wrong with it
     */
    public static Pretrained load(Path source) throws IOException {
        return load(source, Optional.empty());
    }

    /**
     * Loads a model: see the class comment for the forms accepted.
     *
     * @param source  a {@code .vit}, {@code .safetensors}, {@code .pt}, {@code .pth} or {@code .bin} file, a shard
     *                index ({@code *.index.json}), or a folder holding one
     * @param mapping a mapping file for weights saved under other names, or empty
     * @throws IOException naming the file and what is wrong with it
     */
    public static Pretrained load(Path source, Optional<Path> mapping) throws IOException {
        return load(source, mapping, note -> { });
    }

    /**
     * Loads a model and reports every decision taken on the way (layout detected, config values inferred, defaults
     * used) to {@code notes}, one sentence each, for the CLI to print.
     *
     * @param source  a {@code .vit}, {@code .safetensors}, {@code .pt}, {@code .pth} or {@code .bin} file, a shard
     *                index ({@code *.index.json}), or a folder holding one
     * @param mapping a mapping file for weights saved under other names, or empty
     * @param notes   receives one sentence per decision
     * @throws IOException naming the file and what is wrong with it
     */
    public static Pretrained load(Path source, Optional<Path> mapping, Consumer<String> notes) throws IOException {
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "no such file or folder");
        }
        Optional<MappingFile> map = mapping.isPresent() ? Optional.of(MappingFile.read(mapping.get()))
                : Optional.empty();
        Path weightsFile = Files.isDirectory(source) ? findWeights(source) : source;
        if (VitFile.looksLikeVitFile(weightsFile)) { // named .vit or nearly its magic: read says what is wrong
            if (map.isPresent() && VitFile.isVitFile(weightsFile)) {
                throw new IllegalArgumentException(weightsFile + " is a native .vit file, which carries its own names"
                        + " and config; drop the mapping " + mapping.get());
            }
            notes.accept(weightsFile + " is a native .vit file: memory-mapping it");
            return VitFile.read(weightsFile);
        }
        Path folder = weightsFile.toAbsolutePath().getParent();

        PartialConfig config = new PartialConfig();
        PartialPreprocessing preprocessing = new PartialPreprocessing();
        Optional<ConfigFiles.Kind> kind = Optional.empty();
        Path configJson = folder.resolve("config.json");
        if (Files.isRegularFile(configJson)) {
            ConfigFiles.Read read = ConfigFiles.read(configJson);
            kind = Optional.of(read.kind());
            config.overrideWith(read.config());
            preprocessing.overrideWith(read.preprocessing());
            notes.accept("config: " + configJson + " (" + read.kind().displayName + ")");
        }
        Path openClipJson = folder.resolve(OpenClipConfig.FILE);
        if (kind.isEmpty() && Files.isRegularFile(openClipJson)) {
            ConfigFiles.Read read = OpenClipConfig.read(openClipJson);
            kind = Optional.of(read.kind());
            config.overrideWith(read.config());
            preprocessing.overrideWith(read.preprocessing());
            notes.accept("config: " + openClipJson + " (" + read.kind().displayName + ")");
        }
        Path preprocessorJson = folder.resolve("preprocessor_config.json");
        boolean hasPreprocessor = Files.isRegularFile(preprocessorJson);
        if (hasPreprocessor) {
            preprocessing.overrideWith(ConfigFiles.huggingFacePreprocessor(preprocessorJson));
            notes.accept("preprocessing: " + preprocessorJson);
        }
        if (map.isPresent()) {
            config.overrideWith(map.get().config());
            preprocessing.overrideWith(map.get().preprocessing());
        }
        if (preprocessing.cropSize != null) {
            config.inputSize = preprocessing.cropSize;
        }

        try (WeightsFile weights = WeightsFile.open(weightsFile)) {
            if (weights instanceof ShardedCheckpoint sharded) {
                notes.accept("weights: " + sharded.names().size() + " tensors in " + sharded.shardCount()
                        + " shards, as " + weightsFile + " lists them");
            }
            if (map.isEmpty() && config.headBiasedClassifier != null && nonZero(weights, "head.bias")) {
                config.overrideWith(config.headBiasedClassifier);
                notes.accept("head: head.bias is not all zeros, so head is a fine-tuned linear classifier, not"
                        + " CLIP's projection");
            }
            NameLayout layout;
            if (map.isPresent()) {
                layout = map.get().layout();
                notes.accept("names: mapping file " + mapping.get());
            } else if (config.layout != null) {
                layout = config.layout;
                notes.accept("names: " + layout.name() + " layout, as " + config.describeSources() + " says");
            } else {
                layout = NameLayout.detect(weights);
                notes.accept("names: " + layout.name() + " layout, detected from the tensor names");
            }
            WeightsFile tensors = layout.view(weights);
            VitConfig vitConfig = ConfigInference.complete(config, tensors, layout, notes);
            Preprocessing pixels = preprocessing(preprocessing, kind, hasPreprocessor, vitConfig, weightsFile, notes);
            VitWeights vitWeights = WeightMapper.assemble(tensors, layout, vitConfig);
            try {
                return new Pretrained(vitWeights, pixels);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(weightsFile + ": the preprocessing (from "
                        + describe(preprocessing) + ") does not fit the model: " + e.getMessage(), e);
            }
        }
    }

    private static Preprocessing preprocessing(PartialPreprocessing stated, Optional<ConfigFiles.Kind> kind,
                                               boolean hasPreprocessor, VitConfig config, Path weightsFile,
                                               Consumer<String> notes) throws ModelFormatException {
        PartialPreprocessing p = new PartialPreprocessing();
        p.overrideWith(stated);
        if (!p.hasNormalisation()) {
            Preprocessing fallback;
            if (kind.equals(Optional.of(ConfigFiles.Kind.TIMM))) {
                fallback = Preprocessing.imagenet(config.imageSize());
                notes.accept("no mean/std in the timm config: using timm's defaults, ImageNet's mean "
                        + Arrays.toString(fallback.mean()) + " and std " + Arrays.toString(fallback.std()));
            } else if (kind.equals(Optional.of(ConfigFiles.Kind.HUGGING_FACE)) && !hasPreprocessor) {
                fallback = new Preprocessing(config.imageSize(), 1 / 255.0, new double[] {0.5, 0.5, 0.5},
                        new double[] {0.5, 0.5, 0.5}, true);
                if (p.roundResized == null) {
                    p.roundResized = true;                    // ViTImageProcessor resizes with PIL, into bytes
                }
                notes.accept("no preprocessor_config.json beside " + weightsFile + ": using ViTImageProcessor's"
                        + " defaults (resize to " + config.imageSize() + " rounding to whole levels as PIL does,"
                        + " rescale 1/255, mean 0.5, std 0.5)");
            } else {
                throw new ModelFormatException("no preprocessing is known for " + weightsFile + ": put a"
                        + " preprocessor_config.json beside it, or state preprocessing.mean and preprocessing.std in"
                        + " the mapping file (0, 0, 0 and 1, 1, 1 feed pixels scaled to [0, 1] unnormalised)");
            }
            if (p.mean == null) {
                p.mean = fallback.mean();
            }
            if (p.std == null) {
                p.std = fallback.std();
            }
        }
        try {
            return p.complete(config.imageSize());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("invalid preprocessing for " + weightsFile + " (from " + describe(p)
                    + "): " + e.getMessage(), e);
        }
    }

    /**
     * The shard files a sharded checkpoint's index ({@code *.index.json}) names, sorted, each once: what must lie
     * beside it. The index is checked as {@link #load} checks it (its size, its JSON, each tensor listed once) and
     * every shard name to be a plain file name beside the index on every operating system; the Hub download fetches
     * exactly these.
     *
     * @throws IOException naming the index, and the shard or tensor, for anything else
     */
    public static List<String> shardsOf(Path index) throws IOException {
        return ShardedCheckpoint.shardNames(index);
    }

    /** Whether {@code weights} holds {@code name} with a value other than zero. */
    private static boolean nonZero(WeightsFile weights, String name) throws IOException {
        return weights.contains(name) && weights.load(name).norm1Number().doubleValue() != 0;
    }

    private static String describe(PartialPreprocessing p) {
        return p.sources.isEmpty() ? "defaults" : String.join(" and ", p.sources);
    }

    /**
     * The weights file in a model folder: model.safetensors, else model.safetensors.index.json (its shards), else
     * pytorch_model.bin, else pytorch_model.bin.index.json, else OpenCLIP's open_clip_model.safetensors, else
     * open_clip_pytorch_model.bin, else the only .safetensors, else the only .pt or .pth,
     * else the only .vit file. Other .bin files (training_args.bin) are never opened.
     */
    private static Path findWeights(Path folder) throws IOException {
        for (String name : WEIGHTS_FILES) {
            if (Files.isRegularFile(folder.resolve(name))) {
                return folder.resolve(name);
            }
        }
        List<String> all;
        try (Stream<Path> files = Files.list(folder)) {
            all = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        for (List<String> extensions : List.of(List.of(".safetensors"), List.of(".pt", ".pth"),
                List.of(VitFile.EXTENSION))) {
            List<Path> candidates = all.stream().filter(n -> extensions.stream().anyMatch(n::endsWith))
                    .map(folder::resolve).toList();
            if (candidates.size() == 1) {
                return candidates.get(0);
            }
            if (candidates.size() > 1) {
                throw new ModelFormatException(folder + " holds several weights files " + candidates.stream()
                        .map(Path::getFileName).toList() + "; pass the one to load");
            }
        }
        throw new ModelFormatException(folder + " holds no weights file (model.safetensors, pytorch_model.bin, or"
                + " any .safetensors, .pt, .pth or .vit file; it holds " + all.stream().limit(10).toList() + ")");
    }
}
