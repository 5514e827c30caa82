package io.github.vit4j.cli;

import io.github.vit4j.convert.ClipTextLoader;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.hub.HubModel;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Clip;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.ZeroShot;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --model} and {@code --mapping}, shared by the commands that run a model. */
final class ModelOption {

    /** The default model, inside the shared folder. */
    static final String DEFAULT_MODEL = "models/simplevit-cifar10/hf";

    @Option(names = "--model", paramLabel = "M",
            description = {"A .vit file, a Hugging Face or timm model folder, a .safetensors, .pt, .pth or .bin file, "
                + "or a model on the Hugging Face Hub: hf:org/name[@revision] (downloaded into the cache shared with "
                + "Python; HF_HOME, HF_TOKEN, HF_HUB_OFFLINE apply).",
                "Default: the CIFAR-10 model ../shared/" + DEFAULT_MODEL + "."})
    String model;

    @Option(names = "--mapping", paramLabel = "FILE",
            description = "Mapping file for weights saved under their trainer's own names "
                    + "(see weights-converter).")
    Path mapping;

    @Option(names = "--classes", paramLabel = "A,B,…", split = ",",
            description = "Zero-shot classes for a CLIP model, named in words: the model becomes a classifier over "
                    + "them, logits = exp(logit_scale) · cosine(image, prompt), Hugging Face's logits_per_image "
                    + "(needs the model's text tower, vocab.json and merges.txt).")
    List<String> classes;

    @Option(names = "--classes-file", paramLabel = "FILE",
            description = "Zero-shot classes, one per line (blank lines and lines starting with # are skipped).")
    Path classesFile;

    @Option(names = "--template", paramLabel = "T",
            description = "A zero-shot prompt, {} standing for the class name; repeat it for several, averaged as "
                    + "OpenAI does (default: '" + ZeroShot.DEFAULT_TEMPLATE + "').")
    List<String> templates;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    private Path resolved;

    /** The model as given: a path or an {@code hf:} spec, else the shared CIFAR-10 model's path. */
    String location() {
        return model != null ? model : DefaultAssets.resolve(DEFAULT_MODEL, "--model").toString();
    }

    /** The model's path: the one given, the snapshot folder of an {@code hf:} spec, else the shared CIFAR-10 model. */
    Path path() throws IOException {
        if (resolved == null) {
            resolved = HubDownload.resolve(location(), Vit4jCli.environment(command), command.commandLine().getErr());
        }
        return resolved;
    }

    /**
     * The model; with {@code --classes} or {@code --classes-file} a CLIP made a zero-shot classifier over those
     * classes ({@link ZeroShot}: its text tower, tokenizer and logit_scale read from the same model).
     */
    Pretrained load() throws IOException {
        List<String> names = zeroShotClasses();
        if (!names.isEmpty() && !Files.isDirectory(path()) && VitFile.looksLikeVitFile(path())) {
            throw new IllegalArgumentException("--model " + location() + " is a .vit file, which holds only the image"
                    + " tower; zero-shot --classes need CLIP's text tower and tokenizer: pass the CLIP model's folder"
                    + " (or its hf: id) to --model");
        }
        Pretrained image = ModelLoader.load(checked(path(), mapping), Optional.ofNullable(mapping));
        if (names.isEmpty()) {
            if (templates != null) {
                throw new IllegalArgumentException("--template shapes zero-shot prompts; name the classes with"
                        + " --classes or --classes-file");
            }
            return image;
        }
        Path folder = path();
        Clip clip = ClipTextLoader.clip(folder, image.weights());
        ClipTokenizer tokenizer = ClipTokenizer.fromFolder(folderOf(folder));
        List<String> prompts = templates == null ? List.of(ZeroShot.DEFAULT_TEMPLATE) : templates;
        VitWeights weights = ZeroShot.classifier(clip, names, prompts, texts -> tokenizer.tokenize(texts));
        return new Pretrained(weights, image.preprocessing());
    }

    /** The folder of a model: the path itself when it is one, else the folder holding the file. */
    static Path folderOf(Path model) {
        return Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
    }

