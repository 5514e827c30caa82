package io.github.vit4j.cli;

import io.github.vit4j.explain.Faithfulness;
import io.github.vit4j.explain.Road;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vit faithfulness}: how well each {@code vit explain} map ranks what the model uses, by vit-explain's
 * deletion and insertion curves ({@link Faithfulness}) and ROAD ({@link Road}, MoRF and LeRF), per image and method,
 * as {@code DIR/faithfulness.csv} (the AUCs) and {@code DIR/curves.csv} (every point).
 */
@Command(name = "faithfulness", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Rank the maps of vit explain by how faithfully they follow the model: remove (deletion) or "
                + "restore into an all-removed image (insertion) the most relevant patches first, S steps, and follow "
                + "the explained class's probability; ROAD imputes the removed patches from their neighbours instead "
                + "of filling them with the dataset mean, most (road-morf) or least (road-lerf) relevant first.",
            "Writes DIR/faithfulness.csv (image,method,metric,auc; image is the index in the input, AUC by the "
                    + "trapezoid rule over the fraction removed) and DIR/curves.csv (image,method,metric,fraction,p: "
                    + "S + 1 rows per curve). A good map has a small deletion and road-morf AUC and a large insertion "
                    + "and road-lerf AUC. The map ranked is the one vit explain writes for the same method, image and "
                    + "--label, with the same --ig-steps, --smoothgrad-samples and --seed."},
        footer = {"", "Examples:", "  vit faithfulness --limit 16 --methods saliency,rollout,chefer --out faith-out",
            "  vit faithfulness --metrics road --steps 16 --label clean-top1 --out road-out"})
final class FaithfulnessCommand implements Callable<Integer> {

