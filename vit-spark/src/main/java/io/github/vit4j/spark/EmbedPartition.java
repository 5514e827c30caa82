package io.github.vit4j.spark;

import io.github.vit4j.embed.Embedded;
import io.github.vit4j.embed.EmbeddingRun;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One task of a Spark embedding job: the images of a partition ({@link ImageTable#SCHEMA}, sorted by index, whole
 * batches) in, their rows ({@link SparkEmbeddings#SCHEMA}) out. Each batch is embedded with
 * {@link EmbeddingRun#embed(ImageSource.Batch)} over the batch's images held at their indices in the dataset, so
 * that it is computed exactly as {@code vit embed} computes it without Spark.
 */
final class EmbedPartition implements MapPartitionsFunction<Row, Row> {

    private final EmbedJob job;
    private final String dataset;
    private final int limit;

    /**
     * @param dataset the images' dataset, for messages
     * @param limit   one past the last image of the run
     */
    EmbedPartition(EmbedJob job, String dataset, int limit) {
        this.job = job;
        this.dataset = dataset;
        this.limit = limit;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> images) {
        List<Row> out = new ArrayList<>();
        List<Row> batch = new ArrayList<>();
        while (images.hasNext()) {
            Row image = images.next();
            if (!batch.isEmpty() && index(image) / job.batch() != index(batch.get(0)) / job.batch()) {
                out.addAll(embed(batch));
                batch.clear();
            }
            batch.add(image);
        }
        if (!batch.isEmpty()) {
            out.addAll(embed(batch));
        }
        return out.isEmpty() ? Collections.emptyIterator() : out.iterator();
    }

    private static int index(Row image) {
        return image.getInt(image.fieldIndex("index"));
    }

    /** Embeds one batch of images (consecutive indices, in order). */
    private List<Row> embed(List<Row> batch) {
        int first = index(batch.get(0));
        int[] labels = new int[batch.size()];
        for (int i = 0; i < labels.length; i++) {
            if (index(batch.get(i)) != first + i) {
                throw new IllegalArgumentException("the images of batch " + first / job.batch() + " of " + dataset
                        + " are not consecutive: image " + index(batch.get(i)) + " at position " + i + " after image "
                        + first + "; a Spark embedding job takes whole batches, sorted by index");
            }
            labels[i] = batch.get(i).getInt(batch.get(i).fieldIndex("label"));
        }
        ExecutorModels.Loaded model = ExecutorModels.get(job.model());     // loaded by the executor's first task
        ImageSource source = ImageSource.held(dataset, first, labels, ImageTable.images(batch),
                ImageTable.labelClasses(batch));
        EmbeddingRun run = new EmbeddingRun(model.vit(), model.pretrained().preprocessing(), source,
                job.options(limit));
        Embedded e;
        try {
            e = run.embed(source.read(first, batch.size(), model.pretrained().preprocessing()));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        List<Row> rows = new ArrayList<>(e.size());
        for (int i = 0; i < e.size(); i++) {
            ByteBuffer bytes = ByteBuffer.allocate(4 * e.width()).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(e.row(i));
            rows.add(RowFactory.create(first + i, e.label(i), bytes.array()));
        }
        return rows;
    }
}
