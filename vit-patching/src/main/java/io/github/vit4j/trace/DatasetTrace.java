package io.github.vit4j.trace;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

/**
 * Causal tracing over a dataset: images are run in fixed batches (clean and corrupted runs batched), each image is
 * traced with {@link CausalTrace} (or each batch estimated with {@link AttributionPatching}, as the options'
 * {@link TraceMethod} says), and its rows are appended to {@code trace.csv} and flushed as soon as it is finished.
 * Only one batch's runs are held at a time.
 *
 * <p>Resumable: a run killed at any point and restarted with the same arguments keeps every image already
 * complete in {@code trace.csv}, drops a partly written one, and goes on. Batches always start at multiples of the
 * batch size, so a resumed run computes every image exactly as an uninterrupted one and the file is
 * byte-identical. {@code trace.meta.properties} records the arguments; restarting with other arguments in the same
 * folder is refused rather than mixing two traces.
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
     * Runs (or resumes) the trace into {@code outDir}.
     *
     * @param identity     a description of everything that determines the result (model, source, arguments); a
     *                     folder holding a trace of another identity is refused
     * @param imagesDone   called with the number of images complete after each one (for a progress bar)
     */
    public Result run(Path outDir, String identity, IntConsumer imagesDone) throws IOException {
        Files.createDirectories(outDir);
        int n = images();
        Corruption corruption = calibrate(n);
        checkIdentity(outDir.resolve("trace.meta.properties"), identity + "\ncorruption=" + corruption.describe());
        Path csv = outDir.resolve("trace.csv");
        int rowsPerImage = options.spec().kinds().size() * vit.config().layers();
        int done = keepCompleteImages(csv, rowsPerImage);
        int resumed = done;
        imagesDone.accept(done);
        try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            if (done == 0) {
                out.write(TraceCsv.HEADER + "\n");
                out.flush();
            }
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
        TraceSummary summary = TraceSummary.fromCsv(csv, options.spec().kinds(), vit.config().layers(),
                options.method());
        return new Result(summary, corruption, csv, resumed);
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
        return c.calibrate(vit.run(Input.pixels(sample.pixels()), Keep.sites(Site.embed())));
    }

    /**
     * Keeps the leading images of {@code csv} that have all their rows, rewriting the file without a trailing
     * partial image or line; returns how many images are complete.
     */
    static int keepCompleteImages(Path csv, int rowsPerImage) throws IOException {
        if (!Files.exists(csv)) {
            return 0;
        }
        List<String> keep = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int expectedImage = 0;
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (header == null || !header.equals(TraceCsv.HEADER)) {
                Files.delete(csv);
                return 0;
            }
            String line;
            while ((line = r.readLine()) != null) {
                TraceCsv.Row row;
                try {
                    row = TraceCsv.Row.parse(line);
                } catch (IllegalArgumentException e) {
                    break;
                }
                if (row.image() != expectedImage) {
                    break;
                }
                current.add(line);
                if (current.size() == rowsPerImage) {
                    keep.addAll(current);
                    current.clear();
                    expectedImage++;
                }
            }
        }
        AtomicFile.writeString(csv, TraceCsv.HEADER + "\n" + keep.stream().map(l -> l + "\n").collect(Collectors.joining()));
        return expectedImage;
    }

    private static void checkIdentity(Path meta, String identity) throws IOException {
        Properties want = new Properties();
        want.load(new java.io.StringReader(identity));
        if (Files.exists(meta)) {
            Properties have = new Properties();
            try (var in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
                have.load(in);
            }
            if (!have.equals(want)) {
                Map<Object, Object> diff = new LinkedHashMap<>();
                for (Object k : want.keySet()) {
                    if (!want.get(k).equals(have.get(k))) {
                        diff.put(k, have.get(k) + " -> " + want.get(k));
                    }
                }
                throw new IllegalArgumentException(meta.getParent() + " holds a trace made with other arguments "
                        + diff + "; choose another --out folder or delete it to start over");
            }
            return;
        }
        try (Writer w = Files.newBufferedWriter(meta, StandardCharsets.UTF_8)) {
            want.store(w, "vit4j trace: a restart with the same arguments resumes this trace");
        }
    }
}
