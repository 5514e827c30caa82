package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor that dies mid-job: {@code local-cluster[2,1,1024]}, Spark's own test master, which starts a standalone
 * master and two workers in this JVM and real executor JVMs (one core, 1 GB each) on this machine. The task that holds
 * one image halts its executor's JVM (as a killed process ends: no shutdown hooks, no message to the driver); Spark
 * notices the lost executor, runs the task again on the other one (the worker starts a new executor meanwhile), and
 * the Parquet table has every image exactly once, with {@code vit trace}'s rows.
 */
class ExecutorLossTest {

    private static final int IMAGES = 16;
    private static final int BATCH = 8;

    @TempDir
    static Path dir;

    private static SparkSession cluster;
    private static Path cifar;
    private static TraceJob job;
    private static List<TraceRow> expected;

    @BeforeAll
    static void traceHereThenStartCluster() throws IOException {
        cifar = Fixtures.cifarFirst(dir, IMAGES);
        // grayscale and the clean top-1: no calibration and no label check, jobs that would start the executors
        // before the trace (the rows' independence of partitions, with noise, is SparkTraceTest's)
        job = new TraceJob(Fixtures.model(), Corruption.parse("grayscale"), Fixtures.spec(3, "resid", "attn", "mlp"),
                TraceMethod.exact(), DatasetTrace.Target.CLEAN_TOP1, 7, BATCH);
        expected = Fixtures.vitTrace(ImageSource.cifar10(cifar), job, IMAGES).rows();

        LocalSpark.stop();                                   // one SparkContext per JVM
        cluster = SparkSession.builder().master("local-cluster[2,1,1024]").appName("vit4j-executor-loss-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                // the executors' classes: this JVM's class path (surefire's, with vit4j and ND4J); Spark itself adds
                // the --add-opens flags Java 17 needs to the executors' command (JavaModuleOptions)
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                // a worker builds the executor's command with Spark's launcher, which looks for a Spark distribution
                // ($SPARK_HOME/jars) unless testing, and for the Scala version in its build folders unless given
                .config("spark.executorEnv.SPARK_TESTING", "1")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                // short-lived JVMs on a small machine: the client compiler and one GC thread start them about twice
                // as fast (the tracing itself is ND4J's native code)
                .config("spark.executor.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
                .getOrCreate();
    }

    @AfterAll
    static void stopCluster() {
        LocalSpark.stop();                                   // the cluster's session is this JVM's now
    }

    @Test
    void anExecutorThatDiesMidJobLosesNoImageAndTracesNoneTwice() throws IOException {
        Path marker = dir.resolve("an-executor-died");
        String parquet = dir.resolve("trace.parquet").toString();
        SparkTrace.of(job, Fault.haltExecutorOnceAt(3, marker))
                .trace(CifarRecords.read(cluster, cifar.toString()), "cifar", IMAGES, 2).write().parquet(parquet);

        assertTrue(Files.exists(marker), "an executor halted");
        List<Row> table = cluster.read().parquet(parquet).collectAsList();
        assertEquals(expected.size(), table.size());                // no row twice (the expected ones are distinct)
        assertEquals(Set.copyOf(expected), table.stream().map(TraceTable::traceRow).collect(Collectors.toSet()));
        assertEquals(IMAGES, table.stream().map(r -> r.getAs("id")).distinct().count());
    }
}