    /** The zero-shot classes of {@code --classes} and {@code --classes-file}, in order; empty without them. */
    List<String> zeroShotClasses() throws IOException {
        List<String> names = new ArrayList<>();
        if (classes != null) {
            classes.stream().map(String::strip).forEach(names::add);
        }
        if (classesFile != null) {
            for (String line : Files.readAllLines(classesFile)) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    names.add(name);
                }
            }
        }
        for (String name : names) {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("--classes names an empty class (two commas in a row?): " + names);
            }
        }
        if (classesFile != null && names.isEmpty()) {
            throw new IllegalArgumentException("--classes-file " + classesFile + " names no class; write one per line");
        }
        return names;
    }

    /**
     * A model location every command takes (a path or an {@code hf:} spec, downloaded with progress on the standard
     * error of {@code command}), resolved and checked with its {@code --mapping} file, if any: the model's path.
     */
    static Path resolve(String location, Path mapping, CommandSpec command) throws IOException {
        return checked(HubDownload.resolve(location, Vit4jCli.environment(command), command.commandLine().getErr()),
                mapping);
    }

    /** {@code model}, once it and {@code mapping} (if given) are known to exist. */
    private static Path checked(Path model, Path mapping) {
        if (!Files.exists(model)) {
            throw new IllegalArgumentException("no such model: " + model + "; a model is a .vit file, a Hugging Face "
                    + "or timm folder, a .safetensors, .pt, .pth or .bin file, or hf:org/name");
        }
        if (mapping != null && !Files.isRegularFile(mapping)) {
            throw new IllegalArgumentException("no such mapping file: " + mapping);
        }
        return model;
    }

    /**
     * A short name for titles: {@code org/name} for a Hub model, the file name, or {@code parent/folder} for a folder
     * such as {@code …/hf}; {@linkplain TerminalText#escape escaped}, as the names come from the file system.
     */
    String shortName() throws IOException {
        if (model != null && HubModel.isSpec(model)) {
            return HubModel.parse(model).repo();
        }
        Path p = path().toAbsolutePath().normalize();
        if (Files.isDirectory(p) && p.getParent() != null && p.getParent().getFileName() != null) {
            return TerminalText.escape(p.getParent().getFileName() + "/" + p.getFileName());
        }
        return TerminalText.escape(String.valueOf(p.getFileName()));
    }

    /**
     * The preprocessing in one line, e.g. {@code resize to 32×32 px, × 1/255, then (x − mean) / std per channel:
     * mean (0.4914, 0.4822, 0.4465), std (0.247, 0.2435, 0.2616)}; with {@code roundResized} the resize reads
     * {@code resize to 224×224 px (rounded to whole levels, as PIL)}; with a Pillow resizing it names the resize
     * and the crop, and ends with the filter, e.g. {@code resize the shortest edge to 256 px (rounded to whole
     * levels, as PIL), crop the centre 224×224 px, × 1/255, … ; Pillow's BICUBIC filter}.
     */
    static String describe(Preprocessing p) {
        String rescale = Math.abs(p.rescaleFactor() * 255 - 1) < 1e-9 ? "1/255" : Double.toString(p.rescaleFactor());
        String rounded = p.roundResized() ? " (rounded to whole levels, as PIL)" : "";
        String resize = p.resizing().map(r -> switch (r.rule()) {
            case SHORTEST_EDGE -> "resize the shortest edge to " + r.edge() + " px" + rounded;
            case SQUARE -> "resize to " + r.edge() + "×" + r.edge() + " px" + rounded;
            case NONE -> "no resize";
        } + (r.rule() == Resizing.Rule.SQUARE && r.edge() == p.size() ? ""
                : ", crop the centre " + p.size() + "×" + p.size() + " px"))
                .orElse("resize to " + p.size() + "×" + p.size() + " px" + rounded);
        return String.format(Locale.ROOT, "%s, × %s, then (x − mean) / std per channel: mean %s, std %s%s", resize,
                rescale, tuple(p.mean()), tuple(p.std()),
                p.resizing().map(r -> r.rule() == Resizing.Rule.NONE ? "" : "; Pillow's " + r.filter() + " filter")
                        .orElse(""));
    }

    private static String tuple(double[] values) {
        return Arrays.stream(values).mapToObj(Double::toString)
                .collect(Collectors.joining(", ", "(", ")"));
    }

    /**
     * The config in one line, e.g. {@code 32×32 px, patch 4 (8×8 grid, 65 tokens), 4 layers, …, 10 classes}; for
     * another architecture than the original ViT also its family and token layout ({@link ArchitectureText}), and
     * for a model without a classifier its output's width instead of classes.
     */
    static String describe(VitConfig c) {
        Architecture a = c.architecture();
        String output = a.head() == Architecture.Head.NONE ? c.classes() + "-wide embedding output (no classifier)"
                : c.classes() + " classes";
        String family = a.equals(Architecture.VIT) ? ""
                : "; " + ArchitectureText.family(a) + ", tokens " + Tokens.layout(c);
        return String.format(Locale.ROOT, "%d×%d px, patch %d (%d×%d grid, %d tokens), %d layers, hidden %d, "
                        + "%d heads, MLP %d, LayerNorm eps %s, %s%s", c.imageSize(), c.imageSize(),
                c.patchSize(), c.gridSize(), c.gridSize(), c.tokens(), c.layers(), c.hiddenSize(), c.heads(),
                c.mlpSize(), c.layerNormEps(), output, family);
    }
}
