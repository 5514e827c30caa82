package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agreement of an estimated trace with the exact one, on numbers small enough to check by hand. */
class TraceAgreementTest {

    /** Rows of one kind for images 0 and 1, three layers each, effects as given (image-major). */
    static List<TraceRow> rows(SweepKind kind, double... ie) {
        List<TraceRow> rows = new ArrayList<>();
        for (int i = 0; i < ie.length; i++) {
            rows.add(new TraceRow(i / 3, 1, 0.9, 0.1, kind, i % 3, 1, 0.1 + ie[i], ie[i], TraceMethod.exact()));
        }
        return rows;
    }

    @Test
    void anEstimateThatIsTwiceTheExactEffectCorrelatesPerfectly() {
        TraceAgreement a = TraceAgreement.of(rows(SweepKind.MLP, 0.1, 0.2, 0.3, 0.0, 0.5, 0.1),
                rows(SweepKind.MLP, 0.2, 0.4, 0.6, 0.0, 1.0, 0.2));
        assertEquals(1.0, a.pearson(SweepKind.MLP), 1e-12);
        assertEquals(1.0, a.topK(1), 0.0);
        assertEquals(2, a.images());
        assertEquals(3, a.layers());
    }

    /**
     * x = (0, 1, 2), y = (0, 2, 1): means 1 and 1, Σ(x−1)(y−1) = (−1)(−1) + 0·1 + 1·0 = 1, Σ(x−1)² = Σ(y−1)² = 2, so
     * r = 1/2. Top-1: the exact top cell is layer 2, the estimate's is layer 1: agreement 0. Top-2: {1, 2} both ways:
     * agreement 1.
     */
    @Test
    void pearsonAndTopKOfOneImageWorkedByHand() {
        List<TraceRow> exact = rows(SweepKind.ATTN, 0, 1, 2);
        List<TraceRow> estimate = rows(SweepKind.ATTN, 0, 2, 1);
        TraceAgreement a = TraceAgreement.of(exact, estimate);
        assertEquals(0.5, a.pearson(SweepKind.ATTN), 1e-12);
        assertEquals(0.0, a.topK(1), 0.0);
        assertEquals(1.0, a.topK(2), 0.0);
        assertTrue(a.markdown(1, 2).contains("| attn | 3 | 0.500 |"), a.markdown(1, 2));
    }

    @Test
    void tracesOfDifferentImagesAreRefusedNamingTheMissingCell() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceAgreement.of(
                rows(SweepKind.RESID, 0, 1, 2, 3, 4, 5), rows(SweepKind.RESID, 0, 1, 2)));
        assertTrue(e.getMessage().contains("6 and 3 cells"), e.getMessage());
    }

    @Test
    void anEstimateGivenAsTheExactTraceIsRefused() {
        List<TraceRow> atp = rows(SweepKind.MLP, 0.1, 0.2, 0.3).stream().map(r -> new TraceRow(r.image(),
                r.label(), r.pClean(), r.pCorrupt(), r.kind(), r.layer(), r.window(), r.pPatched(), r.ie(),
                TraceMethod.atp())).toList();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceAgreement.of(atp, rows(SweepKind.MLP, 0.1, 0.2, 0.3)));
        assertTrue(e.getMessage().contains("give the exact trace (method exact) first"), e.getMessage());
    }

    @Test
    void theScatterPlotIsWrittenAsPngAndSvg(@TempDir Path dir) throws Exception {
        TraceAgreement a = TraceAgreement.of(rows(SweepKind.MLP, 0.1, 0.2, 0.3), rows(SweepKind.MLP, 0.1, 0.3, 0.2));
        a.scatter(SweepKind.MLP, "test", "IE").write(dir, "scatter_mlp");
        assertTrue(Files.size(dir.resolve("scatter_mlp.png")) > 1000);
        assertTrue(Files.readString(dir.resolve("scatter_mlp.svg")).contains("Pearson r = 0.500"));
    }
}
