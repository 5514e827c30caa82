package io.github.vit4j.trace;

import io.github.vit4j.format.AtomicFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Aggregate of a dataset trace: per kind and layer, the mean effect over images and its 95% confidence interval
 * half-width 1.96·sd/√n (sd the sample standard deviation); plus mean p_clean and p_corrupt. NaN effects (the
 * normalised metric when p_clean = p_corrupt) are left out of their cell's mean, and {@link #count} says how many
 * images each cell averages.
 *
 * @param images   number of images traced
 * @param kinds    the kinds, in trace order
 * @param layers   number of layers
 * @param mean     {@code kind → [layer]} mean effect
 * @param ci95     {@code kind → [layer]} CI half-width
 * @param count    {@code kind → [layer]} images averaged
 * @param pClean   mean p(target) of the clean runs
 * @param pCorrupt mean p(target) of the corrupted runs
 * @param method   how the cells were obtained (exact, or estimated by attribution patching)
 */
public record TraceSummary(int images, List<SweepKind> kinds, int layers, Map<SweepKind, double[]> mean,
                           Map<SweepKind, double[]> ci95, Map<SweepKind, int[]> count, double pClean,
                           double pCorrupt, TraceMethod method) {

    /**
     * Summarises the rows of a {@code trace.csv}, all made by {@code method}.
     *
     * @throws IllegalArgumentException for a row made by another method
     */
    public static TraceSummary fromCsv(Path csv, List<SweepKind> kinds, int layers, TraceMethod method)
            throws IOException {
        return of(TraceRow.read(csv), kinds, layers, method, csv.toString());
    }

    /**
     * Summarises a trace's rows, all made by {@code method} (an in-memory trace's, or {@link TraceRow#read}'s).
     *
     * @throws IllegalArgumentException for a row made by another method
     */
    public static TraceSummary of(List<TraceRow> rows, List<SweepKind> kinds, int layers, TraceMethod method) {
        return of(rows, kinds, layers, method, "the trace");
    }

    private static TraceSummary of(List<TraceRow> rows, List<SweepKind> kinds, int layers, TraceMethod method,
                                   String where) {
        Map<SweepKind, List<List<Double>>> values = new LinkedHashMap<>();
        for (SweepKind k : kinds) {
            List<List<Double>> perLayer = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                perLayer.add(new ArrayList<>());
            }
            values.put(k, perLayer);
        }
        Map<Integer, double[]> perImage = new LinkedHashMap<>();
        for (TraceRow row : rows) {
            if (!row.method().equals(method)) {
                throw new IllegalArgumentException(where + " has a row of image " + row.image() + " made by "
                        + row.method() + " in a summary of " + method + "; summarise each method's trace on its own");
            }
            List<List<Double>> perLayer = values.get(row.kind());
            if (perLayer == null || row.layer() < 0 || row.layer() >= layers) {
                throw new IllegalArgumentException(where + " has a row of image " + row.image() + " at kind "
                        + row.kind().label() + ", layer " + row.layer() + ", outside the summary's kinds "
                        + kinds.stream().map(SweepKind::label).toList() + " and layers 0 .. " + (layers - 1)
                        + "; summarise with the kinds and layers it was traced with");
            }
            perLayer.get(row.layer()).add(row.ie());
            perImage.put(row.image(), new double[] {row.pClean(), row.pCorrupt()});
        }
        Map<SweepKind, double[]> mean = new LinkedHashMap<>();
        Map<SweepKind, double[]> ci = new LinkedHashMap<>();
        Map<SweepKind, int[]> count = new LinkedHashMap<>();
        for (SweepKind k : kinds) {
            double[] m = new double[layers];
            double[] c = new double[layers];
            int[] n = new int[layers];
            for (int l = 0; l < layers; l++) {
                double[] v = values.get(k).get(l).stream().mapToDouble(Double::doubleValue)
                        .filter(x -> !Double.isNaN(x)).toArray();
                n[l] = v.length;
                m[l] = Arrays.stream(v).average().orElse(Double.NaN);
                c[l] = ci95(v, m[l]);
            }
            mean.put(k, m);
            ci.put(k, c);
            count.put(k, n);
        }
        double pc = perImage.values().stream().mapToDouble(p -> p[0]).average().orElse(Double.NaN);
        double pk = perImage.values().stream().mapToDouble(p -> p[1]).average().orElse(Double.NaN);
        return new TraceSummary(perImage.size(), kinds, layers, mean, ci, count, pc, pk, method);
    }

    /**
     * Writes the table as CSV, one row per kind and layer: {@code kind,layer,mean,ci95,count} (small enough to
     * commit where the full {@code trace.csv} is not).
     */
    public void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder("kind,layer,mean,ci95,count\n");
        for (SweepKind k : kinds) {
            for (int l = 0; l < layers; l++) {
                b.append(k.label()).append(',').append(l).append(',').append(mean.get(k)[l]).append(',')
                        .append(ci95.get(k)[l]).append(',').append(count.get(k)[l]).append('\n');
            }
        }
        AtomicFile.writeString(file, b.toString());
    }

    /** 1.96 · sample sd / √n; NaN for fewer than two values. */
    static double ci95(double[] v, double mean) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return 1.96 * Math.sqrt(ss / (v.length - 1)) / Math.sqrt(v.length);
    }
}
