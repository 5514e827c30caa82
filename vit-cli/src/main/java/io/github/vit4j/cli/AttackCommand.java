package io.github.vit4j.cli;

import io.github.vit4j.explain.Attack;
import io.github.vit4j.explain.RobustnessCurve;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.report.ExplainFigures;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit attack}: the robustness curve, accuracy under an L∞ attack against ε, as CSV and a plot. */
@Command(name = "attack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Attack the first N images (untargeted, against their labels) at each ε and write the "
                + "robustness curve: DIR/robustness.csv (epsilon,correct,images,accuracy; ε = 0 is the clean "
                + "accuracy) and DIR/robustness.png / .svg."},
        footer = {"", "Examples:", "  vit attack --limit 100 --eps 1,2,4,8 --out attack-out",
            "  vit attack --attack fgsm --eps 0.5,1,2,4,8,16 --out fgsm-out"})
final class AttackCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Images attacked, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--eps", paramLabel = "E", split = ",", defaultValue = "1,2,4,8",
            description = "The radii ε, in 1/255 units (default: ${DEFAULT-VALUE}); ε = 0 is always added.")
    double[] epsilons;

    @Option(names = "--attack", paramLabel = "A", defaultValue = "pgd",
            description = "pgd (steps of ε/4 from a random start) | fgsm (default: ${DEFAULT-VALUE}).")
    String attack;

    @Option(names = "--pgd-steps", paramLabel = "S", defaultValue = "10",
            description = "PGD's steps (default: ${DEFAULT-VALUE}).")
    int pgdSteps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "PGD's seed (default: 0).")
    long seed;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (created if missing).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", batch);
        ImagesOption.positive("--pgd-steps", pgdSteps);
        double[] eps = epsilons();
        Attack base = switch (attack) {
            case "pgd" -> Attack.pgd(8, 2, pgdSteps, seed).withBatch(batch);
            case "fgsm" -> Attack.fgsm(8).withBatch(batch);
            default -> throw new IllegalArgumentException("unknown --attack '" + attack + "'; expected pgd or fgsm");
        };
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        source.checkLabelsFit(vit.config().classes(), "vit attack measures accuracy against the images' own labels; "
                + "give images labelled with the model's classes (cifar10:FILE.bin for a CIFAR-10 model)");
        int[] correct = new int[eps.length];
        long t0 = System.nanoTime();
        try (Progress progress = Progress.start("attack", n, spec.commandLine().getErr())) {
            progress.update(0);
            for (int first = 0; first < n; first += batch) {
                ImageSource.Batch b = source.read(first, Math.min(batch, n - first), pretrained.preprocessing());
                List<RobustnessCurve.Point> curve = RobustnessCurve.of(vit, b,
                        images.labels(b, "vit attack measures accuracy against the images' labels"), base, eps);
                for (int k = 0; k < eps.length; k++) {
                    correct[k] += (int) Math.round(curve.get(k).accuracy() * b.size());
                }
                progress.update(first + b.size());
            }
        }
        StringBuilder csv = new StringBuilder("epsilon,correct,images,accuracy\n");
        double[] accuracy = new double[eps.length];
        for (int k = 0; k < eps.length; k++) {
            accuracy[k] = correct[k] / (double) n;
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.6f%n", ExplainFigures.number(eps[k]), correct[k], n,
                    accuracy[k]));
        }
        Files.createDirectories(out);
        AtomicFile.writeString(out.resolve("robustness.csv"), csv.toString());
        String how = attack.equals("pgd") ? "PGD, " + pgdSteps + " steps of ε/4 from a random start (seed " + seed + ")"
                : "FGSM, one step of ε";
        ExplainFigures.robustness(eps, accuracy, "Robustness of " + model.shortName() + " under L∞ attack",
                List.of(how + ", untargeted against the label · n = " + TerminalText.count(n, "image")
                        + " from " + source)).write(out, "robustness");
        text.print(csv.toString().replace(",", "\t"));
        text.printf(Locale.ROOT, "wrote robustness.csv and robustness.png/.svg to %s in %.1f s%n", out,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** The radii with 0 first, sorted, each once; refuses negative or non-finite values. */
    private double[] epsilons() {
        for (double e : epsilons) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw new IllegalArgumentException("--eps takes radii ≥ 0 in 1/255 units such as 1,2,4,8, got " + e);
            }
        }
        return java.util.stream.DoubleStream.concat(java.util.stream.DoubleStream.of(0), Arrays.stream(epsilons))
                .distinct().sorted().toArray();
    }
}
