package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.explain.Saliency;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@code vit explain} on CIFAR-10 test images 0 and 1 with every method (few steps, to stay fast). */
class ExplainCommandTest {

    @TempDir
    static Path dir;

    static CliRun run;

    @BeforeAll
    static void explainTwoImagesWithEveryMethod() {
        run = CliRun.of("explain", "--limit", "2", "--batch", "2", "--ig-steps", "8", "--smoothgrad-samples", "4",
                "--pgd-steps", "2", "--out", dir.toString());
    }

    @Test
    void everyMethodWritesItsMapWithTheShapeTheDocsNameAndAFigurePerImage() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        // the CIFAR-10 model: 32×32 px, an 8×8 grid, 4 layers, 4 heads, 10 classes
        Map<String, long[]> shapes = Map.ofEntries(Map.entry("saliency", new long[] {32, 32}),
                Map.entry("gradxinput", new long[] {32, 32}), Map.entry("smoothgrad", new long[] {32, 32}),
                Map.entry("ig", new long[] {32, 32}), Map.entry("gradcam", new long[] {8, 8}),
                Map.entry("chefer", new long[] {8, 8}), Map.entry("chefer-lrp", new long[] {8, 8}),
                Map.entry("dla", new long[] {8, 8}), Map.entry("attnlrp", new long[] {32, 32}),
                Map.entry("rollout", new long[] {8, 8}), Map.entry("occlusion", new long[] {8, 8}),
                Map.entry("attention", new long[] {4, 4, 8, 8}), Map.entry("logit-lens", new long[] {4, 10}),
                Map.entry("fgsm", new long[] {3, 32, 32}), Map.entry("pgd", new long[] {3, 32, 32}));
        for (String image : new String[] {"0", "1"}) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                INDArray map = Npy.read(dir.resolve(image).resolve(e.getKey() + ".npy"));
                assertArrayEquals(e.getValue(), map.shape(), image + "/" + e.getKey() + ".npy");
                BufferedImage png = ImageIO.read(dir.resolve(image).resolve(e.getKey() + ".png").toFile());
                assertNotNull(png, image + "/" + e.getKey() + ".png is a PNG");
                assertTrue(png.getWidth() > 200 && png.getHeight() > 200, e.getKey() + ".png is a figure");
            }
            assertNotNull(ImageIO.read(dir.resolve(image).resolve("image.png").toFile()));
        }
    }

    @Test
    void theFilesOfTheSecondImageOfABatchAreVitExplainsOwnMapsOfThatImage() throws Exception {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        Vit vit = new Vit(model.weights());
        ImageSource.Batch one = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(1, 1, model.preprocessing());
        INDArray direct = Saliency.defaults().of(vit, one, one.labels()).map().reshape(32, 32);
        INDArray written = Npy.read(dir.resolve("1/saliency.npy"));
        assertTrue(direct.sub(written).amaxNumber().doubleValue() < 1e-5, "saliency of image 1, batched with 0");

        var dla = io.github.vit4j.attribution.DirectLogitAttribution.of(model.weights()).attribute(vit, one.input(),
                one.labels());
        INDArray sources = dla.ofEachImage(dla.sourceMap(), one.labels()).reshape(8, 8).castTo(DataType.FLOAT);
        assertTrue(sources.sub(Npy.read(dir.resolve("1/dla.npy"))).amaxNumber().doubleValue() < 1e-5,
                "dla of image 1 is LogitAttribution's source map of its class");
        INDArray chefer = io.github.vit4j.explain.Chefer.of(vit, one.input(), one.labels()).reshape(8, 8);
        assertTrue(chefer.sub(Npy.read(dir.resolve("1/chefer.npy"))).amaxNumber().doubleValue() < 1e-5,
                "chefer of image 1, batched with 0");

        INDArray lens = Npy.read(dir.resolve("1/logit-lens.npy")).castTo(DataType.DOUBLE);
        double[] probabilities = vit.classify(one.input()).probabilities(0);
        for (int k = 0; k < 10; k++) {
            assertEquals(probabilities[k], lens.getDouble(3, k), 1e-5, "the lens's last layer is the model's output");
        }
    }

    @Test
    void theReportIsOneFileWithEveryFigureInlineAndNothingFetched() throws Exception {
        String html = Files.readString(dir.resolve("report.html"));
        Matcher m = Pattern.compile("data:image/png;base64,").matcher(html);
        int inline = 0;
        while (m.find()) {
            inline++;
        }
        assertEquals(2 * (15 + 1), inline, "every method's figure and the original, for 2 images");
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*[\"']?(https?:)?//").matcher(html).find(), "no remote src");
        assertFalse(html.contains("<link") || html.contains("@import") || html.contains("url("), "no stylesheet links");
        assertFalse(html.contains("fetch(") || html.contains("XMLHttpRequest"), "no requests at view time");
        assertTrue(html.contains("\"attention\":{") && html.contains("\"lens\":{"), "attention patterns and lens data");
    }

    /** Each IG map's note gives Captum's convergence delta and its share of the gap; chefer-lrp's its conservation. */
    @Test
    void integratedGradientsTellsHowExactEachMapIsInTheReport() throws Exception {
        String html = Files.readString(dir.resolve("report.html"));
        Matcher m = Pattern.compile("completeness: Σ attributions − \\(f\\(x\\) − f\\(black\\)\\) = [-0-9.e]+, "
                + "([0-9.]+)% of the gap").matcher(html);
        int notes = 0;
        while (m.find()) {
            notes++;
        }
        assertEquals(2, notes, "one note per image's ig figure");
        assertTrue(html.contains("LRP conservation: Σ relevance at block 0's input"), "chefer-lrp's note");
    }

    @Test
    void aTraceHeatmapInTheFolderIsShownFirstInTheReport() throws Exception {
        Path folder = dir.resolve("traced");
        CliRun trace = CliRun.of("trace", "--limit", "2", "--kinds", "resid", "--window", "1", "--out",
                folder.toString());
        assertEquals(0, trace.exitCode(), trace.toString());
        CliRun explain = CliRun.of("explain", "--limit", "1", "--methods", "rollout", "--out", folder.toString());
        assertEquals(0, explain.exitCode(), explain.toString());
        String html = Files.readString(folder.resolve("report.html"));
        String heatmap = Base64.getEncoder().encodeToString(Files.readAllBytes(folder.resolve("heatmap.png")));
        assertTrue(html.contains("\"trace\":\"data:image/png;base64," + heatmap + "\""),
                "the trace's heatmap.png, inline");
    }

    @Test
    void anUnknownMethodIsRefusedNamingTheMethodsThereAre() {
        CliRun bad = CliRun.of("explain", "--methods", "saliency,lime", "--out", dir.resolve("bad").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("unknown method 'lime'") && bad.err().contains("gradxinput,smoothgrad"),
                bad.err());
    }

    @Test
    void anUnknownAttentionScaleIsRefusedNamingTheTwoThereAre() {
        CliRun bad = CliRun.of("explain", "--methods", "attention", "--attention-scale", "log",
                "--out", dir.resolve("bad-scale").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("unknown --attention-scale 'log'") && bad.err().contains("panel")
                && bad.err().contains("shared"), bad.err());
    }

    @Test
    void anImageWithoutALabelIsRefusedWithTheOptionThatHelps() {
        CliRun bad = CliRun.of("explain", "--images", SharedAssets.resolve("data/images/imagenet_val_00000001.png")
                .toString(), "--methods", "saliency", "--out", dir.resolve("unlabelled").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("--label clean-top1"), bad.err());
    }
}
