package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trace rows as users hold them: written to and read back from a trace.csv, and summarised. */
class TraceRowTest {

    @TempDir
    Path dir;

    static final List<TraceRow> ROWS = List.of(
            new TraceRow(0, 3, 0.9, 0.1, SweepKind.ATTN, 0, 1, 0.5, 0.4, TraceMethod.exact()),
            new TraceRow(0, 3, 0.9, 0.1, SweepKind.ATTN, 1, 1, 0.2, 0.1, TraceMethod.exact()),
            new TraceRow(1, 5, 0.8, 0.3, SweepKind.ATTN, 0, 1, 0.5, 0.2, TraceMethod.exact()),
            new TraceRow(1, 5, 0.8, 0.3, SweepKind.ATTN, 1, 1, Double.NaN, Double.NaN, TraceMethod.exact()));

    @Test
    void rowsWrittenToATraceCsvReadBackEqual() throws IOException {
        Path csv = dir.resolve("trace.csv");
        TraceRow.write(csv, ROWS);
        assertEquals(ROWS, TraceRow.read(csv));
        assertEquals("image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method",
                Files.readAllLines(csv).get(0));
    }

    @Test
    void aMalformedRowIsRefusedNamingTheFileAndTheLine() throws IOException {
        Path csv = dir.resolve("trace.csv");
        TraceRow.write(csv, ROWS);
        List<String> lines = Files.readAllLines(csv);
        Files.write(csv, List.of(lines.get(0), lines.get(1), lines.get(2).substring(0, 12)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceRow.read(csv));
        assertTrue(e.getMessage().contains(csv + " line 3") && e.getMessage().contains("fields"), e.getMessage());
    }

    @Test
    void theSummaryOfRowsAveragesEachCellLeavingNaNOut() {
        // attn layer 0: (0.4 + 0.2) / 2; layer 1: image 1's effect is NaN, so only image 0's 0.1 counts
        TraceSummary s = TraceSummary.of(ROWS, List.of(SweepKind.ATTN), 2, TraceMethod.exact());
        assertEquals(2, s.images());
        assertEquals(0.3, s.mean().get(SweepKind.ATTN)[0], 1e-12);
        assertEquals(0.1, s.mean().get(SweepKind.ATTN)[1], 1e-12);
        assertEquals(1, s.count().get(SweepKind.ATTN)[1]);
        assertEquals((0.9 + 0.8) / 2, s.pClean(), 1e-12);
    }

    @Test
    void summarisingRowsOfAKindOrLayerTheSummaryDoesNotHaveIsRefusedNamingThem() {
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> TraceSummary.of(ROWS, List.of(SweepKind.MLP), 2, TraceMethod.exact()));
        assertTrue(kind.getMessage().contains("kind attn, layer 0") && kind.getMessage().contains("[mlp]"),
                kind.getMessage());
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> TraceSummary.of(ROWS, List.of(SweepKind.ATTN), 1, TraceMethod.exact()));
        assertTrue(layer.getMessage().contains("layer 1") && layer.getMessage().contains("layers 0 .. 0"),
                layer.getMessage());
    }
}