    /** The metrics {@code road} stands for. */
    static final List<String> ROAD = List.of("road-morf", "road-lerf");

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "4",
            description = "Images to measure, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--methods", paramLabel = "LIST",
            description = "Comma-separated methods of vit explain whose map is one image's [H, W] or [g, g]: "
                    + "saliency, gradxinput, smoothgrad, ig, attnlrp, chefer, chefer-lrp, dla, gradcam, rollout, "
                    + "occlusion (default: those the model allows).")
    String methods;

    @Option(names = "--metrics", paramLabel = "LIST", defaultValue = "deletion,insertion,road",
            description = "Comma-separated metrics: deletion, insertion, road-morf, road-lerf; road is both ROAD "
                    + "orders (default: ${DEFAULT-VALUE}).")
    String metrics;

    @Option(names = "--steps", paramLabel = "S", defaultValue = "16",
            description = "Steps per curve: S + 1 points, step i removing floor(i · N / S) of the N patches "
                    + "(default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Images per batch; also the most images per forward (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    MapSettingsOptions mapSettings;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0",
            description = "Seed of SmoothGrad's noise and of ROAD's imputation noise, image i drawing from SEED + i "
                    + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", batch);
        ImagesOption.positive("--steps", steps);
        List<String> measured = parseMetrics(metrics);
        OptionalInt fixedClass = GradientsCommand.fixedClass(mapSettings.label);
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig config = vit.config();
        ArchitectureText.refuseSoftmax(config, "vit faithfulness", "its metrics follow the explained class's "
                + "probability; pick a model with a classifier");
        ExplainCommand.checkLabel(mapSettings.label, fixedClass, config, source);
        List<ExplainMethod> chosen = chooseMethods(methods, config);
        ExplainMethod.Settings settings = mapSettings.settings(0, 1, seed, batch);  // no attack: ε, steps unused
        Faithfulness faithfulness = new Faithfulness(steps, batch);
        Files.createDirectories(out);
        StringBuilder aucs = new StringBuilder("image,method,metric,auc\n");
        StringBuilder curves = new StringBuilder("image,method,metric,fraction,p\n");
        double[][] sums = new double[chosen.size()][measured.size()];
        long t0 = System.nanoTime();
        try (Progress progress = Progress.start("faithfulness", n * chosen.size(), " map",
                spec.commandLine().getErr())) {
            progress.update(0);
            for (int first = 0; first < n; first += batch) {
                int count = Math.min(batch, n - first);
                ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
                Predictions predictions = Predictions.of(vit.logits(b.input()), config.labels());
                int[] y = ExplainCommand.classes(mapSettings.label, fixedClass, images, b, predictions);
                Faithfulness.Curve[][][] at = new Faithfulness.Curve[count][chosen.size()][measured.size()];
                for (int m = 0; m < chosen.size(); m++) {
                    INDArray maps = chosen.get(m).run(vit, b, y, settings).maps();
                    for (int k = 0; k < measured.size(); k++) {
                        List<Faithfulness.Curve> c = curves(measured.get(k), faithfulness, vit, b, maps, y);
                        for (int i = 0; i < count; i++) {
                            at[i][m][k] = c.get(i);
                            sums[m][k] += c.get(i).auc();
                        }
                    }
                    progress.update(first * chosen.size() + (m + 1) * count);
                }
                for (int i = 0; i < count; i++) {
                    for (int m = 0; m < chosen.size(); m++) {
                        for (int k = 0; k < measured.size(); k++) {
                            rows(aucs, curves, b.index(i) + "," + chosen.get(m).label() + "," + measured.get(k),
                                    at[i][m][k]);
                        }
                    }
                }
            }
        }
        AtomicFile.writeString(out.resolve("curves.csv"), curves.toString());
        AtomicFile.writeString(out.resolve("faithfulness.csv"), aucs.toString());
        text.printf(Locale.ROOT, "mean AUC over %s (deletion, road-morf: lower is better; insertion, road-lerf: "
                + "higher):%n  %-12s", TerminalText.count(n, "image"), "method");
        measured.forEach(k -> text.printf(Locale.ROOT, " %10s", k));
        text.println();
        for (int m = 0; m < chosen.size(); m++) {
            text.printf(Locale.ROOT, "  %-12s", chosen.get(m).label());
            for (int k = 0; k < measured.size(); k++) {
                text.printf(Locale.ROOT, " %10.4f", sums[m][k] / n);
            }
            text.println();
        }
        text.printf(Locale.ROOT, "measured %s with %s in %.1f s: %s/faithfulness.csv and curves.csv%n",
                TerminalText.count(n, "image"), String.join(", ", chosen.stream().map(ExplainMethod::label).toList()),
                (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }

    /** The metrics named in {@code --metrics}, {@code road} as its two orders, each once, in the list's order. */
    static List<String> parseMetrics(String list) {
        List<String> parsed = new ArrayList<>();
        for (String name : list.split(",")) {
            String k = name.trim().toLowerCase(Locale.ROOT);
            List<String> these = switch (k) {
                case "deletion", "insertion", "road-morf", "road-lerf" -> List.of(k);
                case "road" -> ROAD;
                default -> throw new IllegalArgumentException("unknown metric '" + name.trim() + "' in --metrics "
                        + list + "; expected a comma-separated list of deletion, insertion, road-morf, road-lerf "
                        + "(road: both ROAD orders)");
            };
            these.stream().filter(m -> !parsed.contains(m)).forEach(parsed::add);
        }
        return List.copyOf(parsed);
    }

    /**
     * The methods of {@code --methods} (all that fit when null): those whose map is one image's {@code [H, W]} or
     * {@code [g, g]}, refusing by name one that is not or that the model does not allow.
     */
    static List<ExplainMethod> chooseMethods(String list, VitConfig config) {
        List<ExplainMethod> all = ExplainMethod.parse(list == null ? ExplainMethod.all() : list);
        List<ExplainMethod> maps = all.stream().filter(FaithfulnessCommand::ranksPatches).toList();
        if (list == null) {
            return maps.stream().filter(m -> m.refusal(config).isEmpty()).toList();
        }
        List<String> unfit = all.stream().filter(m -> !ranksPatches(m)).map(ExplainMethod::label).toList();
        if (!unfit.isEmpty()) {
            throw new IllegalArgumentException("--methods names " + String.join(", ", unfit) + ", whose result is "
                    + "not one map per image ([H, W] or [g, g]) to rank patches by; leave them out");
        }
        List<String> refused = maps.stream().filter(m -> m.refusal(config).isPresent())
                .map(m -> m.label() + " " + m.refusal(config).get()).toList();
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("--methods names what this model (" + config.architecture().pooling()
                    + " pooling) does not allow: " + String.join("; ", refused) + "; leave them out");
        }
        return maps;
    }

    private static boolean ranksPatches(ExplainMethod m) {
        return m.shape() == ExplainMethod.Shape.PIXELS || m.shape() == ExplainMethod.Shape.GRID;
    }

    /** The curves of one metric for every image of the batch; ROAD's noise for image i from {@code seed + i}. */
    private List<Faithfulness.Curve> curves(String metric, Faithfulness f, Vit vit, ImageSource.Batch b,
                                            INDArray maps, int[] y) {
        return switch (metric) {
            case "deletion" -> f.deletion(vit, b, maps, y);
            case "insertion" -> f.insertion(vit, b, maps, y);
            default -> {
                Road.Order order = metric.equals("road-morf") ? Road.Order.MORF : Road.Order.LERF;
                List<Faithfulness.Curve> c = new ArrayList<>();
                for (int i = 0; i < b.size(); i++) {
                    Road road = new Road(steps, Road.Granularity.PATCH, Road.DEFAULT_NOISE, seed + b.index(i), batch);
                    INDArray pixels = b.pixels().get(NDArrayIndex.interval(i, i + 1)).dup('c');
                    INDArray map = maps.get(NDArrayIndex.interval(i, i + 1)).dup('c');
                    c.add(road.of(order, vit, ImageSource.Batch.of(pixels, b.preprocessing()), map, y[i]).get(0));
                }
                yield c;
            }
        };
    }

    /** One curve's row in faithfulness.csv and its S + 1 rows in curves.csv, each starting with {@code key}. */
    private static void rows(StringBuilder aucs, StringBuilder curves, String key, Faithfulness.Curve c) {
        aucs.append(key).append(',').append(number(c.auc())).append('\n');
        double[] p = c.p();
        for (int s = 0; s < p.length; s++) {
            curves.append(key).append(',').append(number(c.fraction(s))).append(',').append(number(p[s])).append('\n');
        }
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }
}
