package io.github.vit4j.trace;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import java.io.IOException;

/**
 * The clean and corrupted runs of a source's images, image by image: what every dataset-level trace starts from.
 * Images are read and run in batches that start at multiples of the batch size and end at the range's end, so a
 * trace resumed at any image computes exactly what an uninterrupted one did.
 */
public final class ImageRuns {

    /** What a trace does with one image's runs. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * @param index     the image's index in the source
         * @param clean     its clean run (batch 1)
         * @param corrupted its corrupted run (batch 1), keeping {@link Patcher#keepForResume}
         * @param target    the class tracked
         */
        void visit(int index, Activations clean, Activations corrupted, int target) throws IOException;
    }

    /** What a trace does with one batch's runs. */
    @FunctionalInterface
    public interface BatchVisitor {
        /**
         * @param first     the source index of the batch's first image (images before the range's start are in the
         *                  batch too, so that batches are always the same; skip them)
         * @param clean     the batch's clean runs, closed after the visit
         * @param corrupted the batch's corrupted runs, closed after the visit
         * @param targets   the class tracked for each image of the batch
         */
        void visit(int first, Activations clean, Activations corrupted, int[] targets) throws IOException;
    }

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Corruption corruption;
    private final DatasetTrace.Target target;
    private final long seed;
    private final int batchSize;

    /**
     * @param corruption a corruption as calibrated for the whole trace
     * @param seed       the seed of the corruption's randomness
     * @param batchSize  images per clean/corrupted batch
     * @throws IllegalArgumentException when the batch size is not positive, or the target is the true label and
     *                                  the source's labels are not the model's classes (see
     *                                  {@link ImageSource#checkLabelsFit})
     */
    public ImageRuns(Vit vit, Preprocessing preprocessing, ImageSource source, Corruption corruption,
                     DatasetTrace.Target target, long seed, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        checkTarget(vit, source, target);
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.source = source;
        this.corruption = corruption;
        this.target = target;
        this.seed = seed;
        this.batchSize = batchSize;
    }

    /**
     * Visits images {@code from .. to − 1} in order. Their clean runs keep {@code cleanKeep} (plus {@code embed}
     * when the corruption needs it); their corrupted runs keep what resumed patching needs.
     */
    public void forEach(int from, int to, Keep cleanKeep, Visitor visitor) throws IOException {
        forEachBatch(from, to, cleanKeep, Patcher.keepForResume(vit.config()), (first, clean, corrupt, targets) -> {
            for (int i = 0; i < targets.length; i++) {          // the visitor gets copies: the batch's runs are
                if (first + i >= from) {                        // closed after it, for the next batch to reuse
                    visitor.visit(first + i, clean.image(i), corrupt.image(i), targets[i]);
                }
            }
        });
    }

    /**
     * Visits the batches that hold images {@code from .. to − 1}, in order, each whole (its first image is at a
     * multiple of the batch size, which may be before {@code from}). Clean runs keep {@code cleanKeep} (plus
     * {@code embed} when the corruption needs it), corrupted runs {@code corruptedKeep}.
     */
    public void forEachBatch(int from, int to, Keep cleanKeep, Keep corruptedKeep, BatchVisitor visitor)
            throws IOException {
        Keep keep = cleanKeep;
        if (corruption.needsCleanEmbed()) {
            keep = keep.and(Keep.sites(Site.embed()));
        }
        for (int first = from / batchSize * batchSize; first < to; first += batchSize) {
            int count = Math.min(batchSize, to - first);
            ImageSource.Batch batch = source.read(first, count, preprocessing);
            try (Activations clean = vit.run(batch.input(), keep);
                 Activations corrupt = corruption.run(vit, new Corruption.Images(batch, seed), clean, corruptedKeep)) {
                visitor.visit(first, clean, corrupt, targets(batch, count, clean));
            }
        }
    }

    /** Refuses to track the true label when the source's labels are not the model's classes. */
    static void checkTarget(Vit vit, ImageSource source, DatasetTrace.Target target) {
        if (target == DatasetTrace.Target.TRUE_LABEL) {
            try {
                source.checkLabelsFit(vit.config().classes(), "track the clean run's top-1 class instead "
                        + "(DatasetTrace.Target.CLEAN_TOP1)");
            } catch (IllegalArgumentException e) {
                SettingException wrong = new SettingException(e.getMessage(), DatasetTrace.Setting.TARGET);
                wrong.initCause(e);
                throw wrong;
            }
        }
    }

    /** The class each image of the batch is traced for: the clean run's top-1 (softmax only then) or its label. */
    private int[] targets(ImageSource.Batch batch, int count, Activations clean) {
        int[] targets = new int[count];
        if (target == DatasetTrace.Target.CLEAN_TOP1) {
            Predictions predictions = Predictions.of(clean.logits());
            for (int i = 0; i < count; i++) {
                targets[i] = predictions.top1(i).index();
            }
            return targets;
        }
        for (int i = 0; i < count; i++) {
            int image = i;
            targets[i] = batch.label(i).orElseThrow(() -> new SettingException("image " + batch.index(image)
                    + " (" + batch.names().get(image) + ") has no label; track the clean run's top-1 class instead "
                    + "(DatasetTrace.Target.CLEAN_TOP1)", DatasetTrace.Setting.TARGET));
        }
        return targets;
    }
}
