package io.github.vit4j.report;

import io.github.vit4j.format.AtomicFile;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.ui.Drawable;
import org.jfree.svg.SVGGraphics2D;

/**
 * A chart with the size it is meant to be drawn at, written as PNG (raster, for a quick look) and SVG (vector,
 * for papers). Files are written beside their target and moved into place, so a reader never sees half a file.
 * Users get figures from {@link Heatmaps} and {@link TraceAgreement} and write them; how they are drawn (JFreeChart)
 * stays inside this package.
 */
public final class Figure {

    /** What is drawn: a chart, or a drawing of its own ({@link CircuitFigure}'s graph). */
    private final Drawable drawing;
    private final int width;
    private final int height;

    /**
     * @param chart  the chart
     * @param width  width in pixels (PNG) or user units (SVG)
     * @param height height likewise
     */
    Figure(Drawable drawing, int width, int height) {
        if (drawing == null || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("a figure needs a chart and a positive size, got " + width + "×"
                    + height);
        }
        this.drawing = drawing;
        this.width = width;
        this.height = height;
    }

    /** The chart drawn. @throws IllegalStateException for a figure that is a drawing of its own, not a chart */
    JFreeChart chart() {
        if (!(drawing instanceof JFreeChart chart)) {
            throw new IllegalStateException("this figure is a drawing (" + drawing.getClass().getSimpleName()
                    + "), not a chart");
        }
        return chart;
    }

    /** Width in pixels (PNG) or user units (SVG). */
    public int width() {
        return width;
    }

    /** Height in pixels (PNG) or user units (SVG). */
    public int height() {
        return height;
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}. */
    public void write(Path dir, String name) throws IOException {
        writePng(dir.resolve(name + ".png"));
        writeSvg(dir.resolve(name + ".svg"));
    }

    /** Writes the chart as a PNG of {@code width × height} pixels. */
    public void writePng(Path file) throws IOException {
        if (drawing instanceof JFreeChart chart) {
            AtomicFile.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
            return;
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g2 = image.createGraphics();
        try {
            g2.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g2.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            drawing.draw(g2, new Rectangle(0, 0, width, height));
        } finally {
            g2.dispose();
        }
        AtomicFile.write(file, out -> ChartUtils.writeBufferedImageAsPNG(out, image));
    }

    /** Writes the chart as an SVG document (text as text, so titles stay searchable). */
    public void writeSvg(Path file) throws IOException {
        AtomicFile.writeString(file, svg());
    }

    /** The figure as an SVG document (text as text). */
    public String svg() {
        return svg(true);
    }

    /** The figure as one {@code <svg>} element, without the XML prolog: to put inline in an HTML page. */
    public String svgElement() {
        return svg(false);
    }

    private String svg(boolean document) {
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        // JFreeChart draws rotated text (the vertical axis labels) as a TextLayout by default, which SVG receives as
        // glyph outlines; plain drawString keeps it as <text>, searchable and editable.
        boolean workaround = TextUtils.isUseDrawRotatedStringWorkaround();
        TextUtils.setUseDrawRotatedStringWorkaround(false);
        try {
            drawing.draw(g2, new Rectangle(0, 0, width, height));
        } finally {
            TextUtils.setUseDrawRotatedStringWorkaround(workaround);
        }
        return xmlCharacters(document ? g2.getSVGDocument() : g2.getSVGElement());
    }

    /**
     * {@code svg} with each character XML 1.0 does not allow (control characters but tab, line feed and carriage
     * return; unpaired surrogates; U+FFFE, U+FFFF) replaced by U+FFFD: JFreeSVG escapes markup in text but keeps
     * these, and one of them in a label or model name makes the whole file unreadable to every SVG viewer.
     */
    static String xmlCharacters(String svg) {
        StringBuilder out = new StringBuilder(svg.length());
        for (int i = 0; i < svg.length(); ) {
            int c = svg.codePointAt(i);
            boolean allowed = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                    || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
            out.appendCodePoint(allowed ? c : 0xFFFD);
            i += Character.charCount(c);
        }
        return out.toString();
    }
}
