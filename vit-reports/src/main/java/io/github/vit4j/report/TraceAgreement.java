package io.github.vit4j.report;

import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SettingException;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceRow;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * How well an estimated causal trace (attribution patching) agrees with the exact one, cell by cell: the two traces'
 * rows are paired by (image, kind, layer); per kind, the Pearson correlation of estimate and exact effect over every
 * (image, layer) cell; per image, the top-k agreement (of the k cells the estimate ranks highest, the share that are
 * among the exact trace's k highest, over all kinds and layers); and a scatter plot per kind.
 *
 * @param kinds   the kinds both traces cover, in the exact trace's order
 * @param exact   {@code kind → [cell]} exact effects, cells ordered by image then layer
 * @param estimate likewise, the estimates
 * @param images  the number of images paired
 * @param layers  the layers per kind
 */
public record TraceAgreement(List<SweepKind> kinds, Map<SweepKind, double[]> exact, Map<SweepKind, double[]> estimate,
                             int images, int layers) {

    /**
     * Pairs the rows of two traces of the same images, kinds, layers and window.
     *
     * @throws IllegalArgumentException naming the first cell one trace has and the other lacks, or a window
     *                                  mismatch
     */
    public static TraceAgreement of(List<TraceRow> exactRows, List<TraceRow> estimateRows) {
        Map<String, TraceRow> byCell = new LinkedHashMap<>();
        for (TraceRow r : estimateRows) {
            byCell.put(key(r), r);
        }
        if (exactRows.isEmpty()) {
            throw new IllegalArgumentException("the exact trace has no rows");
        }
        Set<Integer> images = new TreeSet<>();
        Set<Integer> layers = new TreeSet<>();
        List<SweepKind> kinds = new ArrayList<>();
        for (TraceRow r : exactRows) {
            if (r.method().estimated()) {
                throw new IllegalArgumentException("the trace given as exact was made by " + r.method()
                        + "; give the exact trace (method exact) first and the estimate second");
            }
            images.add(r.image());
            layers.add(r.layer());
            if (!kinds.contains(r.kind())) {
                kinds.add(r.kind());
            }
        }
        if (byCell.size() != exactRows.size()) {
            throw new SettingException("the traces have " + exactRows.size() + " and " + byCell.size()
                    + " cells; compare traces of the same images, kinds and layers (made with the same "
                    + "DatasetTrace.Options.limit() and CausalTrace.Spec.kinds())", DatasetTrace.Setting.LIMIT,
                    DatasetTrace.Setting.KINDS);
        }
        Map<SweepKind, double[]> exact = new LinkedHashMap<>();
        Map<SweepKind, double[]> estimate = new LinkedHashMap<>();
        int cellsPerKind = images.size() * layers.size();
        for (SweepKind k : kinds) {
            exact.put(k, new double[cellsPerKind]);
            estimate.put(k, new double[cellsPerKind]);
        }
        List<Integer> imageList = new ArrayList<>(images);
        for (TraceRow r : exactRows) {
            TraceRow e = byCell.get(key(r));
            if (e == null) {
                throw new IllegalArgumentException("the estimated trace has no row for image " + r.image() + ", "
                        + r.kind().label() + " at layer " + r.layer() + "; compare traces of the same images");
            }
            if (e.window() != r.window() || e.label() != r.label()) {
                throw new IllegalArgumentException("image " + r.image() + ": the traces differ in window ("
                        + r.window() + " vs " + e.window() + ") or tracked class (" + r.label() + " vs " + e.label()
                        + "); compare traces made with the same window and label choice");
            }
            int cell = imageList.indexOf(r.image()) * layers.size() + r.layer();
            exact.get(r.kind())[cell] = r.ie();
            estimate.get(r.kind())[cell] = e.ie();
        }
        return new TraceAgreement(List.copyOf(kinds), exact, estimate, images.size(), layers.size());
    }

    private static String key(TraceRow r) {
        return r.image() + "," + r.kind().label() + "," + r.layer();
    }

    /** Pearson's r of estimate against exact over every cell of {@code kind} (NaN cells skipped). */
    public double pearson(SweepKind kind) {
        return pearson(exact.get(kind), estimate.get(kind));
    }

    /** Pearson's r of {@code x} and {@code y}, over the pairs where neither is NaN; NaN if either is constant. */
    static double pearson(double[] x, double[] y) {
        double sx = 0;
        double sy = 0;
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i]) && !Double.isNaN(y[i])) {
                sx += x[i];
                sy += y[i];
                n++;
            }
        }
        double mx = sx / n;
        double my = sy / n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i]) && !Double.isNaN(y[i])) {
                sxy += (x[i] - mx) * (y[i] - my);
                sxx += (x[i] - mx) * (x[i] - mx);
                syy += (y[i] - my) * (y[i] - my);
            }
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /**
     * The mean over images of the top-k agreement: of the {@code k} cells (all kinds and layers of the image) the
     * estimate ranks highest, the share that are among the {@code k} cells the exact trace ranks highest.
     */
    public double topK(int k) {
        int cells = kinds.size() * layers;
        if (k < 1 || k > cells) {
            throw new IllegalArgumentException("k must be between 1 and the " + cells + " cells per image, got " + k);
        }
        double sum = 0;
        for (int i = 0; i < images; i++) {
            double[] ex = new double[cells];
            double[] es = new double[cells];
            for (int kind = 0; kind < kinds.size(); kind++) {
                for (int l = 0; l < layers; l++) {
                    ex[kind * layers + l] = exact.get(kinds.get(kind))[i * layers + l];
                    es[kind * layers + l] = estimate.get(kinds.get(kind))[i * layers + l];
                }
            }
            Set<Integer> top = new TreeSet<>(Arrays.asList(highest(ex, k)));
            int hits = 0;
            for (Integer c : highest(es, k)) {
                hits += top.contains(c) ? 1 : 0;
            }
            sum += (double) hits / k;
        }
        return sum / images;
    }

    /** The indices of the k largest values (NaN last; ties by index). */
    private static Integer[] highest(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> Double.isNaN(v[i]) ? Double.NEGATIVE_INFINITY
                : v[i]).reversed().thenComparingInt(i -> i));
        return Arrays.copyOf(idx, k);
    }

    /** A Markdown table: one row per kind (cells, Pearson r), then the top-k agreement for each of {@code ks}. */
    public String markdown(int... ks) {
        StringBuilder sb = new StringBuilder("| kind | cells | Pearson r |\n|---|---|---|\n");
        for (SweepKind k : kinds) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.3f |%n", k.label(), exact.get(k).length, pearson(k)));
        }
        sb.append("\n| top-k agreement per image (all kinds and layers) | ");
        sb.append(String.join(" | ", Arrays.stream(ks).mapToObj(k -> "k = " + k).toList())).append(" |\n|---|");
        sb.append("---|".repeat(ks.length)).append("\n| share of the estimate's top k among the exact top k | ");
        sb.append(String.join(" | ", Arrays.stream(ks).mapToObj(k -> String.format(Locale.ROOT, "%.3f", topK(k)))
                .toList())).append(" |\n");
        return sb.toString();
    }

    /** Estimate (vertical) against exact effect (horizontal) of every cell of {@code kind}, with the diagonal. */
    public Figure scatter(SweepKind kind, String title, String metric) {
        XYSeries points = new XYSeries(kind.label());
        double[] x = exact.get(kind);
        double[] y = estimate.get(kind);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i]) && !Double.isNaN(y[i])) {
                points.add(x[i], y[i]);
                lo = Math.min(lo, Math.min(x[i], y[i]));
                hi = Math.max(hi, Math.max(x[i], y[i]));
            }
        }
        NumberAxis xAxis = new NumberAxis("exact " + metric);
        NumberAxis yAxis = new NumberAxis("estimated " + metric);
        xAxis.setAutoRangeIncludesZero(false);
        yAxis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        renderer.setSeriesShape(0, new Ellipse2D.Double(-1.5, -1.5, 3, 3));
        renderer.setSeriesPaint(0, new Color(31, 119, 180, 110));
        XYPlot plot = new XYPlot(new XYSeriesCollection(points), xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        if (lo < hi) {
            plot.addAnnotation(new XYLineAnnotation(lo, lo, hi, hi, new BasicStroke(1f), Color.GRAY));
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle(String.format(Locale.ROOT, "%s: %d cells (%d images × %d layers), "
                + "Pearson r = %.3f; grey: estimate = exact", kind.label(), x.length, images, layers, pearson(kind))));
        return new Figure(chart, 560, 520);
    }
}
