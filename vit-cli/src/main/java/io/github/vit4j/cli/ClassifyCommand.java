package io.github.vit4j.cli;

import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.DatasetTrace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit classify}: top-k classes per image, accuracy when labels are known, logits as {@code .npy}. */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify images: prints the top-k classes with their probabilities for every image, and the "
                + "top-1 accuracy when the images carry labels (CIFAR-10 records do) and the model has their classes.",
            "With --logits, writes the logits as float32 .npy [N, classes] in input order."},
        footer = {"", "Examples:", "  vit classify --limit 16",
            "  vit classify --model cifar10.vit --images cifar10:test_batch.bin \\",
            "      --logits logits.npy",
            "  vit classify --model ../shared/models/deit-tiny-imagenet/hf \\",
            "      --images ../shared/data/images/coco_000000039769.png --top 5"})
final class ClassifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", description = "Classify only the first N images (default: all).")
    Integer limit;

    @Option(names = "--logits", paramLabel = "OUT.npy", description = "Write the logits, float32 [N, classes], here.")
    Path logits;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3",
            description = "Classes shown per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--label", paramLabel = "L", defaultValue = "true",
            description = "What a prediction is scored against: true (the images' labels, refused when the model's "
                    + "classes are not theirs) | clean-top1 (the prediction itself: nothing is scored; for a model "
                    + "whose classes are not the dataset's) (default: ${DEFAULT-VALUE}).")
    String label;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImagesOption.positive("--top", top);
        ImagesOption.positive("--batch", batch);
        boolean scoreLabels = DatasetTrace.Target.parse(label) == DatasetTrace.Target.TRUE_LABEL;
        ImageSource source = images.open();                        // before the (slow) model: fail fast on a typo
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig config = vit.config();
        ArchitectureText.refuseSoftmax(config, "vit classify", "give the model --classes (a CLIP or SigLIP becomes a "
                + "zero-shot classifier over them), or use vit embed for the embeddings");
        if (scoreLabels) {
            source.checkLabelsFit(config.classes(), "classify with --label clean-top1 to show the classes without "
                    + "scoring them");
        }
        int nameWidth = source.names().subList(0, n).stream().map(TerminalText::escape).mapToInt(String::length)
                .max().orElse(5);

        List<INDArray> all = new ArrayList<>();
        int labelled = 0;
        int correct = 0;
        long t0 = System.nanoTime();
        for (int first = 0; first < n; first += batch) {
            int count = Math.min(batch, n - first);
            ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
            Predictions predictions = vit.classify(b.input());
            if (logits != null) {
                all.add(predictions.logits());
            }
            for (int i = 0; i < count; i++) {
                List<Predictions.Prediction> best = predictions.top(i, top);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s ",
                        TerminalText.escape(b.names().get(i))));
                var truth = b.label(i);
                if (scoreLabels && truth.isPresent()) {
                    labelled++;
                    boolean hit = best.get(0).index() == truth.getAsInt();
                    correct += hit ? 1 : 0;
                    line.append(String.format(Locale.ROOT, "%s %-12s ", hit ? "✓" : "✗",
                            "[" + name(config, truth.getAsInt()) + "]"));
                }
                for (Predictions.Prediction p : best) {
                    line.append(p == best.get(0) ? " " : "  ").append(String.format(Locale.ROOT, "%s %.3f",
                            TerminalText.escape(p.label()), p.probability()));
                }
                out.println(line);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (labelled > 0) {
            out.printf(Locale.ROOT, "top-1 accuracy: %d/%d = %.2f%%%n", correct, labelled, 100.0 * correct / labelled);
        }
        if (logits != null) {
            Npy.write(logits, Nd4j.concat(0, all.toArray(INDArray[]::new)));
            out.printf(Locale.ROOT, "wrote logits [%d, %d] to %s%n", n, config.classes(), logits);
        }
        err.printf(Locale.ROOT, "%s in %.2f s (%.1f ms/image, batch %d)%n", TerminalText.count(n, "image"), seconds,
                1000 * seconds / n, batch);
        return 0;
    }

    /** The class name, escaped for the terminal (names come from files). */
    private static String name(VitConfig c, int index) {
        return index >= 0 && index < c.classes() ? TerminalText.escape(c.labels().get(index)) : "class " + index;
    }
}
