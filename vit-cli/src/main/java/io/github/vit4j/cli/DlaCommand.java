package io.github.vit4j.cli;

import io.github.vit4j.attribution.DirectLogitAttribution;
import io.github.vit4j.attribution.LogitAttribution;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.report.ExplainFigures;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vit dla}: direct logit attribution ({@link DirectLogitAttribution}) of the first N images, as CSVs (per
 * class, per head, per layer) and per-patch maps ({@code .npy} and {@code .png} over the image, as {@code vit explain}
 * writes its maps).
 */
@Command(name = "dla", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Direct logit attribution: split each image's logit into what every attention head, every MLP,"
                + " each layer's attention bias and the input add to it through the final LayerNorm (its scale taken"
                + " from the run, as TransformerLens does) and the head; the parts and the bias sum to the logit.",
            "Writes DIR/classes.csv (image,class,label,logit,input,attention,mlp,bias: class y and the top 5),"
                    + " DIR/heads.csv (image,class,layer,head,share: class y), DIR/layers.csv (image,class,part,share:"
                    + " class y; parts input, blocks.L.attn_out, blocks.L.mlp_out, bias), and per image DIR/<index>/"
                    + "dla-sources.npy [gh, gw] (what the heads moved to the logit from each patch), dla-heads.npy"
                    + " [L, H, gh, gw] (the same per head) and dla-lens.npy [gh, gw] (the logit were every token that"
                    + " patch's), each with a .png over the image. SigLIP's attention pooling is refused."},
        footer = {"", "Examples:", "  vit dla --limit 4 --out dla-out",
            "  vit dla --model ../shared/models/deit-tiny-imagenet/hf \\",
            "      --images ../shared/data/images/coco_000000039769.png --label clean-top1 --out cats-dla"})
final class DlaCommand implements Callable<Integer> {

