package io.github.vit4j.report;

import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceSummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small hand-made trace summary: 3 kinds × 4 layers, numbers chosen so every cell is easy to recognise. */
final class ReportFixtures {

    static final List<SweepKind> KINDS = List.of(SweepKind.RESID, SweepKind.ATTN, SweepKind.MLP);

    private ReportFixtures() {
    }

    static TraceSummary summary() {
        Map<SweepKind, double[]> mean = new LinkedHashMap<>();
        Map<SweepKind, double[]> ci = new LinkedHashMap<>();
        Map<SweepKind, int[]> count = new LinkedHashMap<>();
        mean.put(SweepKind.RESID, new double[] {0.40, 0.30, 0.20, 0.10});
        mean.put(SweepKind.ATTN, new double[] {0.01, 0.02, -0.03, 0.04});
        mean.put(SweepKind.MLP, new double[] {0.05, 0.06, 0.07, Double.NaN});
        ci.put(SweepKind.RESID, new double[] {0.041, 0.031, 0.021, 0.011});
        ci.put(SweepKind.ATTN, new double[] {0.001, 0.002, 0.003, 0.004});
        ci.put(SweepKind.MLP, new double[] {0.005, 0.006, 0.007, Double.NaN});
        count.put(SweepKind.RESID, new int[] {10, 10, 10, 10});
        count.put(SweepKind.ATTN, new int[] {10, 10, 10, 10});
        count.put(SweepKind.MLP, new int[] {10, 10, 10, 0});
        return new TraceSummary(10, KINDS, 4, mean, ci, count, 0.75, 0.25, TraceMethod.exact());
    }

    static TraceInfo info() {
        return new TraceInfo("simplevit-cifar10", "grayscale", 10, 3, "all", Metric.PROB, "true", TraceMethod.exact());
    }
}
