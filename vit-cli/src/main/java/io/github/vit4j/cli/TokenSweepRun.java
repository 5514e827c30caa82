package io.github.vit4j.cli;

import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.report.Heatmaps;
import io.github.vit4j.report.TokenSweepCsv;
import io.github.vit4j.report.TraceInfo;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.ImageRuns;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * {@code vit trace --token-sweep N}: {@link CausalTrace#tokenSweep} of resid on the first N images, with the same
 * corruption (as calibrated by the dataset trace), seed, window, metric and tracked class, batched as the dataset
 * trace batches; writes {@code token_sweep.csv} and the layer × grid map of the mean.
 */
final class TokenSweepRun {

    private static final SweepKind KIND = SweepKind.RESID;

    private final Vit vit;
    private final ImageRuns runs;

    /** A sweep of {@code vit} over the clean and corrupted runs {@code runs} gives (the dataset trace's settings). */
    TokenSweepRun(Vit vit, ImageRuns runs) {
        this.vit = vit;
        this.runs = runs;
    }

    /** Sweeps the first {@code n} images and writes the CSV and the figure into {@code out}. */
    void run(int n, int window, Metric metric, TraceInfo info, Path out, IntConsumer imagesDone) throws IOException {
        CausalTrace tracer = new CausalTrace(new Patcher(vit));
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(KIND), window, Tokens.all(), metric);
        List<TokenSweepCsv.ImageSweep> sweeps = new ArrayList<>();
        imagesDone.accept(0);
        runs.forEach(0, n,
                CausalTrace.keepForClean(spec), (index, clean, corrupted, y) -> {
                    sweeps.add(new TokenSweepCsv.ImageSweep(index,
                            tracer.tokenSweep(clean, corrupted, y, KIND, window, metric)));
                    imagesDone.accept(index + 1);
                });
        int grid = vit.config().gridSize();
        TokenSweepCsv.write(out.resolve("token_sweep.csv"), sweeps, grid);
        TraceInfo swept = new TraceInfo(info.model(), info.corruption(), n, window, "one patch at a time", metric,
                info.label(), TraceMethod.exact());
        Heatmaps.tokenSweep(swept, KIND, TokenSweepCsv.mean(sweeps), grid).write(out, "token_sweep");
    }
}
