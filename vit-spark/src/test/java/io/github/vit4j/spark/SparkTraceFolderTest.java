package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.trace.DatasetTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark trace ({@link SparkTraceRun#run}) and the folder it writes to: it takes the lock a trace without Spark
 * takes, before Spark starts, so it is refused, leaving every file as it was, while another trace writes there or
 * where another trace's files are. No Spark application is started here.
 */
class SparkTraceFolderTest {

    private static final int IMAGES = 4;

    @TempDir
    Path dir;

    @Test
    void aSparkTraceIntoAFolderAnotherTraceIsWritingIsRefusedBeforeSparkStartsAndLeavesItsFilesAlone()
            throws IOException {
        Path cifar = Fixtures.cifarFirst(dir, IMAGES);
        TraceJob job = new TraceJob(Fixtures.model(), Corruption.parse("grayscale"), Fixtures.spec(1, "resid"),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 0, IMAGES);
        ExecutorModels.Loaded m = ExecutorModels.get(job.model());
        Path out = dir.resolve("out");
        List<String> refusals = new ArrayList<>();
        new DatasetTrace(m.vit(), m.pretrained().preprocessing(), ImageSource.cifar10(cifar), job.options(IMAGES))
                .run(out, done -> { }, result -> {                 // the folder is locked by this running trace
                    byte[] csv = Files.readAllBytes(result.csv());
                    refusals.add(assertThrows(IOException.class, () -> SparkTraceRun.run("local[1]", job,
                            "cifar10:" + cifar, IMAGES, 1, out, written -> { })).getMessage());
                    assertArrayEquals(csv, Files.readAllBytes(result.csv()), "trace.csv is left alone");
                    assertFalse(Files.exists(out.resolve("trace.parquet")));
                });
        assertEquals(1, refusals.size());
        assertTrue(refusals.get(0).contains(out.toString()) && refusals.get(0).contains("another trace"),
                refusals.get(0));

        IllegalArgumentException after = assertThrows(IllegalArgumentException.class, () -> SparkTraceRun.run(
                "local[1]", job, "cifar10:" + cifar, IMAGES, 1, out, written -> { }));
        assertTrue(after.getMessage().contains("holds a trace that DatasetTrace.run resumes"), after.getMessage());
        assertFalse(Files.exists(out.resolve("trace.parquet")));
    }

    @Test
    void aSparkTraceIntoAFolderHoldingATraceCsvNoSparkTraceWroteIsRefused() throws IOException {
        Files.createDirectories(dir.resolve("out"));
        Path csv = Files.writeString(dir.resolve("out/trace.csv"), "image,label\n");
        TraceJob job = new TraceJob(Fixtures.model(), Corruption.parse("grayscale"), Fixtures.spec(1, "resid"),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 0, IMAGES);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkTraceRun.run(
                "local[1]", job, "cifar10:unused", IMAGES, 1, dir.resolve("out"), written -> { }));
        assertTrue(e.getMessage().contains("trace.parquet"), e.getMessage());
        assertEquals("image,label\n", Files.readString(csv));
    }
}
