package io.github.vit4j.cli;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vit gradients}: the gradient of an objective of the logits, summed over the first N images, with respect
 * to every site and to the input, as one {@code .npy} file each.
 */
@Command(name = "gradients", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the gradient of an objective (the logit or probability of a class, …) summed over the "
                + "first N images with respect to every site of the forward pass and to the input, one float32 .npy "
                + "per site, to DIR.",
            "Every file has the site's shape with batch 1: the images' gradients summed (a sum's gradient is the sum "
                    + "of the gradients; memory stays that of one batch however many images run):",
            "  <site>.npy (names as in vit activations: embed, blocks.L.mlp_pre, ln_final, logits, …); input.npy "
                    + "[1, C, H, W] (w.r.t. the normalised input); pixels.npy [1, C, H, W] (w.r.t. pixels in [0, 1]: "
                    + "input.npy / std per channel);",
            "  plus images.txt: one line per image, tab-separated: index, image name, class y, objective value; "
                    + "the name escaped as vit activations writes it."},
        footer = {"", "Examples:", "  vit gradients --limit 8 --objective prob --out grads",
            "  vit gradients --images photo.png --model deit.vit --label clean-top1 \\",
            "      --out saliency",
            "  python -c \"import numpy as np; print(np.load('grads/pixels.npy').shape)\""})
final class GradientsCommand implements Callable<Integer> {

    /** The objective of one image, a function of its logits. */
    enum ObjectiveChoice {
        LOGIT("logit"), PROB("prob"), LOGPROB("logprob"), LOGIT_DIFF("logit-diff");

        private final String name;

        ObjectiveChoice(String name) {
            this.name = name;
        }

        static ObjectiveChoice parse(String name) {
            for (ObjectiveChoice c : values()) {
                if (c.name.equals(name.trim().toLowerCase(Locale.ROOT))) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown --objective '" + name + "'; expected logit, prob, logprob or "
                    + "logit-diff");
        }

        Objective of(int[] classes) {
            return switch (this) {
                case LOGIT -> Objective.logit(classes);
                case PROB -> Objective.probability(classes);
                case LOGPROB -> Objective.logProbability(classes);
                case LOGIT_DIFF -> Objective.logitDiff(classes);
            };
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Mixin
    DumpOptions dump;

    @Option(names = "--objective", paramLabel = "F", defaultValue = "logit",
            description = "Each image's objective, of its class y: logit (logit y) | prob (softmax probability of "
                    + "y) | logprob (its log) | logit-diff (logit y − the largest other logit) "
                    + "(default: ${DEFAULT-VALUE}).")
    String objective;

    @Option(names = "--label", paramLabel = "L", defaultValue = "true",
            description = "The class y: true (the images' labels) | clean-top1 (the run's top class; for unlabelled "
                    + "images) | K (class K for every image) (default: ${DEFAULT-VALUE}).")
    String label;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", dump.batch);
        ObjectiveChoice choice = ObjectiveChoice.parse(objective);
        OptionalInt fixedClass = fixedClass(label);
        ImageSource source = images.open();                        // before the (slow) model: fail fast on a typo
        int n = ImagesOption.count(source, dump.limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        int classes = vit.config().classes();
        if (choice == ObjectiveChoice.PROB || choice == ObjectiveChoice.LOGPROB) {
            ArchitectureText.refuseSoftmax(vit.config(), "--objective " + choice.name,
                    "use --objective logit (component y of the embedding, --label K)");
        }
        if (fixedClass.isPresent() && fixedClass.getAsInt() >= classes) {
            throw new IllegalArgumentException("--label " + fixedClass.getAsInt() + " is outside the model's "
                    + classes + " classes (0.." + (classes - 1) + ")");
        }
        if (label.equals("true")) {
            source.checkLabelsFit(classes, "use --label clean-top1 (the run's top class) or --label K (one class "
                    + "for all)");
        }
        Keep forwardKeep = Vit.keepForBackward().and(Keep.sites(Site.logits()));
        Map<String, INDArray> sums = new LinkedHashMap<>();       // file name → Σ over images, in double
        StringBuilder rows = new StringBuilder();
        double total = 0;
        long t0 = System.nanoTime();
        for (int first = 0; first < n; first += dump.batch) {
            int count = Math.min(dump.batch, n - first);
            ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
            try (Activations forward = vit.run(b.input(), forwardKeep)) {
                int[] y = fixedClass.isPresent() ? new int[] {fixedClass.getAsInt()}
                        : label.equals("clean-top1") ? forward.logits().argMax(1).toIntVector()
                        : images.labels(b, "use --label clean-top1 (the run's top class) or --label K (one class for "
                                + "all)");
                try (Gradients g = vit.backward(forward, choice.of(y), Keep.all())) {
                    g.arrays().forEach((site, a) -> addRows(sums, site.toString(), a));
                    addRows(sums, "input", g.input());
                    double[] values = g.values();
                    for (int i = 0; i < count; i++) {
                        rows.append(String.format(Locale.ROOT, "%d\t%s\t%d\t%.6g%n", b.index(i),
                                TerminalText.escape(b.names().get(i)),
                                y.length == 1 ? y[0] : y[i], values[i]));
                    }
                    total += g.value();
                }
            }
        }
        sums.put("pixels", pretrained.preprocessing().pixelGradient(sums.get("input").castTo(DataType.FLOAT)));
        Files.createDirectories(dump.out);
        long bytes = 0;
        for (Map.Entry<String, INDArray> e : sums.entrySet()) {
            Path file = dump.out.resolve(e.getKey() + ".npy");
            Npy.write(file, e.getValue());
            bytes += Files.size(file);
        }
        AtomicFile.writeString(dump.out.resolve("images.txt"), rows.toString());
        text.printf(Locale.ROOT, "objective: %s of class y (%s), summed over %s = %.6g%n", choice.name,
                fixedClass.isPresent() ? "class " + fixedClass.getAsInt() : label, TerminalText.count(n, "image"), total);
        if (n <= 16) {
            text.println("  index\tname\ty\tvalue");
            rows.toString().lines().forEach(r -> text.println("  " + r));
        }
        text.printf(Locale.ROOT, "wrote %s (every site, input, pixels) to %s (%.1f MB) in %.1f s%n",
                TerminalText.count(sums.size(), "gradient"), dump.out, bytes / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** {@code --label} as one class for every image, or empty for {@code true} and {@code clean-top1}. */
    static OptionalInt fixedClass(String label) {
        if (label.equals("true") || label.equals("clean-top1")) {
            return OptionalInt.empty();
        }
        try {
            int k = Integer.parseInt(label.trim());
            if (k < 0) {
                throw new IllegalArgumentException("--label must be a class >= 0, got " + k);
            }
            return OptionalInt.of(k);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown --label '" + label + "'; expected true, clean-top1 or a "
                    + "class number such as 3");
        }
    }

    /** Adds the rows of {@code a} {@code [B, …]} to the running sum {@code [1, …]} of {@code name}. */
    private static void addRows(Map<String, INDArray> sums, String name, INDArray a) {
        INDArray rowSum = a.castTo(DataType.DOUBLE).sum(true, 0);
        INDArray sum = sums.get(name);
        if (sum == null) {
            sums.put(name, rowSum);
        } else {
            sum.addi(rowSum);
        }
    }
}
