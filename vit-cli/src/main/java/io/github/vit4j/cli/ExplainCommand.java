package io.github.vit4j.cli;

import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.report.ExplainFigures;
import io.github.vit4j.report.Figure;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vit explain}: every chosen method of vit-explain on the first N images, as {@code DIR/<index>/<method>.npy}
 * (the map) and {@code .png} (the map over the image, titled, with a colour bar), and one self-contained
 * {@code DIR/report.html}.
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Explain the model's decision on the first N images with saliency, gradient × input, "
                + "SmoothGrad, integrated gradients, AttnLRP, Chefer et al.'s generic rule and LRP attribution, "
                + "direct logit attribution, Grad-CAM, attention rollout, attention maps, the logit lens, occlusion "
                + "and adversarial examples (FGSM, PGD).",
            "Writes, per image (its index in the input) and method, DIR/<index>/<method>.npy (float32; saliency, "
                    + "gradxinput, smoothgrad, ig, attnlrp [H, W]; chefer, chefer-lrp, dla, gradcam, rollout, "
                    + "occlusion [g, g]; attention [L, heads, g, g] for the CLS query; logit-lens [L, classes]; fgsm, pgd the adversarial pixels [C, H, W]) and "
                    + "DIR/<index>/<method>.png, plus DIR/<index>/image.png and DIR/report.html (one file, no network: "
                    + "open it in a browser; it carries up to 64 MB of pictures, linking the rest from DIR, and up to "
                    + "64 MB of attention maps, those of the first 8 images that fit)."},
        footer = {"", "Examples:", "  vit explain --limit 4 --out explain-out",
            "  vit explain --model ../shared/models/deit-tiny-imagenet/hf \\",
            "      --images ../shared/data/images/coco_000000039769.png --label clean-top1 --out cats"})
final class ExplainCommand implements Callable<Integer> {

