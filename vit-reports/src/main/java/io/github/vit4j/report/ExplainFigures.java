package io.github.vit4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYImageAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The figures of {@code vit explain} and {@code vit attack}, drawn with JFreeChart: a map over the image it explains
 * (one panel, or a grid of panels such as every head's attention, on one colour scale or each on its own:
 * {@link PanelScale}), with a colour bar; an image alone (an adversarial example); the logit lens as layers ×
 * classes; a robustness curve. Colours are {@code DivergingScale}'s: white at 0,
 * reds for positive values, blues for negative ones, so a signed map (gradient × input, integrated gradients) shows
 * both signs and an unsigned one (saliency, rollout) is white to red.
 */
public final class ExplainFigures {

    /** The share of a map's colour over the greyscale image. */
    private static final float MAP_OPACITY = 0.6f;

    private ExplainFigures() {
    }

    /** How the panels of a figure of several maps share the colours. */
    public enum PanelScale {
        /**
         * One colour scale for every panel, the colour bar's: panels compare with one another, but a panel whose
         * values are all small next to another's is drawn nearly white.
         */
        SHARED,
        /**
         * Each panel scaled to its own largest |value|, which is written above it (its darkest cell is that value);
         * the colour bar reads as a fraction of it, and the figure says so under its title.
         */
        PER_PANEL
    }

    /** The line a figure with {@link PanelScale#PER_PANEL} panels carries under its title. */
    static final String PER_PANEL_NOTE = "each panel has its own colour scale: its darkest cell is the max written "
            + "above it";

    /**
     * Maps drawn over an image, one panel per map, {@code columns} panels a row.
     *
     * @param pixels     the image {@code [C, H, W]} in [0, 1] (drawn in greyscale under the maps)
     * @param maps       {@code [P, h, w]}: P maps on any grid (the model's resolution or its patch grid), each
     *                   stretched over the image with square cells
     * @param labels     a caption per panel, or an empty list for none
     * @param title      the figure's title; {@code subtitles} lines under it; {@code legend} the colour bar's label
     * @param panelScale one colour scale for all panels, or one per panel (a single panel is always drawn in the
     *                   colour bar's own units)
     */
    public static Figure overlay(INDArray pixels, INDArray maps, int columns, List<String> labels, String title,
                                 List<String> subtitles, String legend, PanelScale panelScale) {
        if (maps.rank() != 3 || columns < 1) {
            throw new IllegalArgumentException("maps must be [P, h, w] with at least one column, got "
                    + java.util.Arrays.toString(maps.shape()) + " in " + columns + " columns");
        }
        int panels = (int) maps.size(0);
        if (!labels.isEmpty() && labels.size() != panels) {
            throw new IllegalArgumentException("ExplainFigures.overlay: " + labels.size() + " labels for " + panels
                    + " panels; give one label per map or none");
        }
        double[][][] values = new double[panels][][];
        for (int p = 0; p < panels; p++) {
            values[p] = maps.slice(p).castTo(DataType.DOUBLE).toDoubleMatrix();
        }
        boolean perPanel = panelScale == PanelScale.PER_PANEL && panels > 1;
        String[] maxima = new String[panels];
        if (perPanel) {
            for (int p = 0; p < panels; p++) {
                double largest = largestMagnitude(values[p]);
                maxima[p] = largest > 0 ? "max " + number(largest, 3) : "all 0";
                values[p] = scaled(values[p], largest > 0 ? 1 / largest : 1);
            }
        }
        double[][] all = new double[panels][];
        for (int p = 0; p < panels; p++) {
            all[p] = java.util.Arrays.stream(values[p]).flatMapToDouble(java.util.Arrays::stream).toArray();
        }
        DivergingScale scale = DivergingScale.fitted(all);
        int tile = tile((int) pixels.size(2), panels == 1 ? 256 : 96);
        int rows = (panels + columns - 1) / columns;
        int cols = Math.min(columns, panels);
        int lines = (labels.isEmpty() ? 0 : 1) + (perPanel ? 1 : 0);
        int caption = 14 * lines + (lines > 0 ? 2 : 0);
        int gap = panels == 1 ? 4 : 10;
        BufferedImage grey = greyscale(pixels);
        BufferedImage canvas = new BufferedImage(cols * (tile + gap), rows * (tile + 4 + caption),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int p = 0; p < panels; p++) {
            int x0 = p % columns * (tile + gap) + gap / 2;
            int y0 = p / columns * (tile + 4 + caption) + caption + 2;
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                    RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.drawImage(grey, x0, y0, tile, tile, null);
            g.drawImage(colours(values[p], scale), x0, y0, tile, tile, null);
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(x0, y0, tile - 1, tile - 1);
            g.setColor(Color.DARK_GRAY);
            int line = y0 - 4 - 14 * (lines - 1);
            if (!labels.isEmpty()) {
                g.drawString(labels.get(p), x0, line);
                line += 14;
            }
            if (perPanel) {
                g.drawString(maxima[p], x0, line);
            }
        }
        g.dispose();
        if (perPanel) {
            List<String> noted = new java.util.ArrayList<>(subtitles);
            noted.add(PER_PANEL_NOTE);
            return framed(canvas, title, noted, scale, legend + " ÷ the panel's max");
        }
        return framed(canvas, title, subtitles, scale, legend);
    }

