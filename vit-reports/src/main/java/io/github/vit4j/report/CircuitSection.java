package io.github.vit4j.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The circuit section of a report page: a heading, what the circuit was found on, the circuit's figure and the
 * faithfulness plot inline as SVG ({@link CircuitFigure}, {@link FaithfulnessPlot}; nothing fetched at view time) and a
 * table of the edges of largest |score|. Static HTML, no script: every text from outside (the title, the notes) is
 * escaped, and node names reach the page only once {@link CircuitFigure} has checked them. Style with the page's own
 * CSS through the classes {@code circuit}, {@code circuit-figures} and {@code circuit-edges}.
 *
 * @param title     the section's heading
 * @param notes     lines saying what the circuit was found on (model, corruption, metric, method, images)
 * @param edges     the circuit's edges
 * @param layers    the model's blocks
 * @param heads     heads per block
 * @param curves    the faithfulness curves (none: no plot)
 * @param total     the model's edge count (the plot's fraction)
 * @param tableRows how many of the edges of largest |score| the table lists
 */
public record CircuitSection(String title, List<String> notes, List<CircuitFigure.Edge> edges, int layers, int heads,
                             List<FaithfulnessPlot.Curve> curves, int total, int tableRows) {

    /** @throws IllegalArgumentException for a negative table size or missing parts */
    public CircuitSection {
        if (title == null || notes == null || edges == null || curves == null || tableRows < 0) {
            throw new IllegalArgumentException("a circuit section needs a title, notes, edges and curves (lists may"
                    + " be empty) and a table size >= 0, got table size " + tableRows);
        }
        notes = List.copyOf(notes);
        edges = List.copyOf(edges);
        curves = List.copyOf(curves);
    }

    /**
     * The section as an HTML fragment, {@code <section class="circuit">…</section>}.
     *
     * @throws IllegalArgumentException for an edge the figure refuses (a node that is not the model's)
     */
    public String html() {
        StringBuilder out = new StringBuilder();
        out.append("<section class=\"circuit\">\n<h2>").append(escape(title)).append("</h2>\n");
        for (String line : notes) {
            out.append("<p class=\"circuit-note\">").append(escape(line)).append("</p>\n");
        }
        out.append("<div class=\"circuit-figures\">\n");
        out.append(CircuitFigure.of(edges, layers, heads, edges.size() + " edges").svgElement()).append('\n');
        if (!curves.isEmpty()) {
            out.append(FaithfulnessPlot.of(curves, total, FaithfulnessPlot.Axis.COUNT, "Faithfulness", List.of())
                    .svgElement()).append('\n');
        }
        out.append("</div>\n");
        if (edges.isEmpty()) {
            out.append("<p class=\"circuit-empty\">The circuit has no edges.</p>\n");
        } else {
            List<CircuitFigure.Edge> top = new ArrayList<>(edges);
            top.sort(Comparator.comparingDouble((CircuitFigure.Edge e) -> -Math.abs(e.score())));
            out.append("<table class=\"circuit-edges\">\n<caption>The ").append(Math.min(tableRows, top.size()))
                    .append(" edges of largest |score| of ").append(top.size()).append("</caption>\n")
                    .append("<tr><th>upstream</th><th>downstream</th><th>input</th><th>score</th></tr>\n");
            for (CircuitFigure.Edge e : top.subList(0, Math.min(tableRows, top.size()))) {
                out.append("<tr><td>").append(escape(e.upstream())).append("</td><td>").append(escape(e.downstream()))
                        .append("</td><td>").append(escape(e.input())).append("</td><td>")
                        .append(String.format(Locale.ROOT, "%.4g", e.score())).append("</td></tr>\n");
            }
            out.append("</table>\n");
        }
        return out.append("</section>\n").toString();
    }

    /** {@code text} with the five characters that mean something in HTML as character references. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
