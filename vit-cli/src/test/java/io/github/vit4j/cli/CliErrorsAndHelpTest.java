package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliErrorsAndHelpTest {

    @TempDir
    Path dir;

    @Test
    void weightsOfNoKnownLayoutAreRefusedWithTheMappingFlagSuggested() {
        String folder = SharedAssets.resolve("models/simplevit-cifar10/pytorch").toString();
        CliRun run = CliRun.of("inspect", folder);
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("cannot tell how its 56 tensors are named") && run.err().contains("--mapping"),
                run.err());
    }

    @Test
    void missingModelPathGivesExitCode2AndNamesThePath() {
        CliRun run = CliRun.of("classify", "--model", dir.resolve("nope.vit").toString(), "--limit", "1");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("nope.vit"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void badImagesSpecGivesExitCode2AndNamesTheSpec() {
        CliRun run = CliRun.of("classify", "--images", "imagenet:val", "--limit", "1");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("imagenet:val"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void anEmptyImageSourceIsAnErrorNotInfinityMsPerImage() throws Exception {
        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);

        CliRun run = CliRun.of("classify", "--images", "cifar10:" + empty);

        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains(empty + " holds no records"), run.err());
        assertTrue(!run.err().contains("Infinity"), run.err());
    }

    @Test
    void unknownOptionGivesExitCode2WithUsage() {
        CliRun run = CliRun.of("classify", "--colour", "red");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--colour"), run.err());
    }

    @Test
    void noCommandPrintsUsageAndExitCode2() {
        CliRun run = CliRun.of();
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("classify") && run.err().contains("trace"), run.err());
    }

    @Test
    void everyCommandHasHelpNamingItsDefaults() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        for (String command : new String[] {"convert", "inspect", "classify", "activations", "gradients", "trace", "agreement"}) {
            System.setErr(new java.io.PrintStream(warnings, true));
            CliRun run;
            try {
                run = CliRun.of(command, "--help");
            } finally {
                System.setErr(stderr);
            }
            assertEquals("", warnings.toString(), command + " --help must format without picocli warnings");
            assertEquals(0, run.exitCode(), command);
            assertTrue(run.out().contains("Usage: vit " + command), run.out());
            assertTrue(run.out().contains("Example"), command + " help shows an example");
        }
        String trace = CliRun.of("trace", "--help").out();
        for (String d : new String[] {"(default: 100)", "(default: grayscale)", "(default: 3)",
            "(default: resid,attn,mlp)", "(default: all)", "(default: prob)", "(default: true)", "(default: 0)",
            "(default: trace-out)"}) {
            assertTrue(trace.contains(d), "trace --help shows " + d + ":\n" + trace);
        }
    }

    @Test
    void convertThenInspectVerifiesEveryChecksumAndClassifyRunsTheVitFile() {
        Path vit = dir.resolve("cifar10.vit");
        String hf = SharedAssets.resolve(ModelOption.DEFAULT_MODEL).toString();
        CliRun convert = CliRun.of("convert", hf, vit.toString());
        assertEquals(0, convert.exitCode(), convert.toString());

        CliRun inspect = CliRun.of("inspect", vit.toString());
        assertEquals(0, inspect.exitCode(), inspect.toString());
        assertTrue(inspect.out().contains("4 layers, hidden 128"), inspect.out());
        assertTrue(inspect.out().contains("blocks.0.attn.qkv.weight"), inspect.out());
        assertTrue(inspect.out().matches("(?s).*checksums: (\\d+) of \\1 verified.*"), inspect.out());

        CliRun classify = CliRun.of("classify", "--model", vit.toString(), "--limit", "4");
        assertEquals(0, classify.exitCode(), classify.toString());
        assertTrue(classify.out().contains("top-1 accuracy: 4/4"), classify.out());
    }
}
