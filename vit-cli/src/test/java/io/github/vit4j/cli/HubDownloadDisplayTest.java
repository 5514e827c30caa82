package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.hub.Hub;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** What a download looks like off a terminal (a log, CI): a line when each file starts and one with its rate. */
class HubDownloadDisplayTest {

    @Test
    void eachFileGetsALineWithItsSizeAndOneWithItsRateAndAResumeSaysWhereItStarts() {
        StringWriter text = new StringWriter();
        try (HubDownload display = HubDownload.lines(new PrintWriter(text, true))) {
            display.accept(new Hub.Progress("config.json", 0, 700));
            display.accept(new Hub.Progress("config.json", 700, 700));
            display.accept(new Hub.Progress("model.safetensors", 1 << 20, 3 << 20));
            display.accept(new Hub.Progress("model.safetensors", 3 << 20, 3 << 20));
        }
        String[] lines = text.toString().split("\n");
        assertTrue(lines.length == 4, text.toString());
        assertTrue(lines[0].equals("downloading config.json (0.7 kB)"), lines[0]);
        assertTrue(lines[1].matches("  config.json: 0\\.7 kB in \\d+\\.\\d s \\(\\d+\\.\\d [kM]B/s\\)"), lines[1]);
        assertTrue(lines[2].equals("downloading model.safetensors (3.0 MB, resuming at 1.0 MB)"), lines[2]);
        assertTrue(lines[3].matches("  model.safetensors: 3\\.0 MB in \\d+\\.\\d s \\(\\d+\\.\\d [kM]B/s\\)"),
                lines[3]);
    }

    @Test
    void aShardNameFromTheServerIsShownEscaped() {
        StringWriter text = new StringWriter();
        try (HubDownload display = HubDownload.lines(new PrintWriter(text, true))) {
            display.accept(new Hub.Progress("model-1" + HostileTextCliTest.HOSTILE + ".safetensors", 0, 2048));
        }
        HostileTextCliTest.assertSafe(text.toString());
        String[] lines = text.toString().split("\n");
        assertEquals(2, lines.length, text.toString());
        assertEquals("downloading model-1" + HostileTextCliTest.SHOWN + ".safetensors (2.0 kB)", lines[0]);
        assertTrue(lines[1].startsWith("  model-1" + HostileTextCliTest.SHOWN + ".safetensors: 0.0 kB in "), lines[1]);
    }
}
