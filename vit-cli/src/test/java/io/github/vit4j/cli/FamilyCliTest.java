package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands on models of other families (small random ones at CIFAR-10's 32 px, patch 8: a 4×4 grid): vit inspect
 * names the architecture and token layout, trace defaults to the logit metric on a model without classifier and
 * refuses prob there, explain leaves out what needs a classifier.
 */
class FamilyCliTest {

    @TempDir
    Path dir;

    private Path model(String name, Architecture a, int classes) throws Exception {
        Path file = dir.resolve(name + ".vit");
        VitConfig c = new VitConfig(32, 8, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
        VitFile.write(file, new Pretrained(VitWeights.random(c, 3), Preprocessing.cifar10()));
        return file;
    }

    @Test
    void inspectNamesTheFamilyTheTokenLayoutPoolingAndOutput() throws Exception {
        CliRun run = CliRun.of("inspect", model("dinov2", Architecture.dinov2(3, 0), 16).toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("architecture: DINOv2 with registers: tokens 0 = CLS, 1..3 = registers, "
                + "4..19 = patches; GELU; final LayerNorm on every token; pooling: CLS row; output: the 16-wide "
                + "embedding (no classifier)"), run.out());
        assertTrue(run.out().contains("20 tokens") && run.out().contains("16-wide embedding output"), run.out());

        CliRun clip = CliRun.of("inspect", model("clip", Architecture.clipVision(6), 6).toString());
        assertTrue(clip.out().contains("architecture: CLIP image tower: tokens 0 = CLS, 1..16 = patches; LayerNorm "
                + "before the blocks; quick GELU; final LayerNorm on the CLS row; pooling: CLS row; projection to 6"),
                clip.out());
    }

    @Test
    void inspectOfTheOriginalVitKeepsItsConfigLineAndNamesItsArchitecture() throws Exception {
        CliRun run = CliRun.of("inspect", model("vit", Architecture.VIT, 10).toString());
        assertTrue(run.out().contains("LayerNorm eps 1.0E-6, 10 classes\n"), run.out());
        assertTrue(run.out().contains("architecture: ViT: tokens 0 = CLS, 1..16 = patches;"), run.out());
    }

    @Test
    void aTraceOfSiglipTracksTheLogitByDefaultAndRefusesProbSayingWhy() throws Exception {
        Path m = model("siglip", Architecture.siglipVision(), 16);
        Path out = dir.resolve("trace");
        CliRun run = CliRun.of("trace", "--model", m.toString(), "--limit", "2", "--kinds", "resid", "--label",
                "clean-top1", "--tokens", "patches", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"metric\" : \"logit\"")
                || Files.readString(out.resolve("summary.json")).contains("\"metric\":\"logit\""),
                Files.readString(out.resolve("summary.json")));

        CliRun prob = CliRun.of("trace", "--model", m.toString(), "--limit", "2", "--label", "clean-top1",
                "--metric", "prob", "--out", dir.resolve("prob").toString());
        assertEquals(2, prob.exitCode(), prob.toString());
        assertTrue(prob.err().contains("no classifier") && prob.err().contains("--metric logit"), prob.err());

        CliRun cls = CliRun.of("trace", "--model", m.toString(), "--limit", "1", "--label", "clean-top1",
                "--tokens", "cls", "--out", dir.resolve("cls").toString());
        assertTrue(cls.exitCode() != 0 && cls.err().contains("no CLS token") && cls.err().contains("0..15 = patches"),
                cls.toString());
    }

    @Test
    void explainOfAClipImageTowerLeavesOutTheMethodsThatNeedAClassifier() throws Exception {
        Path m = model("clip", Architecture.clipVision(6), 6);
        Path out = dir.resolve("explain");
        CliRun run = CliRun.of("explain", "--model", m.toString(), "--limit", "1", "--label", "2", "--ig-steps", "2",
                "--smoothgrad-samples", "2", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(Files.exists(out.resolve("0/rollout.npy")) && Files.exists(out.resolve("0/attention.npy"))
                && Files.exists(out.resolve("0/chefer.npy")) && Files.exists(out.resolve("0/chefer-lrp.npy"))
                && Files.exists(out.resolve("0/dla.npy")), "CLIP has CLS and a linear readout");
        assertFalse(Files.exists(out.resolve("0/logit-lens.npy")) || Files.exists(out.resolve("0/fgsm.npy")));

        CliRun lens = CliRun.of("explain", "--model", m.toString(), "--limit", "1", "--label", "2", "--methods",
                "gradcam,logit-lens", "--out", dir.resolve("lens").toString());
        assertEquals(2, lens.exitCode(), lens.toString());
        assertTrue(lens.err().contains("--methods logit-lens") && lens.err().contains("6-wide embedding"), lens.err());
    }

    /** SigLIP has no CLS: its attention map is the mean query's, and the report's explorer knows the layout. */
    @Test
    void explainOfSiglipMapsTheMeanQueryAndTellsTheReportThereIsNoCls() throws Exception {
        Path m = model("siglip", Architecture.siglipVision(), 16);
        Path out = dir.resolve("siglip");
        CliRun run = CliRun.of("explain", "--model", m.toString(), "--limit", "1", "--label", "2", "--methods",
                "attention,rollout,gradcam", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        String page = Files.readString(out.resolve("report.html"));
        assertTrue(page.contains("\"prefix\":0") && page.contains("\"cls\":false")
                && page.contains("0..15 = patches"), "the attention data's layout");
    }

    /** Chefer's maps read the CLS row and DLA a linear readout: SigLIP has neither, so both are refused by name. */
    @Test
    void explainOfSiglipRefusesCheferAndDlaNamingWhy() throws Exception {
        Path m = model("siglip", Architecture.siglipVision(), 16);
        CliRun run = CliRun.of("explain", "--model", m.toString(), "--limit", "1", "--label", "2", "--methods",
                "gradcam,chefer,dla", "--out", dir.resolve("siglip-chefer").toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("chefer maps the CLS row") && run.err().contains("dla splits the output")
                && run.err().contains("leave them out"), run.err());
    }

    @Test
    void gradientsOfAProbabilityAreRefusedOnAnEmbeddingAndOfItsComponentRun() throws Exception {
        Path m = model("dinov2", Architecture.dinov2(0, 0), 16);
        CliRun prob = CliRun.of("gradients", "--model", m.toString(), "--limit", "1", "--label", "3", "--objective",
                "prob", "--out", dir.resolve("prob").toString());
        assertEquals(2, prob.exitCode(), prob.toString());
        assertTrue(prob.err().contains("--objective prob takes a softmax") && prob.err().contains("--objective logit"),
                prob.err());
        CliRun logit = CliRun.of("gradients", "--model", m.toString(), "--limit", "1", "--label", "3", "--out",
                dir.resolve("logit").toString());
        assertEquals(0, logit.exitCode(), logit.toString());
    }

    @Test
    void classifyOfAModelWithoutClassifierIsRefusedNamingEmbedAndClasses() throws Exception {
        Path m = model("dinov2", Architecture.dinov2(0, 0), 16);
        CliRun run = CliRun.of("classify", "--model", m.toString(), "--limit", "1");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("vit classify takes a softmax") && run.err().contains("vit embed")
                && run.err().contains("--classes") && !run.err().contains("Vit.embed"), run.err());
    }
}
