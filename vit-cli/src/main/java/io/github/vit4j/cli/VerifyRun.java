package io.github.vit4j.cli;

import io.github.vit4j.patching.Patcher;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.EstimateCheck;
import io.github.vit4j.trace.ImageRuns;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * {@code vit trace --verify-top N}: for each image of an estimated trace, the N cells with the largest |estimate|
 * patched exactly ({@link EstimateCheck}), with the trace's corruption (as calibrated), seed, batches and class;
 * writes {@code verify.csv} and returns the per-kind agreement.
 */
final class VerifyRun {

    private final Patcher patcher;
    private final ImageRuns runs;

    VerifyRun(Patcher patcher, ImageRuns runs) {
        this.patcher = patcher;
        this.runs = runs;
    }

    /** Checks the first {@code n} images of {@code traceCsv} and writes {@code verify.csv} into {@code out}. */
    List<EstimateCheck.Agreement> run(Path traceCsv, int n, CausalTrace.Spec spec, int top, Path out,
                                      IntConsumer imagesDone) throws IOException {
        int layers = patcher.vit().config().layers();
        Map<Integer, double[][]> estimates = new HashMap<>();
        for (TraceRow row : TraceRow.read(traceCsv)) {
            estimates.computeIfAbsent(row.image(), i -> new double[spec.kinds().size()][layers])
                    [spec.kinds().indexOf(row.kind())][row.layer()] = row.ie();
        }
        EstimateCheck check = new EstimateCheck(patcher);
        List<EstimateCheck.Cell> cells = new ArrayList<>();
        imagesDone.accept(0);
        runs.forEach(0, n, CausalTrace.keepForClean(spec), (index, clean, corrupted, target) -> {
            cells.addAll(check.check(index, clean, corrupted, target, estimates.get(index), spec, top));
            imagesDone.accept(index + 1);
        });
        EstimateCheck.writeCsv(out.resolve("verify.csv"), cells);
        return EstimateCheck.agreement(cells, spec.kinds());
    }
}
