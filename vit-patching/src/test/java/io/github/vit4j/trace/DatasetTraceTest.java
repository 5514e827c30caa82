package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset traces: streamed, deterministic, resumable after a kill. */
class DatasetTraceTest {

    static final int ROWS_PER_IMAGE = 3 * 4; // kinds resid, attn, mlp × 4 layers

    @TempDir
    Path dir;

    @Test
    void traceCsvHasOneRowPerImageKindAndLayerAndTheSummaryAveragesThem() throws IOException {
        DatasetTrace.Result r = TraceFixture.run(dir.resolve("a"), "grayscale", 0, d -> { });
        List<String> lines = Files.readAllLines(r.csv());
        assertEquals(TraceCsv.HEADER, lines.get(0));
        assertEquals(1 + TraceFixture.IMAGES * ROWS_PER_IMAGE, lines.size());
        assertEquals(TraceFixture.IMAGES, r.summary().images());
        double sum = 0;
        for (String l : lines.subList(1, lines.size())) {
            TraceRow row = TraceCsv.parse(l);
            if (row.kind() == SweepKind.ATTN && row.layer() == 2) {
                sum += row.ie();
                assertEquals(row.pPatched() - row.pCorrupt(), row.ie(), 1e-12);
            }
        }
        assertEquals(sum / TraceFixture.IMAGES, r.summary().mean().get(SweepKind.ATTN)[2], 1e-12);
    }

    @Test
    void anAttributionPatchingTraceWritesTheEstimatesOfEachImageAndResumesMidBatchToTheSameFile() throws IOException {
        DatasetTrace whole = TraceFixture.trace("noise:3", 7, TraceMethod.atp());
        DatasetTrace.Result r = whole.run(dir.resolve("whole"), d -> { });
        List<String> lines = Files.readAllLines(r.csv());
        assertEquals(1 + TraceFixture.IMAGES * ROWS_PER_IMAGE, lines.size());
        assertEquals(TraceMethod.atp(), r.summary().method());
        for (String l : lines.subList(1, lines.size())) {
            TraceRow row = TraceCsv.parse(l);
            assertEquals(TraceMethod.atp(), row.method());
            assertEquals(row.pCorrupt() + row.ie(), row.pPatched(), 1e-12, "prob metric: p_patched = p_corrupt + ie");
        }
        // image 7 is the third of batch 5..9: cut after it, mid-batch, and resume
        Path cut = dir.resolve("cut");
        Files.createDirectories(cut);
        Files.copy(r.csv().resolveSibling("trace.meta.properties"), cut.resolve("trace.meta.properties"));
        Files.write(cut.resolve("trace.csv"), lines.subList(0, 1 + 8 * ROWS_PER_IMAGE), StandardCharsets.UTF_8);
        DatasetTrace.Result resumed = TraceFixture.trace("noise:3", 7, TraceMethod.atp())
                .run(cut, d -> { });
        assertEquals(8, resumed.resumed());
        assertArrayEquals(Files.readAllBytes(r.csv()), Files.readAllBytes(resumed.csv()));
    }

    @Test
    void aFixedSeedGivesABitIdenticalTraceCsvTwice() throws IOException {
        DatasetTrace.Result a = TraceFixture.run(dir.resolve("a"), "noise:3", 7, d -> { });
        DatasetTrace.Result b = TraceFixture.run(dir.resolve("b"), "noise:3", 7, d -> { });
        assertArrayEquals(Files.readAllBytes(a.csv()), Files.readAllBytes(b.csv()));
        DatasetTrace.Result c = TraceFixture.run(dir.resolve("c"), "noise:3", 8, d -> { });
        assertTrue(!new String(Files.readAllBytes(a.csv())).equals(new String(Files.readAllBytes(c.csv()))),
                "another seed must give other noise");
    }

    @Test
    void aTraceCutShortMidLineResumesToTheSameFileAsAnUninterruptedRun() throws IOException {
        DatasetTrace.Result whole = TraceFixture.run(dir.resolve("whole"), "grayscale", 0, d -> { });
        byte[] expected = Files.readAllBytes(whole.csv());
        Path cut = dir.resolve("cut");
        Files.createDirectories(cut);
        Files.copy(whole.csv().resolveSibling("trace.meta.properties"), cut.resolve("trace.meta.properties"));
        // keep 7 whole images and half a line of the 8th, as a kill during a write would
        String text = new String(expected, StandardCharsets.UTF_8);
        int end = nthNewline(text, 1 + 7 * ROWS_PER_IMAGE + 3) + 20;
        Files.writeString(cut.resolve("trace.csv"), text.substring(0, end));
        DatasetTrace.Result resumed = TraceFixture.run(cut, "grayscale", 0, d -> { });
        assertEquals(7, resumed.resumed());
        assertArrayEquals(expected, Files.readAllBytes(resumed.csv()));
    }

    @Test
    void aKilledTraceRestartedWithTheSameArgumentsEndsWithTheSameCsvAsAnUninterruptedOne() throws Exception {
        byte[] expected = Files.readAllBytes(TraceFixture.run(dir.resolve("whole"), "noise:3", 5, d -> { }).csv());
        Path killed = dir.resolve("killed");
        Process child = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                "-D" + io.github.vit4j.SharedAssets.PROPERTY + "=" + io.github.vit4j.SharedAssets.root(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", TraceFixture.class.getName(), killed.toString(),
                "noise:3", "5").redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path csv = killed.resolve("trace.csv");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (rows(csv) < 1 + 6 * ROWS_PER_IMAGE && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), "the child must still be running when it is killed; log: "
                + Files.readString(dir.resolve("child.log")));
        child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flush
        child.waitFor(30, TimeUnit.SECONDS);
        int before = rows(csv);
        assertTrue(before > 1 && before < 1 + TraceFixture.IMAGES * ROWS_PER_IMAGE, "killed mid-run: " + before);
        DatasetTrace.Result resumed = TraceFixture.run(killed, "noise:3", 5, d -> { });
        assertTrue(resumed.resumed() >= 6);
        assertArrayEquals(expected, Files.readAllBytes(resumed.csv()));
    }

    @Test
    void aFolderHoldingATraceWithOtherArgumentsIsRefusedAndLeftIntact() throws IOException {
        Path out = dir.resolve("a");
        DatasetTrace.Result first = TraceFixture.run(out, "grayscale", 0, d -> { });
        byte[] before = Files.readAllBytes(first.csv());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceFixture.run(out, "blur:1.5", 0, d -> { }));
        assertTrue(e.getMessage().contains("other arguments") && e.getMessage().contains("blur"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(first.csv()));
    }

    private static int rows(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            return 0;
        }
        try (var lines = Files.lines(csv)) {
            return (int) lines.count();
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static int nthNewline(String s, int n) {
        int at = -1;
        for (int i = 0; i < n; i++) {
            at = s.indexOf('\n', at + 1);
        }
        return at;
    }

    private static String javaBinary() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
