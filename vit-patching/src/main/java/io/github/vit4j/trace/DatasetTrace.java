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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Causal tracing over a dataset: images are run in fixed batches (clean and corrupted runs batched), each image is
 * traced with {@link CausalTrace} (or each batch estimated with {@link AttributionPatching}, as the options'
 * {@link TraceMethod} says) into its {@link TraceRow}s. Only one batch's runs are held at a time.
 *
 * <p>Two forms give the same rows. {@link #trace} returns them in memory, with their {@link TraceSummary}.
 * {@link #run} appends each image's rows to {@code trace.csv} in a folder and flushes them as soon as the image is
 * finished; it is resumable: a run killed at any point and restarted with the same arguments keeps every image
 * already complete in {@code trace.csv}, drops a partly written one, and goes on. Batches always start at multiples
 * of the batch size, so a resumed run computes every image exactly as an uninterrupted one and the file is
 * byte-identical. {@code trace.meta.properties} records everything that determines the rows (every field of
 * {@link Options} but the limit, the model, the images; see {@code TraceSettings}); restarting with anything else in
 * the same folder is refused rather than mixing two traces, and so is a {@code trace.csv} with rows out of place
 * anywhere but at its end. Restarting with a larger limit extends the trace: the images already traced keep their
 * rows (they are checked to be the same images) and the new ones are appended. One folder has one writer: a run
 * holds {@code trace.lock} in it, also while the caller's {@link Reports} are written, and a second run into the
 * folder fails at once.
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

        public static Target parse(String label) {
            for (Target t : values()) {
                if (t.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown label choice '" + label + "'; expected true or clean-top1");
        }
    }

    /**
     * The settings of a dataset trace, each a component of {@link Options} or of its {@link CausalTrace.Spec}: what a
     * {@link SettingException} names as values, so that a program that sets them its own way (a command line's
     * flags) can say how without reading messages. In a trace's folder they are recorded under stable keys
     * ({@code trace.meta.properties}, described in docs/guarantees.md), not under these names.
     */
    public enum Setting {
        /** {@link Options#corruption()} */
        CORRUPTION,
        /** {@link CausalTrace.Spec#kinds()} */
        KINDS,
        /** {@link CausalTrace.Spec#window()} */
        WINDOW,
        /** {@link CausalTrace.Spec#tokens()} */
        TOKENS,
        /** {@link CausalTrace.Spec#metric()} */
        METRIC,
        /** {@link Options#method()} */
        METHOD,
        /** {@link Options#target()} */
        TARGET,
        /** {@link Options#seed()} */
        SEED,
        /** {@link Options#batchSize()} */
        BATCH_SIZE,
        /** {@link Options#limit()} */
        LIMIT
    }

    /**
     * A dataset trace's settings.
     *
     * @param corruption how inputs are corrupted (calibrated on the source's first 64 images if
     *                   it needs it, however many are traced)
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
                throw new SettingException("a trace needs a method: TraceMethod.exact(), atp() or atpIg(K)",
                        Setting.METHOD);
            }
            if (batchSize <= 0) {
                throw new SettingException("batch size must be positive, got " + batchSize, Setting.BATCH_SIZE);
            }
            if (limit <= 0) {
                throw new SettingException("limit must be positive, got " + limit, Setting.LIMIT);
            }
        }
    }

    /**
     * What a trace into a folder produced.
     *
     * @param summary    the aggregate over all images
     * @param corruption the corruption as calibrated (its description names every parameter)
     * @param csv        the per-image rows ({@link TraceRow#read} reads them)
     * @param resumed    images found complete from an earlier run
     */
    public record Result(TraceSummary summary, Corruption corruption, Path csv, int resumed) {
    }

    /**
     * What an in-memory trace produced.
     *
     * @param rows       the images' rows, image by image, in kind and layer order: the lines {@link #run} writes
     * @param summary    the aggregate over the images
     * @param corruption the corruption as calibrated (its description names every parameter)
     */
    public record Traced(List<TraceRow> rows, TraceSummary summary, Corruption corruption) {
        public Traced {
            rows = List.copyOf(rows);
        }
    }

    /** What a caller writes into a trace's folder after the trace, while {@link #run} still holds its lock. */
    @FunctionalInterface
    public interface Reports {
        /** Writes the reports of the finished trace {@code result} (summary, figures, …) into its folder. */
        void write(Result result) throws IOException;
    }

    /** Images whose clean runs calibrate a corruption (e.g. the noise σ). */
    public static final int CALIBRATION_IMAGES = 64;

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Options options;
    private final CausalTrace tracer;
    private final AttributionPatching estimator;

    /**
     * @throws IllegalArgumentException when the options track the true label and the source's labels are not the
     *                                  model's classes (CIFAR-10's 10 against 1000: use {@link Target#CLEAN_TOP1}), or
     *                                  their metric softmaxes the output of a model without classifier
     *                                  ({@link Metric#checkFits})
     */
    public DatasetTrace(Vit vit, Preprocessing preprocessing, ImageSource source, Options options) {
        ImageRuns.checkTarget(vit, source, options.target());
        options.spec().metric().checkFits(vit.config());
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
     * Traces all {@link #images()} in memory: no folder, no file.
     *
     * @param imagesDone called with the number of images complete after each one (for a progress bar)
     */
    public Traced trace(IntConsumer imagesDone) throws IOException {
        return trace(0, images(), imagesDone);
    }

    /**
     * Traces images {@code from .. to − 1} in memory: no folder, no file. Their rows are those {@link #run} writes
     * for them (exactly, when {@code to} is a multiple of the batch size or {@link #images()}: batches are the same).
     *
     * @param from       the first image traced
     * @param to         one past the last image traced, at most {@link #images()}
     * @param imagesDone called with the number of the range's images complete after each one (for a progress bar)
     * @throws IllegalArgumentException for a range that is empty or reaches outside {@code 0 .. images() − 1}
     */
    public Traced trace(int from, int to, IntConsumer imagesDone) throws IOException {
        int n = images();
        if (from < 0 || to <= from || to > n) {
            throw new SettingException("images " + from + " .. " + (to - 1) + " requested, but this trace "
                    + "covers images 0 .. " + (n - 1) + " (DatasetTrace.Options.limit() " + options.limit()
                    + ", a source of " + source.size() + "); give a range from ≥ 0 to ≤ " + n + " with from < to",
                    Setting.LIMIT);
        }
        Corruption corruption = calibrated();
        List<TraceRow> rows = new ArrayList<>();
        traceImages(corruption, from, to, rows::addAll, index -> imagesDone.accept(index + 1 - from));
        CausalTrace.Spec spec = options.spec();
        TraceSummary summary = TraceSummary.of(rows, spec.kinds(), vit.config().layers(), options.method());
        return new Traced(rows, summary, corruption);
    }

    /**
     * Runs, resumes or extends the trace into {@code outDir}, holding the folder's lock ({@code trace.lock})
     * throughout; {@link #run(Path, IntConsumer, Reports)} also writes the caller's reports under it.
     *
     * @param outDir     the trace's folder, created if needed: {@code trace.csv}, {@code trace.meta.properties} and
     *                   {@code trace.lock} are written there
     * @param imagesDone called with the number of images complete after each one, first with those found complete
     *                   (for a progress bar)
     * @throws IOException              at once when another trace is writing to {@code outDir}; when its
     *                                  trace.csv holds rows out of place (not what a killed run leaves)
     * @throws IllegalArgumentException when {@code outDir} holds a trace of another model, other images or other
     *                                  options, or of more images than this trace covers (a trace is never cut
     *                                  short), or a Spark trace ({@link TraceFolder#lockToRewrite})
     */
    public Result run(Path outDir, IntConsumer imagesDone) throws IOException {
        return run(outDir, imagesDone, result -> { });
    }

    /**
     * Runs, resumes or extends the trace into {@code outDir}, then has {@code reports} write the caller's reports
     * into it, holding the folder's lock ({@code trace.lock}) throughout: a second trace into the folder fails at
     * once until both are done, so it never meets half-written reports.
     *
     * @param outDir     the trace's folder, created if needed: {@code trace.csv}, {@code trace.meta.properties} and
     *                   {@code trace.lock} are written there
     * @param imagesDone called with the number of images complete after each one, first with those found complete
     *                   (for a progress bar)
     * @param reports    writes what the caller makes of the finished trace (summary, figures), under the lock
     * @throws IOException              at once when another trace is writing to {@code outDir}; when its
     *                                  trace.csv holds rows out of place (not what a killed run leaves); what
     *                                  {@code reports} throws
     * @throws IllegalArgumentException when {@code outDir} holds a trace of another model, other images or other
     *                                  options, or of more images than this trace covers (a trace is never cut
     *                                  short), or a Spark trace ({@link TraceFolder#lockToRewrite})
     */
    public Result run(Path outDir, IntConsumer imagesDone, Reports reports) throws IOException {
        try (TraceFolder folder = TraceFolder.lock(outDir)) {
            int n = images();
            Corruption corruption = calibrated();
            checkFolder(folder, TraceSettings.of(vit.weights(), preprocessing, source, options, corruption), n);
            CausalTrace.Spec spec = options.spec();
            int layers = vit.config().layers();
            int done = folder.keepCompleteImages(spec.kinds(), layers, spec.window(), options.method(), n);
            imagesDone.accept(done);
            try (Writer out = Files.newBufferedWriter(folder.csv(), StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND)) {
                traceImages(corruption, done, n, rows -> write(out, rows), index -> imagesDone.accept(index + 1));
            }
            TraceSummary summary = TraceSummary.fromCsv(folder.csv(), spec.kinds(), layers, options.method());
            Result result = new Result(summary, corruption, folder.csv(), done);
            reports.write(result);
            return result;
        }
    }

    /**
     * Checks that the folder holds no trace, this trace, or this trace of fewer images (which it then extends), and
     * records this trace's settings.
     */
    private void checkFolder(TraceFolder folder, Map<String, String> settings, int n) throws IOException {
        Map<String, String> recorded = folder.recorded();
        if (recorded.isEmpty()) {
            folder.record(TraceSettings.traced(settings, source, preprocessing, n).get(0));
            return;
        }
        int before = TraceSettings.tracedImages(recorded, n);
        if (before > n) {
            throw new SettingException(folder.dir() + " holds a trace of the first " + before + " images, "
                    + "but this trace covers " + n + " (DatasetTrace.Options.limit() " + options.limit() + ", a "
                    + "source of " + source.size() + "), and a trace is never cut short: its rows would be lost. Give "
                    + "a limit of " + before + " or more to resume or extend it, read its rows with TraceRow.read and "
                    + "keep the first " + n + " images', or trace into another folder", Setting.LIMIT);
        }
        List<Map<String, String>> traced = TraceSettings.traced(settings, source, preprocessing, before, n);
        folder.checkSame(recorded, traced.get(0));
        if (before < n || !TraceSettings.CURRENT_FORMAT.equals(recorded.get(TraceSettings.FORMAT))) {
            folder.record(traced.get(1));
        }
    }

    /** Traces images {@code from .. to − 1}, handing each one's rows to {@code out} as soon as it is finished. */
    private void traceImages(Corruption corruption, int from, int to, ImageRows out, IntConsumer imageDone)
            throws IOException {
        ImageRuns runs = new ImageRuns(vit, preprocessing, source, corruption, options.target(), options.seed(),
                options.batchSize());
        CausalTrace.Spec spec = options.spec();
        if (!options.method().estimated()) {
            runs.forEach(from, to, CausalTrace.keepForClean(spec), (index, clean, corrupted, target) -> {
                out.accept(rows(index, tracer.trace(clean, corrupted, target, spec)));
                imageDone.accept(index);
            });
        } else {
            runs.forEachBatch(from, to, AttributionPatching.keepForClean(spec),
                    AttributionPatching.keepForCorrupted(spec), (first, clean, corrupted, targets) -> {
                        List<AttributionPatching.Estimate> estimates = estimator.estimate(clean, corrupted, targets,
                                spec, options.method());
                        for (int i = Math.max(0, from - first); i < targets.length; i++) {
                            out.accept(rows(first + i, estimates.get(i).cells()));
                            imageDone.accept(first + i);
                        }
                    });
        }
    }

    /** Where one image's rows go. */
    @FunctionalInterface
    private interface ImageRows {
        void accept(List<TraceRow> rows) throws IOException;
    }

    /** One image's rows, kind by kind and layer by layer. */
    private List<TraceRow> rows(int index, CausalTrace.ImageTrace t) {
        List<TraceRow> rows = new ArrayList<>();
        for (int k = 0; k < t.kinds().size(); k++) {
            for (int l = 0; l < vit.config().layers(); l++) {
                rows.add(new TraceRow(index, t.target(), t.pClean(), t.pCorrupt(), t.kinds().get(k), l,
                        options.spec().window(), t.pPatched()[k][l], t.effect()[k][l], options.method()));
            }
        }
        return rows;
    }

    /** Appends one image's rows and flushes them. */
    private static void write(Writer out, List<TraceRow> rows) throws IOException {
        StringBuilder text = new StringBuilder();
        for (TraceRow row : rows) {
            text.append(TraceCsv.format(row)).append('\n');
        }
        out.write(text.toString());
        out.flush();
    }

    /**
     * The options' corruption, calibrated on the source's first 64 images when it needs it (noise's σ), else as
     * given: the same however many images are traced, so that a trace extended to more images goes on with the same
     * corruption. A distributed trace calibrates once, on the first images, and gives every worker the calibrated
     * corruption in its options (a calibrated corruption is not calibrated again).
     *
     * @throws IOException when the source's first images cannot be read
     */
    public Corruption calibrated() throws IOException {
        Corruption c = options.corruption();
        if (!c.needsCalibration()) {
            return c;
        }
        int count = Math.min(source.size(), CALIBRATION_IMAGES);
        ImageSource.Batch sample = source.read(0, count, preprocessing);
        return c.calibrate(vit.run(sample.input(), Keep.sites(Site.embed())));
    }
}
