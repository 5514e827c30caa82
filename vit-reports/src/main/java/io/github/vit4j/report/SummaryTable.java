package io.github.vit4j.report;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The summary as a fixed-width table for the terminal: one row per kind, one column per layer, each cell
 * {@code mean ±ci95}, then the mean p_clean and p_corrupt:
 * <pre>
 * kind          layer 0        layer 1        layer 2        layer 3
 * resid    +0.312 ±0.041  +0.287 ±0.038  +0.201 ±0.035  +0.099 ±0.022
 * attn     +0.012 ±0.004  ...
 * mlp      ...
 * p_clean   0.743   (mean p(y) of the clean runs)
 * p_corrupt 0.412   (mean p(y) of the corrupted runs)
 * </pre>
 */
public final class SummaryTable {

    private SummaryTable() {
    }

    /** The table, with a heading line naming the metric; lines end with {@code \n}. */
    public static String format(TraceSummary summary, TraceInfo info) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "mean effect ± 95%% CI over %d image%s; %s%n", summary.images(),
                summary.images() == 1 ? "" : "s", info.scaleLabel()));
        out.append(table(summary));
        return out.toString();
    }

    /** The table alone (no heading line). */
    public static String table(TraceSummary summary) {
        int layers = summary.layers();
        List<String[]> rows = new ArrayList<>();
        String[] header = new String[layers + 1];
        header[0] = "kind";
        for (int l = 0; l < layers; l++) {
            header[l + 1] = "layer " + l;
        }
        rows.add(header);
        for (SweepKind k : summary.kinds()) {
            String[] row = new String[layers + 1];
            row[0] = k.label();
            for (int l = 0; l < layers; l++) {
                row[l + 1] = cell(summary.mean().get(k)[l], summary.ci95().get(k)[l]);
            }
            rows.add(row);
        }
        int[] width = new int[layers + 1];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        width[0] = Math.max(width[0], "p_corrupt".length());
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            line.append(pad(r[0], width[0], false));
            for (int i = 1; i < r.length; i++) {
                line.append("  ").append(pad(r[i], width[i], true));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        out.append(String.format(Locale.ROOT, "%-" + width[0] + "s  %.3f   (mean p(y) of the clean runs)%n",
                "p_clean", summary.pClean()));
        out.append(String.format(Locale.ROOT, "%-" + width[0] + "s  %.3f   (mean p(y) of the corrupted runs)%n",
                "p_corrupt", summary.pCorrupt()));
        return out.toString();
    }

    private static String cell(double mean, double ci) {
        if (Double.isNaN(mean)) {
            return "n/a";
        }
        String m = String.format(Locale.ROOT, "%+.3f", mean).replace("-0.000", "+0.000");
        return Double.isNaN(ci) ? m : m + String.format(Locale.ROOT, " ±%.3f", ci);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }
}