    /** The predicted classes attributed besides y. */
    static final int TOP = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "4",
            description = "Images to attribute, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--label", paramLabel = "L", defaultValue = "true",
            description = "The class y: true (the images' labels) | clean-top1 (the model's top class) | K (class K"
                    + " for every image; an embedding's component K on a model without classifier) (default:"
                    + " ${DEFAULT-VALUE}).")
    String label;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8",
            description = "Images per forward (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", batch);
        OptionalInt fixedClass = GradientsCommand.fixedClass(label);
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig c = vit.config();
        ExplainCommand.checkLabel(label, fixedClass, c, source);
        DirectLogitAttribution dla = DirectLogitAttribution.of(pretrained.weights());
        String name = model.shortName();
        Files.createDirectories(out);
        StringBuilder classes = new StringBuilder("image,class,label,logit,input,attention,mlp,bias\n");
        StringBuilder heads = new StringBuilder("image,class,layer,head,share\n");
        StringBuilder layers = new StringBuilder("image,class,part,share\n");
        long t0 = System.nanoTime();
        for (int first = 0; first < n; first += batch) {
            ImageSource.Batch b = source.read(first, Math.min(batch, n - first), pretrained.preprocessing());
            Predictions predictions = Predictions.of(vit.logits(b.input()), c.labels());
            int[] y = ExplainCommand.classes(label, fixedClass, images, b, predictions);
            int[][] attributed = new int[b.size()][];                     // per image: y, then its top classes
            for (int i = 0; i < b.size(); i++) {
                attributed[i] = IntStream.concat(IntStream.of(y[i]), predictions.top(i, Math.min(TOP, c.classes()))
                        .stream().mapToInt(Predictions.Prediction::index)).distinct().toArray();
            }
            int[] union = Arrays.stream(attributed).flatMapToInt(Arrays::stream).distinct().toArray();
            LogitAttribution a = dla.attribute(vit, b.input(), union);                 // the batch in one run
            for (int i = 0; i < b.size(); i++) {
                int[] at = Arrays.stream(attributed[i]).map(k -> indexOf(union, k)).toArray();
                rows(classes, heads, layers, b.index(i), a, i, at, c);
                maps(a, b, i, at[0], name, c);
            }
        }
        AtomicFile.writeString(out.resolve("classes.csv"), classes.toString());
        AtomicFile.writeString(out.resolve("heads.csv"), heads.toString());
        AtomicFile.writeString(out.resolve("layers.csv"), layers.toString());
        text.printf(Locale.ROOT, "attributed %s in %.1f s: %s/classes.csv, heads.csv, layers.csv and"
                + " <index>/dla-*.npy and .png%n", TerminalText.count(n, "image"), (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }

    private static int indexOf(int[] values, int value) {
        return IntStream.range(0, values.length).filter(j -> values[j] == value).findFirst().orElseThrow();
    }

    /**
     * The CSV rows of image i of the batch (its index in the input {@code index}): the totals of its classes
     * ({@code at}: their positions on the attribution's class axis, y first); heads and layers for y.
     */
    private static void rows(StringBuilder classes, StringBuilder heads, StringBuilder layers, int index,
                             LogitAttribution a, int i, int[] at, VitConfig c) {
        INDArray perLayer = a.perLayer();                                                        // [B, C', 1 + 2L]
        int[] attributed = a.classes();
        for (int ci : at) {
            double attention = 0;
            double mlp = 0;
            for (int l = 0; l < c.layers(); l++) {
                attention += perLayer.getDouble(i, ci, 1 + 2 * l);
                mlp += perLayer.getDouble(i, ci, 2 + 2 * l);
            }
            classes.append(String.format(Locale.ROOT, "%d,%d,%s,%.6g,%.6g,%.6g,%.6g,%.6g%n", index, attributed[ci],
                    EmbedMapCommand.csvField(c.labels().get(attributed[ci])), a.logits().getDouble(i, ci),
                    perLayer.getDouble(i, ci, 0), attention, mlp, a.bias().getDouble(i, ci)));
        }
        int y = at[0];
        INDArray perHead = a.perHead();                                                          // [B, C', L, H]
        for (int l = 0; l < c.layers(); l++) {
            for (int h = 0; h < c.heads(); h++) {
                heads.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%.6g%n", index, attributed[y], l, h,
                        perHead.getDouble(i, y, l, h)));
            }
        }
        List<String> names = a.layerNames();
        for (int p = 0; p < names.size(); p++) {
            layers.append(String.format(Locale.ROOT, "%d,%d,%s,%.6g%n", index, attributed[y], names.get(p),
                    perLayer.getDouble(i, y, p)));
        }
        layers.append(String.format(Locale.ROOT, "%d,%d,bias,%.6g%n", index, attributed[y], a.bias().getDouble(i, y)));
    }

    /**
     * The per-patch maps of image i of the batch for class y ({@code y}: its position on the class axis): sources, per
     * head, lens; each as .npy and as a figure over the image.
     */
    private void maps(LogitAttribution a, ImageSource.Batch b, int i, int y, String name, VitConfig c)
            throws IOException {
        int index = b.index(i);
        Path dir = Files.createDirectories(out.resolve(Integer.toString(index)));
        INDArray pixels = b.pixels().get(NDArrayIndex.point(i)).dup('c');
        int gh = c.gridHeight();
        int gw = c.gridWidth();
        INDArray sources = a.sourceMap().get(NDArrayIndex.point(i), NDArrayIndex.point(y)).castTo(DataType.FLOAT);
        INDArray perHead = a.onPatchGrid(a.sources()).get(NDArrayIndex.point(i), NDArrayIndex.point(y))
                .castTo(DataType.FLOAT);                                                         // [L, H, gh, gw]
        INDArray lens = a.lensMap().get(NDArrayIndex.point(i), NDArrayIndex.point(y)).castTo(DataType.FLOAT);
        String title = "%s · " + name + " · image " + index + " (" + b.names().get(i) + ")";
        String classText = "y = " + c.labels().get(a.classes()[y]) + String.format(Locale.ROOT, " · logit %.4g",
                a.logits().getDouble(i, y));
        Npy.write(dir.resolve("dla-sources.npy"), sources);
        ExplainFigures.overlay(pixels, sources.reshape(1, gh, gw), 1, List.of(), String.format(title, "dla sources"),
                List.of("what the heads' direct path moved to the logit from each patch", classText),
                "share of the logit", ExplainFigures.PanelScale.SHARED).writePng(dir.resolve("dla-sources.png"));
        Npy.write(dir.resolve("dla-heads.npy"), perHead);
        ExplainFigures.overlay(pixels, perHead.reshape((long) c.layers() * c.heads(), gh, gw), c.heads(),
                IntStream.range(0, c.layers() * c.heads()).mapToObj(k -> "layer " + k / c.heads() + " · head "
                        + k % c.heads()).toList(), String.format(title, "dla heads"),
                List.of("each head's direct share of the logit by the patch it reads", classText), "share of the logit",
                ExplainFigures.PanelScale.SHARED).writePng(dir.resolve("dla-heads.png"));
        Npy.write(dir.resolve("dla-lens.npy"), lens);
        ExplainFigures.overlay(pixels, lens.reshape(1, gh, gw), 1, List.of(), String.format(title, "dla lens"),
                List.of("the logit if every final token were that patch's (the run's LayerNorm scale)", classText),
                "logit", ExplainFigures.PanelScale.SHARED).writePng(dir.resolve("dla-lens.png"));
    }
}
