package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default images are CIFAR-10 records, labelled with CIFAR-10's 10 classes; DeiT-tiny has ImageNet's 1000. Their
 * labels are not scored against its predictions (that accuracy would be meaningless); --label clean-top1 runs
 * without them.
 */
class LabelsThatDoNotFitCliTest {

    private static final String DEIT = SharedAssets.resolve("models/deit-tiny-imagenet/hf").toString();

    @TempDir
    Path dir;

    @Test
    void classifyingCifarImagesWithAnImagenetModelRefusesToScoreTheirLabels() {
        CliRun run = CliRun.of("classify", "--model", DEIT, "--limit", "2");

        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("CIFAR-10's 10 classes but the model has 1000 classes")
                && run.err().contains("--label clean-top1"), run.err());
        assertFalse(run.out().contains("top-1 accuracy"), run.out());
    }

    @Test
    void classifyWithLabelCleanTop1ShowsTheClassesWithoutAnAccuracy() {
        CliRun run = CliRun.of("classify", "--model", DEIT, "--limit", "2", "--label", "clean-top1");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(2, run.out().strip().lines().count(), run.out());
        assertFalse(run.out().contains("top-1 accuracy") || run.out().contains("✓") || run.out().contains("✗"),
                run.out());
    }

    @Test
    void tracingCifarLabelsThroughAnImagenetModelIsRefusedBeforeAnythingIsWritten() {
        assertRefusedBeforeWriting("trace", "trace.csv");
    }

    @Test
    void gradientsOfCifarLabelsThroughAnImagenetModelAreRefusedBeforeAnythingIsWritten() {
        assertRefusedBeforeWriting("gradients", "input.npy");
    }

    private void assertRefusedBeforeWriting(String command, String firstFile) {
        CliRun run = CliRun.of(command, "--model", DEIT, "--limit", "1", "--out", dir.toString());

        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("CIFAR-10's 10 classes but the model has 1000 classes")
                && run.err().contains("--label clean-top1"), run.err());
        assertFalse(Files.exists(dir.resolve(firstFile)), "nothing is written");
    }
}
