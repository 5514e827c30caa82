package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vit trace} killed with SIGKILL mid-run and restarted with the same arguments ends as an uninterrupted run. */
class KilledTraceTest {

    static final int ROWS_PER_IMAGE = 3 * 4; // resid, attn, mlp × 4 layers of the CIFAR-10 model

    @TempDir
    Path dir;

    @Test
    void aKilledVitTraceRestartedWithTheSameArgumentsWritesTheSameTraceCsvAsAnUninterruptedOne() throws Exception {
        String[] uninterrupted = args(dir.resolve("whole"));
        assertEquals(0, CliRun.of(uninterrupted).exitCode());
        byte[] expected = Files.readAllBytes(dir.resolve("whole/trace.csv"));

        Path out = dir.resolve("killed");
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-cp", System.getProperty("java.class.path"),
                "-D" + SharedAssets.PROPERTY + "=" + SharedAssets.root(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", Vit4jCli.class.getName()));
        command.addAll(List.of(args(out)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        Path csv = out.resolve("trace.csv");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (lines(csv) < 1 + 3 * ROWS_PER_IMAGE && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(child.isAlive(), "vit trace must still be running when killed; log: "
                + Files.readString(dir.resolve("child.log")));
        child.destroyForcibly(); // SIGKILL
        child.waitFor(30, TimeUnit.SECONDS);
        int before = lines(csv);
        assertTrue(before > 1 && before < 1 + 150 * ROWS_PER_IMAGE, "killed mid-run, with " + before + " lines");

        CliRun resumed = CliRun.of(args(out));
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.out().contains("resumed"), resumed.out());
        assertArrayEquals(expected, Files.readAllBytes(csv));
    }

    private static String[] args(Path out) {
        return new String[] {"trace", "--limit", "150", "--batch", "8", "--seed", "3", "--corruption", "noise",
            "--out", out.toString()};
    }

    private static int lines(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            return 0;
        }
        try (var s = Files.lines(csv)) {
            return (int) s.count();
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
