package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.NpzEntries;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.Npy;
import io.github.vit4j.format.VitFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Zero-shot classes on the command line, on the tiny whole CLIP of ../shared: the classes named in words make any
 * command's model a classifier whose logits are Hugging Face's {@code logits_per_image}; {@code vit tokenize} writes
 * {@code clip.tokenize}'s ids.
 */
class ZeroShotCliTest {

    private static final Path CLIP = SharedAssets.resolve("models/families/clip-tiny");
    private static final Path REFERENCE = SharedAssets.resolve("reference/families/clip-tiny");

    @TempDir
    Path dir;

    @Test
    void classifyWithThePromptsAsClassesGivesHuggingFacesLogitsPerImage() throws Exception {
        Path logits = dir.resolve("logits.npy");
        CliRun run = CliRun.of("classify", "--model", CLIP.toString(), "--images", REFERENCE.resolve("images").toString(),
                "--classes-file", REFERENCE.resolve("prompts.txt").toString(), "--template", "{}",
                "--label", "clean-top1", "--top", "2", "--logits", logits.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("a photo of a"), run.out());
        INDArray got = Npy.read(logits).castTo(DataType.DOUBLE);
        INDArray want = Npy.read(REFERENCE.resolve("logits_per_image_float64.npy"));
        assertArrayEquals(want.shape(), got.shape());
        double scale = want.amaxNumber().doubleValue();
        double diff = got.sub(want).amaxNumber().doubleValue();
        // the images are read from PNG and preprocessed by vit4j (Pillow-exact), the reference from its own pixels
        assertTrue(diff <= 1e-4 * scale, "logits differ by " + diff + " of " + scale);
    }

    @Test
    void theTemplateShapesThePromptsAndSeveralAreAveraged() throws Exception {
        Path one = dir.resolve("one.npy");
        Path two = dir.resolve("two.npy");
        String images = REFERENCE.resolve("images").toString();
        assertEquals(0, CliRun.of("classify", "--model", CLIP.toString(), "--images", images, "--classes",
                "bird,horse,truck", "--label", "clean-top1", "--logits", one.toString()).exitCode());
        CliRun run = CliRun.of("classify", "--model", CLIP.toString(), "--images", images, "--classes",
                "bird,horse,truck", "--template", "a photo of a {}.", "--template", "a drawing of a {}.",
                "--label", "clean-top1", "--logits", two.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(3, Npy.read(one).size(1));
        assertNotEquals(Npy.read(one), Npy.read(two));
    }

    @Test
    void aTemplateWithoutClassesAndAModelWithoutTextTowerAreRefusedSayingWhy() throws Exception {
        CliRun lone = CliRun.of("classify", "--model", CLIP.toString(), "--images",
                REFERENCE.resolve("images").toString(), "--template", "a photo of a {}.");
        assertNotEquals(0, lone.exitCode(), lone.toString());
        assertTrue(lone.err().contains("--classes"), lone.err());

        CliRun siglip = CliRun.of("classify", "--model",
                SharedAssets.resolve("models/families/siglip-vision-tiny").toString(), "--images",
                REFERENCE.resolve("images").toString(), "--classes", "cat,dog");
        assertNotEquals(0, siglip.exitCode(), siglip.toString());
        assertTrue(siglip.err().contains("text"), siglip.err());
    }

    @Test
    void aModelFileGivenByARelativeNameHasTheWorkingFolderAsItsFolder() {
        assertEquals(Path.of("").toAbsolutePath(), ModelOption.folderOf(Path.of("model.safetensors")));
        assertEquals(CLIP, ModelOption.folderOf(CLIP));
    }

    @Test
    void classesWithAVitFileAreRefusedUpFrontSayingItHoldsOnlyTheImageTower() throws Exception {
        Path vit = dir.resolve("clip.vit");
        VitFile.write(vit, ModelLoader.load(CLIP));
        CliRun run = CliRun.of("classify", "--model", vit.toString(), "--images",
                REFERENCE.resolve("images").toString(), "--classes", "cat,dog");
        assertNotEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("is a .vit file, which holds only the image tower"), run.err());
        assertTrue(run.err().contains("CLIP model's folder (or its hf: id)"), run.err());
    }

    @Test
    void tokenizeWritesClipTokenizesIdsAsInt64() throws Exception {
        Path ids = dir.resolve("ids.npy");
        CliRun run = CliRun.of("tokenize", "--model", CLIP.toString(), "--text-file",
                REFERENCE.resolve("prompts.txt").toString(), "--out", ids.toString());
        assertEquals(0, run.exitCode(), run.toString());
        INDArray got = Npy.read(ids);
        assertEquals(DataType.LONG, got.dataType());
        INDArray want = NpzEntries.read(REFERENCE.resolve("reference.npz"), "input_ids");
        assertEquals(want.castTo(DataType.LONG), got);
        assertEquals(List.of(5L, 77L), List.of(got.size(0), got.size(1)));
        assertTrue(Files.size(ids) > 5 * 77 * 8);
    }

    @Test
    void aSparkTraceOfZeroShotClassesIsRefusedAsItsExecutorsWouldLoadTheModelWithoutThem() {
        CliRun run = CliRun.of("trace", "--model", CLIP.toString(), "--images", REFERENCE.resolve("images").toString(),
                "--classes", "bird,horse", "--label", "clean-top1", "--spark", "local[1]", "--out",
                dir.resolve("trace").toString());
        assertNotEquals(0, run.exitCode(), run.toString());
        assertTrue(run.err().contains("without the zero-shot classes"), run.err());
    }
}
