package io.github.vit4j.spark;

import java.io.Serializable;

/**
 * What a task does just before it traces a batch of images: {@link #NOTHING} in a trace. A caller in this package
 * may give another ({@link SparkTrace#of(TraceJob, BeforeBatch)}), e.g. one that fails the task, to watch Spark
 * recover; Spark ships it to the tasks, so it is serializable.
 */
@FunctionalInterface
interface BeforeBatch extends Serializable {

    /** Does nothing. */
    BeforeBatch NOTHING = (first, count) -> { };

    /** Called by the task that traces images {@code first .. first + count − 1}, before it traces them. */
    void run(int first, int count);
}
