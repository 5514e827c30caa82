package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vit agreement} on two hand-written traces of one image: the table it prints and the files it writes. */
class AgreementCommandTest {

    /** A trace.csv of image 0, attn at layers 0, 1, 2 with the given effects. */
    static Path trace(Path dir, TraceMethod method, double... ie) throws IOException {
        Files.createDirectories(dir);
        List<TraceRow> rows = new ArrayList<>();
        for (int l = 0; l < ie.length; l++) {
            rows.add(new TraceRow(0, 3, 0.9, 0.1, SweepKind.ATTN, l, 1, 0.1 + ie[l], ie[l], method));
        }
        TraceRow.write(dir.resolve("trace.csv"), rows);
        return dir;
    }

    @Test
    void itPrintsPearsonAndTopKAndWritesTheTableAndAScatterPlot(@TempDir Path tmp) throws IOException {
        // exact (0, 1, 2) against estimate (0, 2, 1): r = 1/2 (worked in TraceAgreementTest); top-1 0, top-2 1
        Path exact = trace(tmp.resolve("exact"), TraceMethod.exact(), 0, 1, 2);
        Path atp = trace(tmp.resolve("atp"), TraceMethod.atp(), 0, 2, 1);
        Path out = tmp.resolve("out");
        CliRun run = CliRun.of("agreement", exact.toString(), atp.toString(), "--top", "1,2", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("| attn | 3 | 0.500 |"), run.out());
        assertTrue(run.out().contains("| 0.000 | 1.000 |"), run.out());
        assertTrue(Files.readString(out.resolve("agreement.md")).contains("| attn | 3 | 0.500 |"));
        assertTrue(Files.size(out.resolve("scatter_attn.png")) > 1000);
    }

    @Test
    void aFolderWithoutATraceIsRefusedWithExitCodeTwo(@TempDir Path tmp) throws IOException {
        Path exact = trace(tmp.resolve("exact"), TraceMethod.exact(), 0, 1, 2);
        CliRun run = CliRun.of("agreement", exact.toString(), tmp.resolve("nothing").toString(), "--out",
                tmp.resolve("out").toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("no trace.csv in"), run.err());
    }

    @Test
    void tracesOfDifferentSizesAreRefusedNamingTheFlagsThatMustMatch(@TempDir Path tmp) throws IOException {
        Path exact = trace(tmp.resolve("exact"), TraceMethod.exact(), 0, 1, 2);
        Path atp = trace(tmp.resolve("atp"), TraceMethod.atp(), 0, 2);
        CliRun run = CliRun.of("agreement", exact.toString(), atp.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("the traces have 3 and 2 cells") && run.err().contains("--limit")
                && run.err().contains("--kinds"), run.err());
    }
}
