package io.github.vit4j.cli;

import io.github.vit4j.circuit.CircuitStudy;
import io.github.vit4j.circuit.Edge;
import io.github.vit4j.circuit.FaithfulnessCurve;
import io.github.vit4j.circuit.Selection;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.report.CircuitFigure;
import io.github.vit4j.report.CircuitSection;
import io.github.vit4j.report.FaithfulnessPlot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The pictures and the page of {@code vit circuit}: {@code circuit.svg}/{@code .png} (the circuit of circuit.json,
 * edge width by |score|), {@code faithfulness.svg}/{@code .png} (both rankings, their areas in the legend) and
 * {@code report.html}, one static page with the circuit section ({@link CircuitSection}: both figures inline, the
 * table of the circuit's edges of largest |score|; nothing fetched at view time, no script).
 */
final class CircuitReport {

    /** Rows of the page's table of edges. */
    static final int TABLE_ROWS = 20;

    private CircuitReport() {
    }

    /**
     * Writes the figures and the page into {@code out}; the names written.
     *
     * @param notes lines saying what was studied (model, images, corruption, metric, method), for the page and the
     *              plot
     */
    static List<String> write(Path out, CircuitStudy.Result result, CircuitStudy.Circuit circuit, int layers,
                              int heads, List<String> notes) throws IOException {
        List<CircuitFigure.Edge> edges = figureEdges(result, circuit);
        int total = result.scores().graph().size();
        String method = result.scores().method().label();
        String title = String.format(Locale.ROOT, "Greedy circuit (%s): %d of %d edges, faithfulness %.3f", method,
                edges.size(), total, circuit.faithfulness());
        CircuitFigure.of(edges, layers, heads, title).write(out, "circuit");
        List<FaithfulnessPlot.Curve> curves = plotCurves(result.curves());
        FaithfulnessPlot.of(curves, total, FaithfulnessPlot.Axis.COUNT, "Faithfulness of circuits chosen by "
                + method + " scores", notes).write(out, "faithfulness");
        String section = new CircuitSection(title, notes, edges, layers, heads, curves, total, TABLE_ROWS).html();
        AtomicFile.writeString(out.resolve("report.html"), "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                + "<meta charset=\"utf-8\">\n<title>vit circuit</title>\n<style>\n"
                + "body { font-family: sans-serif; margin: 2em; }\n"
                + ".circuit-figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }\n"
                + ".circuit-edges { border-collapse: collapse; margin-top: 1em; }\n"
                + ".circuit-edges td, .circuit-edges th { border: 1px solid #ccc; padding: 0.2em 0.6em; }\n"
                + "</style></head>\n<body>\n<h1>vit circuit</h1>\n" + section + "</body></html>\n");
        return List.of("circuit.svg", "circuit.png", "faithfulness.svg", "faithfulness.png", "report.html");
    }

    /** The circuit's edges with their scores, as the figure takes them. */
    static List<CircuitFigure.Edge> figureEdges(CircuitStudy.Result result, CircuitStudy.Circuit circuit) {
        List<CircuitFigure.Edge> edges = new ArrayList<>();
        for (Edge e : circuit.edges()) {
            edges.add(new CircuitFigure.Edge(e.upstream().name(), e.downstream().name(), e.input().label(),
                    result.scores().score(e)));
        }
        return edges;
    }

    /**
     * The curves as the plot takes them: a point whose circuit has as many edges as the one before it (a greedy
     * choice pruned away, or a count past the graph's size) is the same circuit and is left out, which changes no
     * area; so is a point of undefined faithfulness (m(clean) = m(corrupt)).
     */
    static List<FaithfulnessPlot.Curve> plotCurves(List<FaithfulnessCurve> curves) {
        List<FaithfulnessPlot.Curve> plotted = new ArrayList<>();
        for (FaithfulnessCurve c : curves) {
            int[] kept = c.kept();
            double[] f = c.faithfulness();
            int points = 0;
            int[] k = new int[kept.length];
            double[] v = new double[kept.length];
            for (int p = 0; p < kept.length; p++) {
                if (Double.isFinite(f[p]) && (points == 0 || kept[p] > k[points - 1])) {
                    k[points] = kept[p];
                    v[points++] = f[p];
                }
            }
            plotted.add(new FaithfulnessPlot.Curve(c.selection() == Selection.TOP
                    ? "top |score|" : "greedy", Arrays.copyOf(k, points), Arrays.copyOf(v, points)));
        }
        return plotted;
    }
}
