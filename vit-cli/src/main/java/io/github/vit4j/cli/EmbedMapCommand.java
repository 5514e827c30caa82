package io.github.vit4j.cli;

import io.github.vit4j.explain.ClsStates;
import io.github.vit4j.explain.Pca;
import io.github.vit4j.explain.Tsne;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit embed-map}: PCA and t-SNE maps of the CLS token's residual stream, one per layer, coloured by class. */
@Command(name = "embed-map", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Map the CLS token's residual stream after a block (resid_post[:, 0]; for a model without CLS "
                + "token, SigLIP, the mean of its patch rows) over the first N images to the plane, by PCA and by t-SNE (exact, seeded; run on the top 50 principal components), "
                + "coloured by label.",
            "Per layer L: pca-layerL.png, tsne-layerL.png and embed-layerL.csv (index, name, label, pc1, pc2, tsne1, "
                    + "tsne2)."},
        footer = {"", "Examples:", "  vit embed-map --limit 1000 --layer 3 --out embed",
            "  vit embed-map --limit 500 --layer 0,2,3 --perplexity 20 --out embed-layers"})
final class EmbedMapCommand implements Callable<Integer> {

    /** t-SNE runs on this many principal components at most (the usual reduction first). */
    private static final int TSNE_INPUT_DIMS = 50;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
            description = "The first N images (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--layer", paramLabel = "L", split = ",",
            description = "The blocks whose resid_post to map, e.g. 3 or 0,2,3 (default: every block).")
    List<Integer> layers;

    @Option(names = "--perplexity", paramLabel = "P", defaultValue = "30",
            description = "t-SNE's perplexity (default: ${DEFAULT-VALUE}).")
    double perplexity;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "1000",
            description = "t-SNE's iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "t-SNE's seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32",
            description = "Images per forward (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "The folder to write to.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImagesOption.positive("--batch", batch);
        ImageSource source = images.open();
        int n = ImagesOption.count(source, limit);
        Tsne tsne = new Tsne(perplexity, iterations, 200, seed);
        if (perplexity >= (n - 1) / 3.0) {
            throw new IllegalArgumentException("--perplexity " + perplexity + " needs more than 3 · perplexity + 1 "
                    + "images, got " + n + "; lower --perplexity or raise --limit");
        }
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        List<Integer> chosen = new ArrayList<>();
        for (int l = 0; l < vit.config().layers(); l++) {
            if (layers == null || layers.contains(l)) {
                chosen.add(l);
            }
        }
        for (int l : layers == null ? List.<Integer>of() : layers) {
            if (l < 0 || l >= vit.config().layers()) {
                throw new IllegalArgumentException("--layer " + l + " is outside the model's " + vit.config().layers()
                        + " blocks (0.." + (vit.config().layers() - 1) + ")");
            }
        }
        long t0 = System.nanoTime();
        ClsStates.Result states;
        try (Progress progress = Progress.start("embed-map (images)", n, err)) {
            states = new ClsStates(batch).of(vit, source, pretrained.preprocessing(), n, progress::update);
        }
        List<String> names = source.names();
        List<String> classes = pretrained.config().labels();
        Files.createDirectories(out);
        for (int layer : chosen) {
            double[][] points = states.layer(layer);
            Pca.Result pca = new Pca(2).of(points);
            Pca.Result reduced = new Pca(Math.min(TSNE_INPUT_DIMS, points[0].length)).of(points);
            double[][] map;
            try (Progress progress = Progress.start("t-SNE layer " + layer + " (iterations)", iterations, err)) {
                map = tsne.of(reduced.projection(), progress::update);
            }
            String title = (vit.config().architecture().hasCls() ? "CLS" : "mean patch") + " resid_post after block "
                    + layer + ", " + model.shortName() + ", "
                    + TerminalText.count(n, "image");
            scatter(pca.projection(), states.labels(), classes, String.format(Locale.ROOT,
                    "PCA of the %s (PC1 %.0f%%, PC2 %.0f%% of the variance)", title, 100 * pca.explained()[0],
                    100 * pca.explained()[1]), "PC1", "PC2", out.resolve("pca-layer" + layer + ".png"));
            scatter(map, states.labels(), classes, String.format(Locale.ROOT, "t-SNE of the %s (perplexity %s)",
                    title, perplexity), "t-SNE 1", "t-SNE 2", out.resolve("tsne-layer" + layer + ".png"));
            StringBuilder csv = new StringBuilder("index,name,label,pc1,pc2,tsne1,tsne2\n");
            for (int i = 0; i < n; i++) {
                csv.append(String.format(Locale.ROOT, "%d,%s,%d,%.6g,%.6g,%.6g,%.6g%n", states.images()[i],
                        csvField(names.get(states.images()[i])), states.labels()[i], pca.projection()[i][0],
                        pca.projection()[i][1], map[i][0], map[i][1]));
            }
            AtomicFile.writeString(out.resolve("embed-layer" + layer + ".csv"), csv.toString());
        }
        text.printf(Locale.ROOT, "mapped %s at %s to %s in %.1f s (pca-layerL.png, tsne-layerL.png, "
                        + "embed-layerL.csv)%n", TerminalText.count(n, "image"),
                TerminalText.count(chosen.size(), "layer"), out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** A scatter plot of {@code xy}, one series (colour) per label, written as a PNG. */
    private static void scatter(double[][] xy, int[] labels, List<String> classes, String title, String xLabel,
                                String yLabel, Path file) throws java.io.IOException {
        TreeMap<Integer, XYSeries> series = new TreeMap<>();
        for (int i = 0; i < xy.length; i++) {
            int label = labels[i];
            String name = label == ImageSource.UNKNOWN_LABEL ? "no label"
                    : label < classes.size() ? classes.get(label) : "label " + label;
            series.computeIfAbsent(label, k -> new XYSeries(name, false, true)).add(xy[i][0], xy[i][1]);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        for (int s = 0; s < series.size(); s++) {
            renderer.setSeriesShape(s, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
            renderer.setSeriesPaint(s, Color.getHSBColor(s / (float) Math.max(1, series.size()), 0.75f, 0.85f));
        }
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        x.setAutoRangeIncludesZero(false);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlineStroke(new BasicStroke(0.5f));
        JFreeChart chart = new JFreeChart(title, new java.awt.Font("SansSerif", java.awt.Font.BOLD, 13), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 720);
    }

    /**
     * {@code s} as one CSV field (RFC 4180): in double quotes, with inner ones doubled, when it holds a comma, a quote
     * or a line break (an image's file name may), so that a CSV reader gets it back exactly.
     */
    static String csvField(String s) {
        boolean quote = s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r");
        return quote ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
