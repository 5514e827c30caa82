package io.github.vit4j.trace;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Causal tracing over a dataset: images are run in fixed batches (clean and corrupted runs batched), each image is
 * traced with {@link CausalTrace} (or each batch estimated with {@link AttributionPatching}, as the options'
 * {@link TraceMethod} says), and its rows are appended to {@code trace.csv} and flushed as soon as it is finished.
 * Only one batch's runs are held at a time.
 *
 * <p>Resumable: a run killed at any point and restarted with the same arguments keeps every image already
 * complete in {@code trace.csv}, drops a partly written one, and goes on. Batches always start at multiples of the
 * batch size, so a resumed run computes every image exactly as an uninterrupted one and the file is
 * byte-identical. {@code trace.meta.properties} records everything that determines the rows (every field of
 * {@link Options}, the model, the images; see {@code TraceSettings}); restarting with anything else in the same
 * folder is refused rather than mixing two traces, and so is a {@code trace.csv} with rows out of place anywhere
 * but at its end. One folder has one writer: a run holds {@code trace.lock} in it, and a second run into the folder
 * fails at once.
 */
public final class DatasetTrace {

    /** Which class a trace tracks. */
    public enum Target {
        /** The dataset's label. */
        TRUE_LABEL("true"),
        /** The clean run's top-1 class (for a model whose classes are not the dataset's). */
        CLEAN_TOP1("clean-top1");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Target of(String label) {
            for (Target t : values()) {
                if (t.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown label choice '" + label + "'; expected true or clean-top1");
        }
    }

    /**
     * A dataset trace's settings.
     *
     * @param corruption how inputs are corrupted (calibrated on the first images if it needs it)
     * @param spec       kinds, window, tokens and metric
     * @param method     exact patched runs, or an attribution-patching estimate
     * @param target     the class tracked
     * @param seed       seed of the corruption's randomness
     * @param batchSize  images per clean/corrupted batch
     * @param limit      trace the first {@code limit} images of the source (at most its size)
     */
    public record Options(Corruption corruption, CausalTrace.Spec spec, TraceMethod method, Target target, long seed,
                          int batchSize, int limit) {
        public Options {
            if (method == null) {
                throw new IllegalArgumentException("a trace needs a method: TraceMethod.exact(), atp() or atpIg(K)");
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
            }
            if (limit <= 0) {
                throw new IllegalArgumentException("limit must be positive, got " + limit);
            }
        }
    }

    /**
     * What a finished trace produced.
     *
     * @param summary    the aggregate over all images
     * @param corruption the corruption as calibrated (its description names every parameter)
     * @param csv        the per-image rows
     * @param resumed    images found complete from an earlier run
     */
    public record Result(TraceSummary summary, Corruption corruption, Path csv, int resumed) {
    }

    /** Images whose clean runs calibrate a corruption (e.g. the noise σ). */
    static final int CALIBRATION_IMAGES = 64;

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Options options;
    private final CausalTrace tracer;
    private final AttributionPatching estimator;

    /**
     * @throws IllegalArgumentException when the options track the true label and the source's labels are not the
     *                                  model's classes (CIFAR-10's 10 against 1000: use {@link Target#CLEAN_TOP1})
     */
    public DatasetTrace(Vit vit, Preprocessing preprocessing, ImageSource source, Options options) {
        ImageRuns.checkTarget(vit, source, options.target());
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.source = source;
        this.options = options;
        this.tracer = new CausalTrace(new Patcher(vit));
        this.estimator = new AttributionPatching(vit);
    }

    /** Number of images this trace covers. */
    public int images() {
        return Math.min(options.limit(), source.size());
    }

    /**
     * Runs (or resumes) the trace into {@code outDir}, holding the folder's lock ({@code trace.lock}) throughout.
     *
     * @param identity     the caller's description of the trace (Properties text: e.g. where its model and images
     *                     come from), recorded and compared with everything this trace records itself
     * @param imagesDone   called with the number of images complete after each one (for a progress bar)
     * @throws IOException              at once when another trace is writing to {@code outDir}; when its
     *                                  trace.csv holds rows out of place (not what a killed run leaves)
     * @throws IllegalArgumentException when {@code outDir} holds a trace of another model, other images or other
     *                                  options
     */
    public Result run(Path outDir, String identity, IntConsumer imagesDone) throws IOException {
        try (TraceFolder folder = TraceFolder.lock(outDir)) {
            int n = images();
            Corruption corruption = calibrate(n);
            folder.checkSettings(TraceSettings.of(vit.weights(), preprocessing, source, options, corruption, n,
                    identity));
            CausalTrace.Spec spec = options.spec();
            int layers = vit.config().layers();
            int done = folder.keepCompleteImages(spec.kinds(), layers, spec.window(), options.method(), n);
            imagesDone.accept(done);
            append(folder.csv(), corruption, done, n, imagesDone);
            TraceSummary summary = TraceSummary.fromCsv(folder.csv(), spec.kinds(), layers, options.method());
            return new Result(summary, corruption, folder.csv(), done);
        }
    }

    /** Traces images {@code done .. n − 1}, appending each one's rows to {@code csv} as soon as it is finished. */
    private void append(Path csv, Corruption corruption, int done, int n, IntConsumer imagesDone) throws IOException {
        try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            ImageRuns runs = new ImageRuns(vit, preprocessing, source, corruption, options.target(),
                    options.seed(), options.batchSize());
            CausalTrace.Spec spec = options.spec();
            if (!options.method().estimated()) {
                runs.forEach(done, n, CausalTrace.keepForClean(spec), (index, clean, corrupted, target) -> {
                    write(out, index, tracer.trace(clean, corrupted, target, spec));
                    imagesDone.accept(index + 1);
                });
            } else {
                runs.forEachBatch(done, n, AttributionPatching.keepForClean(spec),
                        AttributionPatching.keepForCorrupted(spec), (first, clean, corrupted, targets) -> {
                            List<AttributionPatching.Estimate> estimates = estimator.estimate(clean, corrupted,
                                    targets, spec, options.method());
                            for (int i = Math.max(0, done - first); i < targets.length; i++) {
                                write(out, first + i, estimates.get(i).cells());
                                imagesDone.accept(first + i + 1);
                            }
                        });
            }
        }
    }

    /** Appends one image's rows and flushes them. */
    private void write(Writer out, int index, CausalTrace.ImageTrace t) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int k = 0; k < t.kinds().size(); k++) {
            for (int l = 0; l < vit.config().layers(); l++) {
                rows.append(new TraceCsv.Row(index, t.target(), t.pClean(), t.pCorrupt(), t.kinds().get(k), l,
                        options.spec().window(), t.pPatched()[k][l], t.effect()[k][l], options.method()).format())
                        .append('\n');
            }
        }
        out.write(rows.toString());
        out.flush();
    }

    private Corruption calibrate(int n) throws IOException {
        Corruption c = options.corruption();
        if (!c.needsCleanEmbed()) {
            return c;
        }
        int count = Math.min(n, CALIBRATION_IMAGES);
        ImageSource.Batch sample = source.read(0, count, preprocessing);
        return c.calibrate(vit.run(sample.input(), Keep.sites(Site.embed())));
    }
}
