package io.github.vit4j.spark;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * One task of a Spark trace: the images of a partition ({@link ImageTable#SCHEMA}, sorted by index, whole
 * batches) in, their {@link TraceTable} rows out. Each batch is traced with {@link DatasetTrace#trace(int, int,
 * java.util.function.IntConsumer)} over the batch's images held at their indices in the dataset, so that it is
 * computed exactly as {@code vit trace} computes it; batches are traced one at a time as Spark pulls the rows.
 */
final class TracePartition implements MapPartitionsFunction<Row, Row> {

    private final TraceJob job;
    private final String dataset;
    private final BeforeBatch beforeBatch;

    /**
     * @param dataset     the images' dataset, for messages
     * @param beforeBatch what the task does before it traces each batch
     */
    TracePartition(TraceJob job, String dataset, BeforeBatch beforeBatch) {
        this.job = job;
        this.dataset = dataset;
        this.beforeBatch = beforeBatch;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> images) {
        return new Iterator<>() {
            private Row pending = images.hasNext() ? images.next() : null;
            private Iterator<Row> out = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!out.hasNext() && pending != null) {
                    out = traceBatch(nextBatch()).iterator();
                }
                return out.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the partition's rows are all given");
                }
                return out.next();
            }

            /** The rows of one batch: the pending row and those after it with the same batch number. */
            private List<Row> nextBatch() {
                List<Row> batch = new ArrayList<>();
                int number = batchOf(pending);
                while (pending != null && batchOf(pending) == number) {
                    batch.add(pending);
                    pending = images.hasNext() ? images.next() : null;
                }
                return batch;
            }
        };
    }

    private int batchOf(Row image) {
        return index(image) / job.batch();
    }

    private static int index(Row image) {
        return image.getInt(image.fieldIndex("index"));
    }

    /** Refuses a label that is not one of the model's classes (a Parquet table's labels are the user's). */
    private void checkLabels(List<Row> batch, int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("image " + index(batch.get(i)) + " (" + batch.get(i).getAs("id")
                        + ") of " + dataset + " has label " + labels[i] + ", but the model's classes are 0 .. "
                        + (classes - 1) + "; give the model's class indices as labels (null where unknown), or trace "
                        + "with --label clean-top1");
            }
        }
    }

    /** Traces one batch of images (consecutive indices, in order). */
    private List<Row> traceBatch(List<Row> batch) {
        int first = index(batch.get(0));
        int[] labels = new int[batch.size()];
        for (int i = 0; i < labels.length; i++) {
            if (index(batch.get(i)) != first + i) {
                throw new IllegalArgumentException("the images of batch " + first / job.batch() + " of " + dataset
                        + " are not consecutive: image " + index(batch.get(i)) + " at position " + i + " after image "
                        + first + "; a Spark trace takes whole batches, sorted by index (SparkTrace.trace does that)");
            }
            labels[i] = batch.get(i).getInt(batch.get(i).fieldIndex("label"));
        }
        beforeBatch.run(first, batch.size());
        ExecutorModels.Loaded model = ExecutorModels.get(job.model());     // loaded by the executor's first task
        if (job.target() == DatasetTrace.Target.TRUE_LABEL) {
            checkLabels(batch, labels, model.vit().config().classes());
        }
        ImageSource source = ImageSource.held(dataset, first, labels, ImageTable.images(batch),
                ImageTable.labelClasses(batch));
        int to = first + batch.size();
        DatasetTrace trace = new DatasetTrace(model.vit(), model.pretrained().preprocessing(), source,
                job.options(to));
        List<TraceRow> rows;
        try {
            rows = trace.trace(first, to, done -> { }).rows();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Row> out = new ArrayList<>(rows.size());
        for (TraceRow r : rows) {
            out.add(TraceTable.row(r, batch.get(r.image() - first).getString(batch.get(0).fieldIndex("id"))));
        }
        return out;
    }
}
