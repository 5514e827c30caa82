package io.github.vit4j.trace;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.model.Activations;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Checks an estimated trace ({@link AttributionPatching}) against exact patching where it matters most: for each
 * image, the cells the estimate ranks highest by magnitude |estimate| (a large negative estimate is as strong a
 * claim as a large positive one) are patched exactly, and the two are compared per kind.
 */
public final class EstimateCheck {

    /** One checked cell of one image: the estimate and the exact patched effect, in the trace's metric. */
    public record Cell(int image, SweepKind kind, int layer, double estimate, double exact) {
    }

    /**
     * How well estimates and exact effects agree over the checked cells of one kind.
     *
     * @param cells         cells checked (with both values finite)
     * @param signAgreement fraction whose estimate has the exact effect's sign (0 counts as its own sign)
     * @param meanAbsError  mean |estimate − exact|
     * @param correlation   Pearson correlation of estimate and exact (NaN for fewer than 2 cells or no spread)
     */
    public record Agreement(SweepKind kind, int cells, double signAgreement, double meanAbsError, double correlation) {
    }

    /** The header of {@code verify.csv}. */
    public static final String HEADER = "image,kind,layer,estimate,exact";

    private final CausalTrace tracer;
    private final Patcher patcher;

    public EstimateCheck(Patcher patcher) {
        this.patcher = patcher;
        this.tracer = new CausalTrace(patcher);
    }

    /**
     * Patches exactly the {@code top} cells of one image that {@code estimate} ranks highest by magnitude.
     *
     * @param clean     the image's clean run (batch 1), keeping {@link CausalTrace#keepForClean}
     * @param corrupted its corrupted run (batch 1), keeping {@link Patcher#keepForResume}
     * @param estimate  {@code [kind][layer]} the estimated effects, kinds in {@code spec}'s order
     */
    public List<Cell> check(int image, Activations clean, Activations corrupted, int target, double[][] estimate,
                            CausalTrace.Spec spec, int top) {
        if (top < 1) {
            throw new IllegalArgumentException("check at least 1 cell per image, got " + top);
        }
        List<int[]> cells = new ArrayList<>();
        for (int k = 0; k < estimate.length; k++) {
            for (int l = 0; l < estimate[k].length; l++) {
                if (!Double.isNaN(estimate[k][l])) {
                    cells.add(new int[] {k, l});
                }
            }
        }
        cells.sort(Comparator.comparingDouble((int[] c) -> -Math.abs(estimate[c[0]][c[1]])));
        List<int[]> chosen = cells.subList(0, Math.min(top, cells.size()));
        List<List<Patch>> configurations = new ArrayList<>();
        for (int[] c : chosen) {
            configurations.add(tracer.windowPatches(clean, spec.kinds().get(c[0]), c[1], spec.window(),
                    spec.tokens()));
        }
        List<Cell> out = new ArrayList<>();
        if (configurations.isEmpty()) {
            return out;
        }
        var logits = patcher.logits(corrupted, configurations);
        float[] cleanLogits = CausalTrace.row(clean.logits(), 0);
        float[] corruptLogits = CausalTrace.row(corrupted.logits(), 0);
        for (int i = 0; i < chosen.size(); i++) {
            int[] c = chosen.get(i);
            double exact = spec.metric().effect(cleanLogits, corruptLogits, CausalTrace.row(logits, i), target);
            out.add(new Cell(image, spec.kinds().get(c[0]), c[1], estimate[c[0]][c[1]], exact));
        }
        return out;
    }

    /** The agreement of each kind's checked cells, kinds in the order given. */
    public static List<Agreement> agreement(List<Cell> cells, List<SweepKind> kinds) {
        List<Agreement> out = new ArrayList<>();
        for (SweepKind kind : kinds) {
            List<Cell> mine = cells.stream().filter(c -> c.kind() == kind)
                    .filter(c -> Double.isFinite(c.estimate()) && Double.isFinite(c.exact())).toList();
            int n = mine.size();
            double sign = 0;
            double err = 0;
            double[] e = new double[n];
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                Cell c = mine.get(i);
                sign += Math.signum(c.estimate()) == Math.signum(c.exact()) ? 1 : 0;
                err += Math.abs(c.estimate() - c.exact());
                e[i] = c.estimate();
                x[i] = c.exact();
            }
            out.add(new Agreement(kind, n, n == 0 ? Double.NaN : sign / n, n == 0 ? Double.NaN : err / n,
                    correlation(e, x)));
        }
        return out;
    }

    /** The agreement as a table for the terminal, one line per kind; lines end with {@code \n}. */
    public static String table(List<Agreement> agreement) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-6s %6s %10s %14s %12s%n", "kind", "cells",
                "same sign", "mean |error|", "correlation"));
        for (Agreement a : agreement) {
            b.append(String.format(Locale.ROOT, "%-6s %6d %9.1f%% %14.4g %12.3f%n", a.kind().label(), a.cells(),
                    100 * a.signAgreement(), a.meanAbsError(), a.correlation()));
        }
        return b.toString();
    }

    /** Writes {@code verify.csv}: {@link #HEADER}, one row per checked cell. */
    public static void writeCsv(Path file, List<Cell> cells) throws IOException {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (Cell c : cells) {
            b.append(c.image()).append(',').append(c.kind().label()).append(',').append(c.layer()).append(',')
                    .append(c.estimate()).append(',').append(c.exact()).append('\n');
        }
        AtomicFile.writeString(file, b.toString());
    }

    private static double correlation(double[] a, double[] b) {
        int n = a.length;
        if (n < 2) {
            return Double.NaN;
        }
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i] / n;
            mb += b[i] / n;
        }
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }
}
