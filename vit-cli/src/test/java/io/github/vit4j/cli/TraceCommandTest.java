package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceCommandTest {

    @TempDir
    Path dir;

    @Test
    void traceOnFourImagesWritesCsvSummaryHeatmapAndTable() throws Exception {
        CliRun run = CliRun.of("trace", "--limit", "4", "--batch", "2", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());

        // header + 4 images × 3 kinds × 4 layers
        assertEquals(1 + 4 * 3 * 4, Files.readAllLines(dir.resolve("trace.csv")).size());
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals(4, summary.get("n").asInt());
        assertEquals("grayscale", summary.get("corruption").asText());
        assertEquals(4, summary.get("kinds").get("attn").get("mean").size());
        assertEquals(10, summary.get("model").get("classes").asInt());
        assertEquals(3, summary.get("arguments").get("window").asInt());
        List<String> table = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals("kind,layer,mean,ci95,count", table.get(0));
        assertEquals(1 + 3 * 4, table.size());
        assertEquals(summary.get("kinds").get("attn").get("mean").get(2).asDouble(),
                Double.parseDouble(table.get(1 + 4 + 2).split(",")[2]), 1e-12, "attn, layer 2");
        assertTrue(ImageIO.read(dir.resolve("heatmap.png").toFile()).getWidth() > 0);
        assertTrue(Files.readString(dir.resolve("heatmap.svg")).contains("n = 4 images"));
        assertTrue(run.out().contains("resid") && run.out().contains("p_corrupt"), run.out());
        assertTrue(run.err().contains("trace: 4/4"), "progress lines on stderr when not a terminal: " + run.err());
    }

    @Test
    void rerunningTheSameTraceResumesAndAnotherTraceInTheFolderIsRefused() throws Exception {
        String out = dir.toString();
        assertEquals(0, CliRun.of("trace", "--limit", "2", "--kinds", "attn", "--out", out).exitCode());
        String first = Files.readString(dir.resolve("trace.csv"));

        CliRun again = CliRun.of("trace", "--limit", "2", "--kinds", "attn", "--out", out);
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("2 images resumed"), again.out());
        assertEquals(first, Files.readString(dir.resolve("trace.csv")));

        CliRun other = CliRun.of("trace", "--limit", "2", "--kinds", "attn", "--window", "1", "--out", out);
        assertEquals(2, other.exitCode(), other.toString());
        assertTrue(other.err().contains("other arguments"), other.err());
    }

    @Test
    void aLargerLimitExtendsTheTraceInTheFolderAndASmallerOneIsRefusedSayingWhy() throws Exception {
        Path fresh = dir.resolve("fresh");
        assertEquals(0, CliRun.of("trace", "--limit", "5", "--kinds", "attn", "--batch", "2", "--corruption", "noise",
                "--out", fresh.toString()).exitCode());
        Path out = dir.resolve("extended");
        assertEquals(0, CliRun.of("trace", "--limit", "2", "--kinds", "attn", "--batch", "2", "--corruption", "noise",
                "--out", out.toString()).exitCode());

        CliRun more = CliRun.of("trace", "--limit", "5", "--kinds", "attn", "--batch", "2", "--corruption", "noise",
                "--out", out.toString());
        assertEquals(0, more.exitCode(), more.toString());
        assertTrue(more.out().contains("2 images resumed from an earlier run, 3 images traced"), more.out());
        assertEquals(Files.readString(fresh.resolve("trace.csv")), Files.readString(out.resolve("trace.csv")));
        assertEquals(5, new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("n").asInt());

        CliRun fewer = CliRun.of("trace", "--limit", "3", "--kinds", "attn", "--batch", "2", "--corruption", "noise",
                "--out", out.toString());
        assertEquals(2, fewer.exitCode(), fewer.toString());
        assertTrue(fewer.err().contains("holds a trace of the first 5 images") && fewer.err().contains("never cut short")
                && fewer.err().contains("--limit"), fewer.err());
        assertEquals(Files.readString(fresh.resolve("trace.csv")), Files.readString(out.resolve("trace.csv")));
    }

    @Test
    void tokenSweepAndPerImageHeatmapsAreWrittenOnRequest() throws Exception {
        CliRun run = CliRun.of("trace", "--limit", "2", "--kinds", "resid", "--tokens", "patches", "--window", "1",
                "--token-sweep", "1", "--per-image-heatmaps", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        // header + 1 image × 4 layers × 64 patches
        assertEquals(1 + 4 * 64, Files.readAllLines(dir.resolve("token_sweep.csv")).size());
        assertEquals("image,layer,cell,row,col,ie", Files.readAllLines(dir.resolve("token_sweep.csv")).get(0));
        assertTrue(Files.exists(dir.resolve("token_sweep.png")) && Files.exists(dir.resolve("token_sweep.svg")));
        assertTrue(Files.exists(dir.resolve("images/image_0000.png")));
        assertTrue(Files.exists(dir.resolve("images/image_0001.png")));
        assertTrue(Files.readString(dir.resolve("images/image_0001.svg")).contains("<svg"));
    }

    @Test
    void anAttributionPatchingTraceWritesTheSameFilesWithItsMethodAndChecksItsTopCells() throws Exception {
        CliRun run = CliRun.of("trace", "--method", "atp", "--limit", "3", "--batch", "2", "--verify-top", "2",
                "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        List<String> csv = Files.readAllLines(dir.resolve("trace.csv"));
        assertEquals("image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method", csv.get(0));
        assertEquals(1 + 3 * 3 * 4, csv.size());
        assertTrue(csv.get(1).endsWith(",atp"), csv.get(1));
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals("atp", summary.get("method").asText());
        assertTrue(Files.exists(dir.resolve("heatmap.png")) && Files.exists(dir.resolve("summary.csv")));
        List<String> verify = Files.readAllLines(dir.resolve("verify.csv"));
        assertEquals("image,kind,layer,estimate,exact", verify.get(0));
        assertEquals(1 + 3 * 2, verify.size(), "2 cells for each of 3 images");
        assertTrue(run.out().contains("estimated by atp") && run.out().contains("same sign"), run.out());

        CliRun exact = CliRun.of("trace", "--method", "exact", "--limit", "3", "--batch", "2", "--out",
                dir.toString());
        assertEquals(2, exact.exitCode(), "another method is another trace: " + exact);
        assertTrue(exact.err().contains("method"), exact.err());
    }

    @Test
    void aBadMethodOrVerifyTopWithoutAnEstimateIsRefusedBeforeLoadingTheModel() {
        CliRun method = CliRun.of("trace", "--method", "fast", "--out", dir.toString());
        assertEquals(2, method.exitCode());
        assertTrue(method.err().contains("fast") && method.err().contains("atp-ig"), method.err());
        CliRun verify = CliRun.of("trace", "--verify-top", "3", "--out", dir.toString());
        assertEquals(2, verify.exitCode());
        assertTrue(verify.err().contains("--verify-top"), verify.err());
    }

    @Test
    void badCorruptionSpecGivesExitCode2AndAOneLineMessageNamingIt() {
        CliRun run = CliRun.of("trace", "--corruption", "fog", "--out", dir.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("fog"), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line, no stack trace: " + run.err());
        assertFalse(Files.exists(dir.resolve("trace.csv")), "nothing is traced");
    }

    @Test
    void badLabelChoiceAndBadKindAreRejectedBeforeLoadingTheModel() {
        CliRun label = CliRun.of("trace", "--label", "truth", "--out", dir.toString());
        assertEquals(2, label.exitCode());
        assertTrue(label.err().contains("truth"), label.err());
        CliRun kind = CliRun.of("trace", "--kinds", "resid,ffn", "--out", dir.toString());
        assertEquals(2, kind.exitCode());
        assertTrue(kind.err().contains("ffn"), kind.err());
    }
}
