package io.github.vit4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The faithfulness curve of a circuit search (Hanna et al. 2024): faithfulness = (m(circuit) − m(corrupt)) /
 * (m(clean) − m(corrupt)) against the edges kept, one line per way of ranking the edges, each named in the legend with
 * its area under the curve (trapezoids over the fraction of the model's edges kept, in [0, 1]). Dashed lines mark 0
 * (the corrupted run) and 1 (the clean one). Plain data in.
 */
public final class FaithfulnessPlot {

    /** ColorBrewer's Dark2, the lines' colours in order. */
    private static final Color[] LINES = {new Color(0x1b9e77), new Color(0xd95f02), new Color(0x7570b3),
        new Color(0xe7298a), new Color(0x66a61e), new Color(0xe6ab02)};

    /**
     * One ranking's curve: at {@code kept[i]} edges kept, faithfulness {@code faithfulness[i]}.
     *
     * @param ranking      how the edges were chosen, e.g. {@code |score|} or {@code greedy}
     * @param kept         edge counts, increasing
     * @param faithfulness the faithfulness at each count (NaN where undefined is refused)
     */
    public record Curve(String ranking, int[] kept, double[] faithfulness) {

        /** @throws IllegalArgumentException for arrays of different lengths, counts not increasing, NaN values */
        public Curve {
            if (ranking == null || kept == null || faithfulness == null || kept.length != faithfulness.length
                    || kept.length == 0) {
                throw new IllegalArgumentException("a curve needs a name and as many edge counts as faithfulness"
                        + " values (at least one), got " + ranking + " with " + (kept == null ? null : kept.length)
                        + " counts and " + (faithfulness == null ? null : faithfulness.length) + " values");
            }
            kept = kept.clone();
            faithfulness = faithfulness.clone();
            for (int i = 0; i < kept.length; i++) {
                if ((i > 0 && kept[i] <= kept[i - 1]) || kept[i] < 0) {
                    throw new IllegalArgumentException("curve " + ranking + ": edge counts must increase from 0 or"
                            + " more, got " + kept[i] + " at point " + i);
                }
                if (!Double.isFinite(faithfulness[i])) {
                    throw new IllegalArgumentException("curve " + ranking + ": faithfulness " + faithfulness[i]
                            + " at " + kept[i] + " edges; give finite values (leave out the points where"
                            + " m(clean) = m(corrupt))");
                }
            }
        }

        /**
         * The area under the curve over the fraction of {@code total} edges kept, by trapezoids between the points
         * given (nothing is assumed outside them).
         */
        public double area(int total) {
            double area = 0;
            for (int i = 1; i < kept.length; i++) {
                area += (kept[i] - kept[i - 1]) / (double) total * (faithfulness[i] + faithfulness[i - 1]) / 2;
            }
            return area;
        }
    }

    /** What the horizontal axis shows. */
    public enum Axis {
        /** The number of edges kept. */
        COUNT,
        /** The fraction of the model's edges kept, in [0, 1]. */
        FRACTION
    }

    private FaithfulnessPlot() {
    }

    /**
     * The curves of a circuit search on a model of {@code total} edges.
     *
     * @throws IllegalArgumentException for no curve, or a count past {@code total}
     */
    public static Figure of(List<Curve> curves, int total, Axis axis, String title, List<String> subtitles) {
        if (curves.isEmpty() || total <= 0) {
            throw new IllegalArgumentException("a faithfulness plot needs at least one curve and the model's edge"
                    + " count, got " + curves.size() + " curves of " + total + " edges");
        }
        XYSeriesCollection data = new XYSeriesCollection();
        for (Curve c : curves) {
            XYSeries s = new XYSeries(c.ranking() + String.format(Locale.ROOT, " (area %.3f)", c.area(total)), false);
            for (int i = 0; i < c.kept().length; i++) {
                if (c.kept()[i] > total) {
                    throw new IllegalArgumentException("curve " + c.ranking() + " keeps " + c.kept()[i]
                            + " edges, more than the model's " + total);
                }
                s.add(axis == Axis.COUNT ? c.kept()[i] : c.kept()[i] / (double) total, c.faithfulness()[i]);
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, axis == Axis.COUNT ? "edges kept"
                        : "fraction of the model's " + total + " edges kept",
                "faithfulness (0 = corrupted, 1 = clean)", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        for (double level : new double[] {0, 1}) {
            ValueMarker marker = new ValueMarker(level, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
            plot.addRangeMarker(marker);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < curves.size(); i++) {
            renderer.setSeriesPaint(i, LINES[i % LINES.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        chart.setBackgroundPaint(Color.WHITE);
        for (String line : subtitles) {
            chart.addSubtitle(new TextTitle(line));
        }
        return new Figure(chart, 720, 480);
    }
}
