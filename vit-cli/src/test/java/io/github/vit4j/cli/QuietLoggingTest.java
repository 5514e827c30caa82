package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The {@code vit} command started as plain {@code java -jar vit.jar}, without the launcher's settings. */
class QuietLoggingTest {

    private static final String BANNER = "Loaded [CpuBackend] backend";

    @Test
    void aCommandPrintsNoNd4jBannerWhenNoLogLevelIsGiven() throws Exception {
        String out = vit(List.of());
        assertTrue(out.contains("hidden 128"), "inspect ran: " + out);
        assertFalse(out.contains(BANNER), "ND4J's INFO banner was printed: " + out);
        assertFalse(out.contains(" INFO "), out);
    }

    @Test
    void theBannerComesBackWhenTheUserAsksForInfo() throws Exception {
        String out = vit(List.of("-D" + Vit4jCli.LOG_LEVEL + "=info"));
        assertTrue(out.contains(BANNER), out);
    }

    /** {@code vit inspect} of the CIFAR-10 model in a JVM of its own; stdout and stderr together. */
    private static String vit(List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.addAll(List.of(Vit4jCli.class.getName(), "inspect",
                SharedAssets.resolve("models/simplevit-cifar10/hf").toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = child.getInputStream().readAllBytes();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "vit inspect did not finish");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), text);
        return text;
    }
}
