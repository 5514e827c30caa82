package io.github.vit4j.spark;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.TraceFolder;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A whole Spark trace run from a program that is not a Spark application itself (the {@code vit} command): starts a
 * Spark application at a master, traces, writes the trace's Parquet table and {@code trace.csv}, summarises with
 * Spark SQL (the caller writes the reports), and stops the application ({@link TraceApp} does the same inside
 * {@code spark-submit}'s application). Its API names no Spark type, so its callers compile and run without Spark
 * and load Spark's classes only when they run a trace; {@link #missing()} says beforehand whether this JVM can.
 */
public final class SparkTraceRun {

    /** Packages of java.base that Spark reads by reflection; a JVM must open them to unnamed modules. */
    private static final List<String> OPENED = List.of("java.lang", "java.lang.invoke", "java.lang.reflect",
            "java.io", "java.net", "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic",
            "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar");

    /**
     * What a run wrote and found.
     *
     * @param summary    mean and 95% CI per cell, computed with Spark SQL from the Parquet table
     * @param corruption the corruption as calibrated on the driver (its description names every parameter)
     * @param config     the model's config, as loaded on the driver
     * @param partitions how many partitions the images were traced in
     */
    public record Written(TraceSummary summary, Corruption corruption, VitConfig config, int partitions) {
    }

    /** What the caller writes from a finished Spark trace into its folder, while the trace still holds it. */
    @FunctionalInterface
    public interface Reports {
        void write(Written written) throws IOException;
    }

    private SparkTraceRun() {
    }

    /**
     * What this JVM lacks to run a Spark trace, in a sentence: Spark's classes ({@code spark-sql_2.13} 4.0 and its
     * dependencies on the class path) or the {@code --add-opens} flags Spark needs on Java 17; empty when it lacks
     * nothing.
     */
    public static Optional<String> missing() {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, SparkTraceRun.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return Optional.of("Apache Spark is not on the class path (org.apache.spark.sql.SparkSession not found)");
        }
        Module base = Object.class.getModule();
        Module self = SparkTraceRun.class.getModule();
        List<String> closed = OPENED.stream().filter(p -> !base.isOpen(p, self)).toList();
        if (!closed.isEmpty()) {
            return Optional.of("this JVM does not open " + closed.stream().map(p -> "java.base/" + p).toList()
                    + " to unnamed modules, which Spark reads on Java 17; start it with --add-opens=java.base/"
                    + closed.get(0) + "=ALL-UNNAMED and the others (the list is spark.opens in vit4j's pom.xml)");
        }
        return Optional.empty();
    }

    /**
     * Runs {@code job} on the first {@code limit} images of {@code images} in a Spark application at
     * {@code master} (e.g. {@code local[2]}, {@code spark://HOST:7077}) and writes {@code out/trace.parquet},
     * {@code out/trace.csv} (sorted by image, kind and layer: {@code vit trace}'s file), then has {@code reports}
     * write the caller's reports, holding {@code out}'s lock throughout ({@link TraceFolder#lockToRewrite}: the lock
     * {@code DatasetTrace.run} takes), taken before Spark starts. Spark's settings are its defaults and the
     * {@code spark.*} system properties; the web UI and console progress bars are off unless those turn them on.
     *
     * @param images     {@code cifar10:PATH}, a folder of images or {@code parquet:PATH} ({@link ImageTable}), a path
     *                   every executor reads
     * @param partitions how many partitions; 0 for one per core, at most one per batch
     * @throws IOException              at once when another trace is writing to {@code out}; what {@code reports}
     *                                  throws
     * @throws IllegalArgumentException when {@code out} holds another trace's files (see
     *                                  {@link TraceFolder#lockToRewrite})
     * @throws IllegalStateException    when this JVM cannot run Spark ({@link #missing()} says why)
     */
    public static Written run(String master, TraceJob job, String images, int limit, int partitions, Path out,
                              Reports reports) throws IOException {
        try (TraceFolder folder = TraceFolder.lockToRewrite(out)) {
            Optional<String> missing = missing();
            if (missing.isPresent()) {
                throw new IllegalStateException("cannot run a Spark trace: " + missing.get());
            }
            Written written = TraceApp.runAt(master, job, images, limit, partitions, out);
            reports.write(written);
            return written;
        }
    }
}