    /** Images whose full attention patterns (every query token) the report carries, from the first. */
    static final int REPORT_ATTENTION_IMAGES = 8;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    /** The model's short name for titles, once it is loaded. */
    private String modelName;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "4",
            description = "Images to explain, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--methods", paramLabel = "LIST",
            description = "Comma-separated methods: saliency, gradxinput, smoothgrad, ig, attnlrp, chefer, "
                    + "chefer-lrp, dla, gradcam, rollout, attention, logit-lens, occlusion, fgsm, pgd (default: all; for a model "
                    + "without classifier all but logit-lens, fgsm and pgd, which read class probabilities; without "
                    + "CLS (SigLIP) all but chefer, chefer-lrp and dla; attnlrp for the ViT/DeiT layout alone).")
    String methods;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Images per batch; also the most noisy copies or path points per forward (default: "
                    + "${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    MapSettingsOptions mapSettings;

    @Option(names = "--eps", paramLabel = "E", defaultValue = "8",
            description = "FGSM and PGD: L∞ radius in 1/255 units (default: ${DEFAULT-VALUE}).")
    double epsilon;

    @Option(names = "--pgd-steps", paramLabel = "S", defaultValue = "10",
            description = "PGD: steps of ε/4 from a random start (default: ${DEFAULT-VALUE}).")
    int pgdSteps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of SmoothGrad's noise and PGD's start (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--attention-scale", paramLabel = "S", defaultValue = "panel",
            description = "Colours of attention.png: panel (each layer and head scaled to its own max, written above "
                    + "it) | shared (one scale for every panel, to compare them) (default: ${DEFAULT-VALUE}).")
    String attentionScale;

    /** {@link #attentionScale}, parsed. */
    private ExplainFigures.PanelScale attentionPanels;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", batch);
        ImagesOption.positive("--pgd-steps", pgdSteps);
        ExplainMethod.Settings settings = mapSettings.settings(epsilon, pgdSteps, seed, batch);
        attentionPanels = panelScale(attentionScale);
        List<ExplainMethod> chosen = ExplainMethod.parse(methods == null ? ExplainMethod.all() : methods);
        OptionalInt fixedClass = GradientsCommand.fixedClass(mapSettings.label);
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig config = vit.config();
        checkLabel(mapSettings.label, fixedClass, config, source);
        List<String> unfit = chosen.stream().filter(m -> m.refusal(config).isPresent())
                .map(m -> m.label() + " " + m.refusal(config).get()).toList();
        if (methods != null && !unfit.isEmpty()) {
            throw new IllegalArgumentException("--methods names what this model (" + config.architecture().pooling()
                    + " pooling) does not allow: " + String.join("; ", unfit) + "; leave them out (the default "
                    + "does for such a model)");
        }
        chosen = chosen.stream().filter(m -> m.refusal(config).isEmpty()).toList();
        if (config.architecture().head() == Architecture.Head.NONE) {
            List<String> refused = chosen.stream().filter(ExplainMethod::needsClassifier).map(ExplainMethod::label)
                    .toList();
            if (methods != null && !refused.isEmpty()) {
                ArchitectureText.refuseSoftmax(config, "--methods " + String.join(",", refused), "leave them out "
                        + "(the default does for such a model); the other methods explain its output's component y "
                        + "(--label K)");
            }
            chosen = chosen.stream().filter(m -> !m.needsClassifier()).toList();
        }
        modelName = model.shortName();
        ExplainReport report = new ExplainReport(modelName, config, chosen);
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        double[] seconds = new double[chosen.size()];
        try (Progress progress = Progress.start("explain", n * chosen.size(), " map", spec.commandLine().getErr())) {
            progress.update(0);
            for (int first = 0; first < n; first += batch) {
                int count = Math.min(batch, n - first);
                ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
                Predictions predictions = predictions(vit, b.input());
                int[] y = classes(mapSettings.label, fixedClass, images, b, predictions);
                List<ExplainReport.Image> entries = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    Path dir = out.resolve(Integer.toString(b.index(i)));
                    Files.createDirectories(dir);
                    INDArray pixels = b.pixels().get(NDArrayIndex.point(i)).dup('c');
                    javax.imageio.ImageIO.write(ExplainFigures.rgb(pixels), "png", dir.resolve("image.png").toFile());
                    entries.add(report.image(b.index(i), b.names().get(i), y[i], predictions.top(i, 3),
                            dir.resolve("image.png")));
                }
                for (ExplainMethod m : chosen) {
                    long start = System.nanoTime();
                    ExplainMethod.Maps maps = m.run(vit, b, y, settings);
                    INDArray result = maps.maps();
                    seconds[chosen.indexOf(m)] += (System.nanoTime() - start) / 1e9;
                    Predictions attacked = m.shape() == ExplainMethod.Shape.IMAGE
                            ? predictions(vit, b.withPixels(result).input()) : null;
                    for (int i = 0; i < count; i++) {
                        Path dir = out.resolve(Integer.toString(b.index(i)));
                        INDArray map = result.get(NDArrayIndex.point(i)).dup('c');
                        Npy.write(dir.resolve(m.label() + ".npy"), map);
                        String note = attacked == null ? maps.notes().get(i)
                                : describe(attacked.top1(i), y[i], config);
                        if (note.contains("not exact")) {
                            text.printf(Locale.ROOT, "image %d, %s: %s%n", b.index(i), m.label(), note);
                        }
                        Figure f = figure(m, map, b, i, y[i], predictions.top1(i), note, config);
                        f.writePng(dir.resolve(m.label() + ".png"));
                        entries.get(i).add(m, dir.resolve(m.label() + ".png"), note, map);
                    }
                    progress.update(first * chosen.size() + (chosen.indexOf(m) + 1) * count);
                }
                int withAttention = Math.max(0, Math.min(count, REPORT_ATTENTION_IMAGES - first));
                if (withAttention > 0) {
                    report.addPatterns(vit, b, entries.subList(0, withAttention));
                }
            }
        }
        text.println("seconds per method (computing the maps only, all images):");
        for (int k = 0; k < chosen.size(); k++) {
            text.printf(Locale.ROOT, "  %-12s %8.2f%n", chosen.get(k).label(), seconds[k]);
        }
        Path html = report.write(out, spec.commandLine().getParseResult().originalArgs());
        text.printf(Locale.ROOT, "explained %s with %s in %.1f s: %s/<index>/<method>.npy and .png, %s (%.1f MB)%n",
                TerminalText.count(n, "image"), String.join(", ", chosen.stream().map(ExplainMethod::label).toList()),
                (System.nanoTime() - t0) / 1e9, out, html, Files.size(html) / 1e6);
        if (report.leftOut() > 0) {
            text.printf(Locale.ROOT, "report.html shows the attention maps of the first images only: those of %s "
                    + "would take it past %.0f MB of maps (it says so where they are left out); explain fewer images "
                    + "at a time to see them%n", TerminalText.count(report.leftOut(), "more image"),
                    ExplainReport.ATTENTION_BYTES / 1e6);
        }
        if (report.linked() > 0) {
            text.printf(Locale.ROOT, "report.html links %s as the files beside it rather than carrying them (past "
                    + "%.0f MB of pictures): keep it in its folder%n", TerminalText.count(report.linked(), "picture"),
                    ExplainReport.PICTURE_BYTES / 1e6);
        }
        return 0;
    }

    /**
     * Refuses a {@code --label} that does not fit the model: a class K past its outputs, or {@code true} on images
     * whose labels are not its classes.
     */
    static void checkLabel(String label, OptionalInt fixedClass, VitConfig config, ImageSource source) {
        if (fixedClass.isPresent() && fixedClass.getAsInt() >= config.classes()) {
            throw new IllegalArgumentException("--label " + fixedClass.getAsInt() + " is outside the model's "
                    + config.classes() + " classes (0.." + (config.classes() - 1) + ")");
        }
        if (label.equals("true")) {
            source.checkLabelsFit(config.classes(), "use --label clean-top1 (the model's top class) or --label K");
        }
    }

    /** The class y of each image of the batch, as {@code --label} ({@code label}, {@code fixedClass}) chooses. */
    static int[] classes(String label, OptionalInt fixedClass, ImagesOption images, ImageSource.Batch b,
                         Predictions predictions) {
        if (fixedClass.isPresent()) {
            return IntStream.range(0, b.size()).map(i -> fixedClass.getAsInt()).toArray();
        }
        if (label.equals("clean-top1")) {
            return IntStream.range(0, b.size()).map(i -> predictions.top1(i).index()).toArray();
        }
        return images.labels(b, "use --label clean-top1 (the model's top class) or --label K (one class for all)");
    }

    /**
     * The model's output as predictions: {@link Vit#classify}'s, also for a model without a classifier (which
     * {@code classify} refuses), whose top components the report lists.
     */
    private static Predictions predictions(Vit vit, Input input) {
        return Predictions.of(vit.logits(input), vit.config().labels());
    }

    private static String describe(Predictions.Prediction p, int y, VitConfig c) {
        return String.format(Locale.ROOT, "attacked image predicted %s (%.3f)%s", p.label(), p.probability(),
                p.index() == y ? ", still y" : ", was " + c.labels().get(y));
    }

    /** The figure of one image's result. */
    private Figure figure(ExplainMethod m, INDArray map, ImageSource.Batch b, int i, int y,
                          Predictions.Prediction top, String note, VitConfig c) {
        INDArray pixels = b.pixels().get(NDArrayIndex.point(i)).dup('c');
        String title = m.label() + " · " + modelName + " · image " + b.index(i) + " (" + b.names().get(i) + ")";
        String classes = String.format(Locale.ROOT, "y = %s · predicted %s (%.3f)", c.labels().get(y), top.label(),
                top.probability());
        List<String> subtitles = note.isEmpty() || m.shape() == ExplainMethod.Shape.IMAGE ? List.of(m.what(), classes)
                : List.of(m.what(), classes, note);
        int g = c.gridSize();
        return switch (m.shape()) {
            case PIXELS, GRID -> ExplainFigures.overlay(pixels, map.reshape(1, map.size(0), map.size(1)), 1, List.of(),
                    title, subtitles, m.label(), ExplainFigures.PanelScale.SHARED);
            case HEADS -> ExplainFigures.overlay(pixels, map.reshape((long) c.layers() * c.heads(), g, g), c.heads(),
                    IntStream.range(0, c.layers() * c.heads()).mapToObj(k -> "layer " + k / c.heads() + " · head "
                            + k % c.heads()).toList(), title, subtitles, "attention weight", attentionPanels);
            case LAYER_CLASS -> {
                int[] shown = lensClasses(map, y, c);
                yield ExplainFigures.logitLens(columns(map, shown),
                        IntStream.of(shown).mapToObj(k -> c.labels().get(k)).toList(), title, subtitles);
            }
            case IMAGE -> ExplainFigures.picture(map, title, List.of(m.what() + String.format(Locale.ROOT,
                    ", ε = %s/255", ExplainFigures.number(epsilon)), classes, note));
        };
    }

    /** The value of {@code --attention-scale}: {@code panel} or {@code shared}. */
    static ExplainFigures.PanelScale panelScale(String value) {
        return switch (value) {
            case "panel" -> ExplainFigures.PanelScale.PER_PANEL;
            case "shared" -> ExplainFigures.PanelScale.SHARED;
            default -> throw new IllegalArgumentException("unknown --attention-scale '" + value
                    + "'; expected panel (each panel its own colour scale) or shared (one for all)");
        };
    }

    /**
     * The classes a logit lens shows: all of them up to 10, else the 10 most probable at the last layer and y.
     */
    static int[] lensClasses(INDArray lens, int y, VitConfig c) {
        if (c.classes() <= 10) {
            return IntStream.range(0, c.classes()).toArray();
        }
        int last = c.layers() - 1;
        return IntStream.concat(IntStream.range(0, c.classes()).boxed()
                        .sorted(Comparator.comparingDouble((Integer k) -> -lens.getDouble(last, k))).limit(10)
                        .mapToInt(Integer::intValue), IntStream.of(y)).distinct().toArray();
    }

    /** The columns {@code shown} of a logit lens {@code [L, C]}: {@code [L][shown.length]}. */
    static double[][] columns(INDArray lens, int[] shown) {
        double[][] p = new double[(int) lens.size(0)][shown.length];
        for (int l = 0; l < p.length; l++) {
            for (int k = 0; k < shown.length; k++) {
                p[l][k] = lens.getDouble(l, shown[k]);
            }
        }
        return p;
    }
}
