package io.github.vit4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.TaskContext;

/**
 * What goes wrong in the task that holds one image, before it traces it, in tests of Spark's fault tolerance: given
 * to {@link SparkTrace#of(TraceJob, BeforeBatch)}.
 *
 * @param kind   what goes wrong
 * @param image  the image whose task it happens in
 * @param marker for {@link Kind#HALT_EXECUTOR_ONCE}: the file whose creation marks the fault as done (on storage
 *               every executor sees), so that only the first executor to get there dies; empty otherwise
 */
record Fault(Kind kind, int image, String marker) implements BeforeBatch {

    enum Kind {
        /** The task's first attempt throws; Spark runs it again. */
        FAIL_FIRST_ATTEMPT,
        /** The executor JVM running the task halts (as a killed process does), once; Spark runs it elsewhere. */
        HALT_EXECUTOR_ONCE
    }

    static Fault failFirstAttemptAt(int image) {
        return new Fault(Kind.FAIL_FIRST_ATTEMPT, image, "");
    }

    static Fault haltExecutorOnceAt(int image, Path marker) {
        return new Fault(Kind.HALT_EXECUTOR_ONCE, image, marker.toAbsolutePath().toString());
    }

    @Override
    public void run(int first, int count) {
        if (image < first || image >= first + count) {
            return;
        }
        TaskContext task = TaskContext.get();
        if (kind == Kind.FAIL_FIRST_ATTEMPT && task != null && task.attemptNumber() == 0) {
            throw new IllegalStateException("test fault: the first attempt of the task holding image " + image
                    + " fails; Spark runs it again");
        }
        if (kind == Kind.HALT_EXECUTOR_ONCE) {
            try {
                Files.createFile(Path.of(marker));
            } catch (FileAlreadyExistsException done) {
                return;                                     // an executor has died here already
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().halt(137);                 // no shutdown hooks, no goodbye to the driver
        }
    }
}
