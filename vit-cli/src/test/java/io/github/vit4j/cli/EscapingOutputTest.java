package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the libraries print on standard error (log lines) reaches the terminal escaped, keeping its lines. */
class EscapingOutputTest {

    @Test
    void logLinesKeepTheirLineBreaksAndTabsWhileEveryOtherControlIsEscaped() {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(new EscapingOutput(new PrintStream(terminal, true, StandardCharsets.UTF_8)),
                true, StandardCharsets.UTF_8);
        err.print("[main] WARN Hub - the Hub at " + HostileTextCliTest.HOSTILE + "\tcut\r\n");
        err.println("next line \u202e 猫 😀 \\ done");
        assertEquals("[main] WARN Hub - the Hub at \\e[2J\\x07\r\n\t\\x9b\\u202e\tcut\r\n"
                + "next line \\u202e 猫 😀 \\\\ done\n", terminal.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aCharacterSplitAcrossWritesAndFlushesComesThroughWholeAndBadBytesAsReplacements() throws Exception {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        EscapingOutput out = new EscapingOutput(new PrintStream(terminal, true, StandardCharsets.UTF_8));
        for (byte b : "猫😀\u001b".getBytes(StandardCharsets.UTF_8)) {
            out.write(b);
            out.flush();
        }
        out.write(new byte[] {(byte) 0xff, 'x', (byte) 0xc2, (byte) 0x9b, '\n'});
        out.write(new byte[3000]);
        out.close();
        assertEquals("猫😀\\e\ufffdx\\x9b\n" + "\\x00".repeat(3000), terminal.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCommandsLogLinesAreEscaped(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("cache" + "\u001b[2J\u0007\r");
        HubModelCliTest.cacheTheCifarModel(cache);
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ProcessBuilder vit = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-cp", System.getProperty("java.class.path"), Vit4jCli.class.getName(),
                "inspect", "hf:someone/cifar10").redirectErrorStream(true);
        vit.environment().put("HF_HUB_CACHE", cache.toString());
        vit.environment().put("HF_ENDPOINT", "http://127.0.0.1:" + closedPort);
        vit.environment().remove("HF_HUB_OFFLINE");
        vit.environment().put(SharedAssets.ENV, SharedAssets.resolve(".").toString());
        Process child = vit.start();
        String text = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "vit inspect did not finish");
        assertEquals(0, child.exitValue(), text);
        HostileTextCliTest.assertSafe(text);
        List<String> warning = text.lines().filter(l -> l.contains("WARN")).toList();
        assertEquals(1, warning.size(), text);
        assertTrue(warning.get(0).contains("using the cached snapshot") && warning.get(0).contains(
                "cache\\e[2J\\x07\\r/models--someone--cifar10"), text);
    }
}
