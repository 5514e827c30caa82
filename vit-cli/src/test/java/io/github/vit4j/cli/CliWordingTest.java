package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.Preprocessing;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the commands print reads as English and copies as commands: counts, help examples, inspected values. */
class CliWordingTest {

    static final String[] COMMANDS = {"convert", "inspect", "classify", "activations", "gradients", "trace",
        "agreement", "embed"};

    @TempDir
    Path dir;

    @Test
    void oneImageIsCountedAsOneImageByEveryCommandThatCountsImages() {
        CliRun classify = CliRun.of("classify", "--limit", "1");
        assertEquals(0, classify.exitCode(), classify.toString());
        assertTrue(classify.err().startsWith("1 image in "), classify.err());

        CliRun gradients = CliRun.of("gradients", "--limit", "1", "--out", dir.resolve("g").toString());
        assertEquals(0, gradients.exitCode(), gradients.toString());
        assertTrue(gradients.out().contains("summed over 1 image ="), gradients.out());

        CliRun trace = CliRun.of("trace", "--limit", "1", "--kinds", "resid", "--window", "1", "--out",
                dir.resolve("t").toString());
        assertEquals(0, trace.exitCode(), trace.toString());
        assertTrue(trace.out().contains("1 image traced in "), trace.out());

        for (CliRun run : List.of(classify, gradients, trace)) {
            assertFalse((run.out() + run.err()).matches("(?s).*\\b1 (images|sites|tensors|heatmaps|layers)\\b.*"),
                    run.toString());
        }
    }

    @Test
    void everyHelpExampleIsAWholeCommandAndNoHelpLineIsCutAfterASlash() {
        for (String command : prepend("", COMMANDS)) {
            CliRun run = command.isEmpty() ? CliRun.of("--help") : CliRun.of(command, "--help");
            assertEquals(0, run.exitCode(), command);
            List<String> lines = run.out().lines().map(String::stripTrailing).toList();
            for (String line : lines) {
                assertFalse(line.endsWith("/"), "vit " + command + " --help cuts a line after a slash: '" + line
                        + "'\n" + run.out());
            }
            int examples = lines.indexOf("Example:") >= 0 ? lines.indexOf("Example:") : lines.indexOf("Examples:");
            if (command.isEmpty()) {
                continue;                                                      // vit --help has no examples
            }
            assertTrue(examples >= 0, "vit " + command + " --help shows an example:\n" + run.out());
            for (int i = examples + 1; i < lines.size(); i++) {
                String line = lines.get(i);
                boolean continued = lines.get(i - 1).endsWith(" \\");
                assertTrue(line.isEmpty() || line.startsWith("  vit ") || line.startsWith("  python ")
                                || continued && line.startsWith("      "),
                        "vit " + command + " --help: '" + line + "' is part of an example cut in two (a long example "
                                + "continues after ' \\')\n" + run.out());
            }
        }
    }

    @Test
    void inspectShowsThePreprocessingAsWordsNotAsARecord() {
        CliRun run = CliRun.of("inspect", SharedAssets.resolve(ModelOption.DEFAULT_MODEL).toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("preprocessing: resize to 32×32 px (rounded to whole levels, as PIL), × 1/255,"
                + " then (x − mean) / std per channel: mean (0.4914, 0.4822, 0.4465), std (0.247, 0.2435, 0.2616)"),
                run.out());
        assertFalse(run.out().contains("Preprocessing["), run.out());
        assertFalse(ModelOption.describe(Preprocessing.cifar10()).contains("rounded"), "said only when on");
        assertFalse(run.out().matches("(?s).*\\w+\\[\\w+=.*"), "no record toString:\n" + run.out());
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
