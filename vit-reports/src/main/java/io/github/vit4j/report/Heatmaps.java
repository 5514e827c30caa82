package io.github.vit4j.report;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceSummary;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYBoxAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * The heatmaps of a causal trace, drawn with JFreeChart (an {@link XYBlockRenderer} over a {@code DivergingScale},
 * with a colour bar):
 * <ul>
 *   <li>{@link #kindsByLayers}: rows resid / attn / mlp, columns layers, cell = mean effect over images, the value
 *       written in the cell;</li>
 *   <li>{@link #image}: the same for one image;</li>
 *   <li>{@link #tokenSweep}: one gridSize × gridSize panel per layer, cell = the effect of restoring that patch's
 *       token alone, laid out like the image (colours only; the numbers are in {@code token_sweep.csv}).</li>
 * </ul>
 * Every title states model, corruption, number of images, window, tokens, tracked class and metric; the colour bar
 * is labelled with the metric's formula.
 */
public final class Heatmaps {

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font SUBTITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font CELL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    /** Cells beyond this many are not annotated with their values (they would not fit). */
    private static final int MAX_ANNOTATED_CELLS = 120;

    private Heatmaps() {
    }

    /** Rows resid / attn / mlp (those traced), columns layers 0 … L−1, cell = the mean effect over images. */
    public static Figure kindsByLayers(TraceSummary summary, TraceInfo info) {
        double[][] values = new double[summary.kinds().size()][];
        for (int k = 0; k < values.length; k++) {
            values[k] = summary.mean().get(summary.kinds().get(k)).clone();
        }
        String means = String.format(Locale.ROOT, "cell = mean over images · mean p_clean(y) = %.3f, "
                + "mean p_corrupt(y) = %.3f · 95%% CIs in summary.json", summary.pClean(), summary.pCorrupt());
        return kindsGrid(info.title(), List.of(info.settings(), means), summary.kinds(), values, info);
    }

    /**
     * One image's trace: rows kinds, columns layers.
     *
     * @param image     the image's index in the input
     * @param className the tracked class's name
     * @param pClean    p(y) of the clean run
     * @param pCorrupt  p(y) of the corrupted run
     * @param effect    {@code [kind][layer]} effects
     */
    public static Figure image(TraceInfo info, int image, String className, double pClean, double pCorrupt,
                               List<SweepKind> kinds, double[][] effect) {
        String title = "Causal trace of image " + image + ", y = " + className;
        String what = info.model() + " under " + info.corruption();
        String probabilities = String.format(Locale.ROOT, "p_clean(y) = %.3f, p_corrupt(y) = %.3f", pClean,
                pCorrupt);
        return kindsGrid(title, List.of(what, info.settings(), probabilities), kinds, effect, info);
    }

    private static Figure kindsGrid(String title, List<String> subtitles, List<SweepKind> kinds, double[][] values,
                                    TraceInfo info) {
        int layers = values.length == 0 ? 0 : values[0].length;
        String[] rows = kinds.stream().map(Heatmaps::kindLabel).toArray(String[]::new);
        String[] columns = new String[layers];
        for (int l = 0; l < layers; l++) {
            columns[l] = Integer.toString(l);
        }
        DivergingScale scale = DivergingScale.fitted(values);
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("effect", cells(values, (r, c) -> c, (r, c) -> r));

        SymbolAxis x = new SymbolAxis("layer (the restored window of " + info.window() + " layers is centred on it)",
                columns);
        SymbolAxis y = new SymbolAxis("restored site", rows);
        for (SymbolAxis a : List.of(x, y)) {
            a.setGridBandsVisible(false);
            a.setLabelFont(LABEL_FONT);
            a.setTickLabelFont(TICK_FONT);
            a.setAxisLineVisible(false);
        }
        x.setRange(-0.5, layers - 0.5);
        y.setRange(-0.5, rows.length - 0.5);
        y.setInverted(true);
        XYPlot plot = plot(data, x, y, scale);
        if ((long) layers * rows.length <= MAX_ANNOTATED_CELLS) {
            annotate(plot, values, scale, (r, c) -> c, (r, c) -> r);
        }
        JFreeChart chart = chart(title, subtitles, plot, scale, info.scaleLabel());
        int width = Math.max(760, 200 + 72 * layers + 150);
        int height = 230 + 64 * rows.length;
        return new Figure(chart, width, height);
    }

    /**
     * A token sweep: one panel per layer, each the gridSize × gridSize patch grid as the image shows it (row 0 at
     * the top), cell = the effect of restoring {@code kind} at that patch's token alone over the window around the
     * layer.
     *
     * @param effect {@code [layer][cell]} effects, cell = row · gridSize + column
     * @param grid   the patch grid's side
     * @param kind   the kind restored
     */
    public static Figure tokenSweep(TraceInfo info, SweepKind kind, double[][] effect, int grid) {
        int layers = effect.length;
        for (double[] e : effect) {
            if (e.length != grid * grid) {
                throw new IllegalArgumentException("token sweep has " + e.length + " cells per layer but a " + grid
                        + "×" + grid + " grid has " + grid * grid);
            }
        }
        int cols = Math.min(layers, 4);
        int panelRows = (layers + cols - 1) / cols;
        double gap = Math.max(1, Math.round(grid * 0.25));
        double labelSpace = Math.max(1.2, grid * 0.12);
        double stepX = grid + gap;
        double stepY = grid + gap + labelSpace;

        double[][] values = new double[layers * grid][grid];
        for (int l = 0; l < layers; l++) {
            for (int cell = 0; cell < grid * grid; cell++) {
                values[l * grid + cell / grid][cell % grid] = effect[l][cell];
            }
        }
        DivergingScale scale = DivergingScale.fitted(values);
        // value row r of `values` is layer r / grid, patch row r % grid
        Position px = (r, c) -> (r / grid) % cols * stepX + c;
        Position py = (r, c) -> (r / grid) / cols * stepY + labelSpace + r % grid;
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("effect", cells(values, px, py));

        NumberAxis x = new NumberAxis("patch column, left → right (CLS token not shown)");
        NumberAxis y = new NumberAxis("patch row, top → bottom");
        for (NumberAxis a : List.of(x, y)) {
            a.setLabelFont(LABEL_FONT);
            a.setTickLabelsVisible(false);
            a.setTickMarksVisible(false);
            a.setAxisLineVisible(false);
        }
        x.setRange(-0.5 - gap / 2, (cols - 1) * stepX + grid - 0.5 + gap / 2);
        y.setRange(-0.5, (panelRows - 1) * stepY + labelSpace + grid - 0.5 + gap / 2);
        y.setInverted(true);
        XYPlot plot = plot(data, x, y, scale);
        Font panelFont = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        for (int l = 0; l < layers; l++) {
            double x0 = l % cols * stepX - 0.5;
            double y0 = l / cols * stepY + labelSpace - 0.5;
            plot.addAnnotation(new XYBoxAnnotation(x0, y0, x0 + grid, y0 + grid, new BasicStroke(1f), Color.GRAY));
            XYTextAnnotation label = new XYTextAnnotation("layer " + l, x0 + grid / 2.0, y0 - 0.15);
            label.setFont(panelFont);
            label.setTextAnchor(TextAnchor.BOTTOM_CENTER);
            plot.addAnnotation(label);
        }
        String title = "Token sweep of " + info.model() + " under " + info.corruption() + ", mean over n = "
                + info.images() + (info.images() == 1 ? " image" : " images");
        String what = "cell = restoring " + kindLabel(kind) + " at that patch's token only, over the window of "
                + info.window() + " layers around the panel's layer";
        String settings = "y = " + info.labelText() + " · metric " + info.metric().label();
        JFreeChart chart = chart(title, List.of(what, settings), plot, scale, info.scaleLabel());
        double cellPixels = Math.max(14, Math.min(34, 260.0 / grid));
        int width = (int) Math.max(820, 130 + cellPixels * (cols * stepX) + 150);
        int height = (int) (190 + cellPixels * (panelRows * stepY));
        return new Figure(chart, width, height);
    }

    /** A 1, 2 or 5 × 10^k step that cuts {@code range} into 4 to 10 ticks. */
    static double tickStep(double range) {
        double raw = range / 8;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= raw - 1e-12 * magnitude) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    /** The label of a row: the kind and the site it restores, e.g. {@code attn (attn_out)}. */
    static String kindLabel(SweepKind k) {
        return k.label() + " (" + k.site().lensName() + ")";
    }

    private interface Position {
        double at(int row, int column);
    }

    private static double[][] cells(double[][] values, Position x, Position y) {
        List<double[]> xyz = new ArrayList<>();
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[r].length; c++) {
                xyz.add(new double[] {x.at(r, c), y.at(r, c), values[r][c]});
            }
        }
        double[][] series = new double[3][xyz.size()];
        for (int i = 0; i < xyz.size(); i++) {
            for (int j = 0; j < 3; j++) {
                series[j][i] = xyz.get(i)[j];
            }
        }
        return series;
    }

    static XYPlot plot(DefaultXYZDataset data, org.jfree.chart.axis.ValueAxis x,
                               org.jfree.chart.axis.ValueAxis y, DivergingScale scale) {
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        renderer.setDefaultToolTipGenerator(null);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setOutlineVisible(false);
        plot.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        return plot;
    }

    private static void annotate(XYPlot plot, double[][] values, DivergingScale scale, Position x, Position y) {
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, Math.abs(v));
                }
            }
        }
        String format = max >= 10 ? "%.1f" : max >= 0.1 ? "%.2f" : "%.3f";
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[r].length; c++) {
                double v = values[r][c];
                String text = Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v);
                if (text.matches("-0\\.0*")) {
                    text = text.substring(1); // -0.00: a small negative number rounded to zero
                }
                XYTextAnnotation a = new XYTextAnnotation(text, x.at(r, c), y.at(r, c));
                a.setFont(CELL_FONT);
                a.setPaint(DivergingScale.textColor(scale.color(v)));
                plot.addAnnotation(a);
            }
        }
    }

    static JFreeChart chart(String title, List<String> subtitles, XYPlot plot, DivergingScale scale,
                                    String scaleLabel) {
        JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(6, 8, 6, 8));
        for (String s : subtitles) {
            TextTitle t = new TextTitle(s, SUBTITLE_FONT);
            t.setPaint(Color.DARK_GRAY);
            chart.addSubtitle(t);
        }
        NumberAxis bar = new NumberAxis(scaleLabel);
        bar.setRange(scale.getLowerBound(), scale.getUpperBound());
        double step = tickStep(scale.getUpperBound() - scale.getLowerBound());
        bar.setTickUnit(new NumberTickUnit(step));
        int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
        bar.setNumberFormatOverride(new DecimalFormat(decimals == 0 ? "0" : "0." + "0".repeat(decimals),
                DecimalFormatSymbols.getInstance(Locale.ROOT)));
        bar.setLabelFont(LABEL_FONT);
        bar.setTickLabelFont(TICK_FONT);
        PaintScaleLegend legend = new PaintScaleLegend(scale, bar);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        legend.setSubdivisionCount(256);
        legend.setStripWidth(14);
        legend.setStripOutlineVisible(true);
        legend.setMargin(new RectangleInsets(8, 12, 8, 4));
        legend.setFrame(BlockBorder.NONE);
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);
        return chart;
    }
}
