package io.github.vit4j.cli;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.report.Heatmaps;
import io.github.vit4j.report.TokenSweepCsv;
import io.github.vit4j.report.TraceInfo;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
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
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Corruption corruption;
    private final DatasetTrace.Target target;
    private final long seed;
    private final int batch;

    TokenSweepRun(Vit vit, Preprocessing preprocessing, ImageSource source, Corruption calibrated,
                  DatasetTrace.Target target, long seed, int batch) {
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.source = source;
        this.corruption = calibrated;
        this.target = target;
        this.seed = seed;
        this.batch = batch;
    }

    /** Sweeps the first {@code n} images and writes the CSV and the figure into {@code out}. */
    void run(int n, int window, Metric metric, TraceInfo info, Path out, IntConsumer imagesDone) throws IOException {
        CausalTrace tracer = new CausalTrace(new Patcher(vit));
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(KIND), window, Tokens.all(), metric);
        Keep resume = Patcher.keepForResume(vit.config());
        Keep cleanKeep = CausalTrace.keepForClean(spec).and(resume);
        if (corruption.needsCleanEmbed()) {
            cleanKeep = cleanKeep.and(Keep.sites(Site.embed()));
        }
        List<TokenSweepCsv.ImageSweep> sweeps = new ArrayList<>();
        imagesDone.accept(0);
        for (int first = 0; first < n; first += batch) {
            int count = Math.min(batch, n - first);
            ImageSource.Batch b = source.readPixels(first, count, preprocessing);
            int[] indices = new int[count];
            for (int i = 0; i < count; i++) {
                indices[i] = first + i;
            }
            Activations clean = vit.run(Input.pixels(preprocessing.normalize(b.pixels())), cleanKeep);
            Activations corrupt = corruption.run(vit, new Corruption.Images(b.pixels(), preprocessing, indices, seed),
                    clean, resume);
            for (int i = 0; i < count; i++) {
                Activations c = clean.image(i);
                int y = target == DatasetTrace.Target.CLEAN_TOP1
                        ? Metric.argmax(c.logits().dup().data().asFloat())
                        : b.label(i).orElseThrow(() -> new IllegalArgumentException("image " + b.names().get(0)
                                + " has no label; use --label clean-top1"));
                double[][] e = tracer.tokenSweep(c, corrupt.image(i), y, KIND, window, metric);
                sweeps.add(new TokenSweepCsv.ImageSweep(first + i, e));
                imagesDone.accept(first + i + 1);
            }
        }
        int grid = vit.config().gridSize();
        TokenSweepCsv.write(out.resolve("token_sweep.csv"), sweeps, grid);
        TraceInfo swept = new TraceInfo(info.model(), info.corruption(), n, window, "one patch at a time", metric,
                info.label());
        Heatmaps.tokenSweep(swept, KIND, TokenSweepCsv.mean(sweeps), grid).write(out, "token_sweep");
    }
}