    /** The largest |value| of {@code map}, NaN ignored; 0 for a map of zeros. */
    private static double largestMagnitude(double[][] map) {
        double largest = 0;
        for (double[] row : map) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    largest = Math.max(largest, Math.abs(v));
                }
            }
        }
        return largest;
    }

    private static double[][] scaled(double[][] map, double factor) {
        double[][] out = new double[map.length][];
        for (int r = 0; r < map.length; r++) {
            out[r] = java.util.Arrays.stream(map[r]).map(v -> v * factor).toArray();
        }
        return out;
    }

    /** An image alone (e.g. an adversarial example), about 256 pixels a side, titled; no colour bar. */
    public static Figure picture(INDArray pixels, String title, List<String> subtitles) {
        BufferedImage rgb = rgb(pixels);
        int side = tile(rgb.getWidth(), 256);
        BufferedImage canvas = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(rgb, 0, 0, side, side, null);
        g.dispose();
        return framed(canvas, title, subtitles, null, null);
    }

    /**
     * The logit lens: rows layers 0 … L−1 (top to bottom), columns the given classes, cell = the class's probability
     * read from that layer's CLS token.
     *
     * @param probabilities {@code [L][K]} probabilities of the K classes named by {@code classNames}
     */
    public static Figure logitLens(double[][] probabilities, List<String> classNames, String title,
                                   List<String> subtitles) {
        int layers = probabilities.length;
        int k = classNames.size();
        double[][] series = new double[3][layers * k];
        for (int l = 0; l < layers; l++) {
            for (int c = 0; c < k; c++) {
                series[0][l * k + c] = c;
                series[1][l * k + c] = l;
                series[2][l * k + c] = probabilities[l][c];
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("p", series);
        SymbolAxis x = new SymbolAxis("class", classNames.toArray(String[]::new));
        x.setVerticalTickLabels(true);
        String[] layerNames = new String[layers];
        for (int l = 0; l < layers; l++) {
            layerNames[l] = "layer " + l;
        }
        SymbolAxis y = new SymbolAxis("resid_post read by ln_final + head", layerNames);
        y.setInverted(true);
        DivergingScale scale = DivergingScale.fitted(probabilities);
        XYPlot plot = Heatmaps.plot(data, x, y, scale);
        JFreeChart chart = Heatmaps.chart(title, subtitles, plot, scale, "p(class) at the layer (CLS token)");
        return new Figure(chart, Math.max(640, 200 + 34 * k), 260 + 30 * layers);
    }

    /** Accuracy against ε: one point per ε (1/255 units), accuracy in [0, 1]. */
    public static Figure robustness(double[] epsilons, double[] accuracy, String title, List<String> subtitles) {
        XYSeries s = new XYSeries("accuracy");
        for (int i = 0; i < epsilons.length; i++) {
            s.add(epsilons[i], accuracy[i]);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "ε (L∞ radius, in 1/255 of the pixel range)",
                "top-1 accuracy on the attacked images", new XYSeriesCollection(s), PlotOrientation.VERTICAL,
                false, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((NumberAxis) plot.getRangeAxis()).setRange(0, 1.02);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, new Color(0xb2182b));
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        plot.setRenderer(renderer);
        chart.setBackgroundPaint(Color.WHITE);
        for (String line : subtitles) {
            chart.addSubtitle(new TextTitle(line));
        }
        return new Figure(chart, 720, 480);
    }

    /** The image {@code [C, H, W]} in [0, 1] (1 or 3 channels) as RGB; values outside [0, 1] are clipped. */
    public static BufferedImage rgb(INDArray pixels) {
        if (pixels.rank() != 3 || (pixels.size(0) != 1 && pixels.size(0) != 3)) {
            throw new IllegalArgumentException("expected pixels [C, H, W] with 1 or 3 channels, got "
                    + java.util.Arrays.toString(pixels.shape()));
        }
        int c = (int) pixels.size(0);
        int h = (int) pixels.size(1);
        int w = (int) pixels.size(2);
        float[] x = pixels.castTo(DataType.FLOAT).dup('c').data().asFloat();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < h; r++) {
            for (int q = 0; q < w; q++) {
                int rgb = 0;
                for (int ch = 0; ch < 3; ch++) {
                    float v = x[((c == 1 ? 0 : ch) * h + r) * w + q];
                    rgb = rgb << 8 | Math.round(255 * Math.max(0, Math.min(1, v)));
                }
                image.setRGB(q, r, rgb);
            }
        }
        return image;
    }

    private static BufferedImage greyscale(INDArray pixels) {
        BufferedImage rgb = rgb(pixels);
        BufferedImage grey = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < rgb.getHeight(); r++) {
            for (int q = 0; q < rgb.getWidth(); q++) {
                int v = rgb.getRGB(q, r);
                int y = (int) Math.round(0.299 * (v >> 16 & 255) + 0.587 * (v >> 8 & 255) + 0.114 * (v & 255));
                grey.setRGB(q, r, y << 16 | y << 8 | y);
            }
        }
        return grey;
    }

    /** The map's colours, one pixel per cell, at {@link #MAP_OPACITY}. */
    private static BufferedImage colours(double[][] map, DivergingScale scale) {
        BufferedImage image = new BufferedImage(map[0].length, map.length, BufferedImage.TYPE_INT_ARGB);
        int alpha = Math.round(255 * MAP_OPACITY);
        for (int r = 0; r < map.length; r++) {
            for (int q = 0; q < map[r].length; q++) {
                image.setRGB(q, r, alpha << 24 | scale.color(map[r][q]).getRGB() & 0xffffff);
            }
        }
        return image;
    }

    /** A picture in a chart: its title and subtitles above, the colour bar (when {@code scale} is given) beside. */
    private static Figure framed(BufferedImage canvas, String title, List<String> subtitles, DivergingScale scale,
                                 String legend) {
        NumberAxis x = new NumberAxis();
        NumberAxis y = new NumberAxis();
        for (NumberAxis a : List.of(x, y)) {
            a.setRange(0, 1);
            a.setVisible(false);
        }
        DivergingScale bar = scale != null ? scale : DivergingScale.fitted(new double[][] {{1}});
        XYPlot plot = Heatmaps.plot(new DefaultXYZDataset(), x, y, bar);
        plot.addAnnotation(new XYImageAnnotation(0.5, 0.5, canvas, RectangleAnchor.CENTER));
        JFreeChart chart;
        if (scale != null) {
            chart = Heatmaps.chart(title, subtitles, plot, scale, legend);
        } else {
            chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, false);
            chart.setBackgroundPaint(Color.WHITE);
            for (String line : subtitles) {
                chart.addSubtitle(new TextTitle(line, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
            }
        }
        int width = Math.max(canvas.getWidth() + (scale != null ? 170 : 40), textWidth(title, subtitles));
        int height = canvas.getHeight() + 60 + 20 * subtitles.size();
        return new Figure(chart, width, height);
    }

    /** Pixels a side for an image {@code size} pixels wide: a whole multiple of it near {@code target}, or target. */
    private static int tile(int size, int target) {
        return size >= target ? target : size * Math.max(1, Math.round(target / (float) size));
    }

    /** A width in pixels that fits the title (bold 15 pt) and the subtitles (12 pt) on one line each. */
    private static int textWidth(String title, List<String> subtitles) {
        int w = 9 * title.length();
        for (String s : subtitles) {
            w = Math.max(w, 7 * s.length());
        }
        return Math.min(w, 1400) + 40;
    }

    /** {@code value} as written by hand: 8, 0.5, 0.125 (at most 6 significant digits, no trailing zeros). */
    public static String number(double value) {
        return number(value, 6);
    }

    /** {@code value} to at most {@code digits} significant digits, no trailing zeros. */
    static String number(double value, int digits) {
        return new java.math.BigDecimal(value, new java.math.MathContext(digits)).stripTrailingZeros()
                .toPlainString();
    }
}
