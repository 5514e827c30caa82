package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SummaryTableTest {

    @Test
    void tableHasOneRowPerKindAndOneColumnPerLayer() {
        String text = SummaryTable.format(ReportFixtures.summary(), ReportFixtures.info());
        String[] lines = text.split("\n");
        // heading, column header, resid, attn, mlp, p_clean, p_corrupt
        assertEquals(7, lines.length, text);
        assertTrue(lines[0].contains("10 images") && lines[0].contains("IE = p_patched(y) − p_corrupt(y)"), lines[0]);
        assertTrue(lines[1].startsWith("kind") && lines[1].endsWith("layer 3"), lines[1]);
        assertTrue(lines[2].startsWith("resid") && lines[2].contains("+0.400 ±0.041"), lines[2]);
        assertTrue(lines[3].startsWith("attn") && lines[3].contains("-0.030 ±0.003"), lines[3]);
        assertTrue(lines[4].startsWith("mlp") && lines[4].endsWith("n/a"), lines[4]);
        assertTrue(lines[5].startsWith("p_clean") && lines[5].contains("0.750"), lines[5]);
        assertTrue(lines[6].startsWith("p_corrupt") && lines[6].contains("0.250"), lines[6]);
    }

    @Test
    void columnsLineUpBecauseCellsArePaddedToOneWidth() {
        String[] lines = SummaryTable.table(ReportFixtures.summary()).split("\n");
        int end = lines[0].indexOf("layer 1") + "layer 1".length();
        assertEquals(' ', lines[1].charAt(end), "a cell of layer 1 ends where its header ends");
        assertEquals('1', lines[1].charAt(end - 1), "resid's layer 1 cell '+0.300 ±0.031' ends under the header");
        assertEquals('2', lines[2].charAt(end - 1), "attn's layer 1 cell '+0.020 ±0.002' ends under the header");
    }
}
