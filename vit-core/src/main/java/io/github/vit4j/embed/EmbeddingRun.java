package io.github.vit4j.embed;

import io.github.vit4j.format.Fingerprints;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Embedding;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every image's embedding ({@link Vit#embed}) over the first images of a source, in fixed batches, into one file
 * ({@code .npy} or Parquet, as an {@link EmbeddingWriter} writes it).
 *
 * <p>{@link #run} is resumable, as a dataset trace is: the rows go to a partial folder beside the output,
 * {@code FILE.partial/}, flushed batch by batch, with a record of everything that determines them (the options but
 * the limit, the model's config, preprocessing and a fingerprint of its weights, the images' number and a
 * fingerprint of the embedded ones). A run killed at any point and restarted with the same arguments keeps the
 * complete batches and goes on; batches always start at multiples of the batch size, so every image is computed
 * exactly as in an uninterrupted run and the file is byte-identical. Restarting with anything else is refused,
 * naming what differs. The partial folder is locked ({@code embed.lock}) while a run writes it; once every image is
 * done the writer puts the output in place atomically and the folder is removed. A finished output is replaced by
 * the next run into it.
 *
 * <p>The arithmetic depends only on the batches: {@link #run(Path, EmbeddingWriter, Compute, IntConsumer)} takes
 * the batches' computation from elsewhere (a Spark job, vit-spark's), which computes each batch with
 * {@link #embed} as this class does, and so writes the same bytes.
 */
public final class EmbeddingRun {

    /**
     * What to compute.
     *
     * @param kind      which vector ({@link Embedding#defaultFor} for the model's usual one)
     * @param normalize divide every row by its L2 norm (computed in double; an all-zero row stays zero)
     * @param batchSize images per forward
     * @param limit     embed the first {@code limit} images of the source (at most its size)
     */
    public record Options(Embedding kind, boolean normalize, int batchSize, int limit) {

        /** @throws IllegalArgumentException naming the bad value */
        public Options {
            if (kind == null) {
                throw new IllegalArgumentException("an embedding run needs a kind: Embedding.POOLED, PROJECTED or "
                        + "Embedding.defaultFor(config)");
            }
            if (batchSize <= 0 || limit <= 0) {
                throw new IllegalArgumentException("batch size " + batchSize + " and limit " + limit + "; expected "
                        + "both positive");
            }
        }
    }

    /**
     * What a run wrote.
     *
     * @param file    the output
     * @param images  how many images it holds
     * @param width   the embedding's width
     * @param resumed images found done by an earlier run
     */
    public record Result(Path file, int images, int width, int resumed) {
    }

    /** Computes the embeddings of images {@code from .. to − 1}, batch after batch, in order. */
    @FunctionalInterface
    public interface Compute {
        /**
         * @param from a multiple of the batch size: the first image
         * @param to   one past the last image
         * @param sink takes each batch, in order, as soon as it is done
         */
        void embed(int from, int to, Sink sink) throws IOException;
    }

    /** Takes the batches of a {@link Compute}. */
    @FunctionalInterface
    public interface Sink {
        void accept(Embedded batch) throws IOException;
    }

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Options options;
    private final int width;

    /**
     * @throws IllegalArgumentException for {@link Embedding#PROJECTED} on a model without a projection (naming its
     *                                  architecture)
     */
    public EmbeddingRun(Vit vit, Preprocessing preprocessing, ImageSource source, Options options) {
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.source = source;
        this.options = options;
        this.width = options.kind().size(vit.config());
    }

    /** Number of images this run covers. */
    public int images() {
        return Math.min(options.limit(), source.size());
    }

    /** The embedding's width E. */
    public int width() {
        return width;
    }

    /** The images of {@code batch} embedded, normalised if the options say so. */
    public Embedded embed(ImageSource.Batch batch) {
        INDArray e = vit.embed(batch.input(), options.kind());                                  // [B, E]
        float[] values = e.castTo(DataType.FLOAT).dup('c').data().asFloat();
        if (options.normalize()) {
            normalizeRows(values, width);
        }
        return new Embedded(batch.first(), batch.labels(), values, width);
    }

    /** The embeddings of images {@code from .. to − 1} of the source, batch after batch, as {@link #run} does. */
    public void embed(int from, int to, Sink sink) throws IOException {
        for (int first = from; first < to; first += options.batchSize()) {
            sink.accept(embed(source.read(first, Math.min(options.batchSize(), to - first), preprocessing)));
        }
    }

    /**
     * Runs, or resumes, the embedding of {@link #images()} images into {@code out}, computing here.
     *
     * @param imagesDone called with the number of images done after each batch, first with those found done
     * @throws IOException              at once when another run is writing to {@code out}
     * @throws IllegalArgumentException when {@code out}'s partial folder holds a run with other arguments, naming
     *                                  each setting that differs
     */
    public Result run(Path out, EmbeddingWriter writer, IntConsumer imagesDone) throws IOException {
        return run(out, writer, this::embed, imagesDone);
    }

    /**
     * {@link #run(Path, EmbeddingWriter, IntConsumer)} with the batches computed by {@code compute}, which must
     * compute them with {@link #embed(ImageSource.Batch)} on batches that start at multiples of the batch size.
     */
    public Result run(Path out, EmbeddingWriter writer, Compute compute, IntConsumer imagesDone) throws IOException {
        int n = images();
        try (EmbeddingFolder folder = EmbeddingFolder.open(out, width)) {
            int done = folder.resume(settings(n), options.batchSize(), n);
            imagesDone.accept(done);
            if (done < n) {
                compute.embed(done, n, batch -> {
                    folder.append(batch, source.names());
                    imagesDone.accept(batch.first() + batch.size());
                });
            }
            folder.finish(writer, n);
            return new Result(out, n, width, done);
        }
    }

    /** Everything that determines the rows of a run of {@code n} images. */
    private Map<String, String> settings(int n) throws IOException {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("embedding", options.kind().label());
        s.put("embedding.site", options.kind().site(vit.config()).toString());
        s.put("embedding.width", Integer.toString(width));
        s.put("normalize", Boolean.toString(options.normalize()));
        s.put("batch_size", Integer.toString(options.batchSize()));
        s.put("model.config", vit.config().toString());
        s.put("model.preprocessing", preprocessing.toString());
        s.put("model.weights", Fingerprints.weights(vit.weights()));
        s.put("images.size", Integer.toString(source.size()));
        s.put("images.embedded", Integer.toString(n));
        s.put("images.fingerprint", Fingerprints.images(source, preprocessing, n)[0]);
        return s;
    }

    /** Divides each row of {@code values} (rows of {@code width}) by its L2 norm, summed in double. */
    static void normalizeRows(float[] values, int width) {
        for (int start = 0; start < values.length; start += width) {
            double sum = 0;
            for (int j = start; j < start + width; j++) {
                sum += (double) values[j] * values[j];
            }
            double norm = Math.sqrt(sum);
            if (norm > 0) {
                for (int j = start; j < start + width; j++) {
                    values[j] = (float) (values[j] / norm);
                }
            }
        }
    }
}
