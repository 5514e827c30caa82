package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.kernels.KernelSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Zero-shot classification on seeded random towers: the classifier's logits are exp(logit_scale) times the cosine
 * of each image's embedding with each class's, computed here independently in double; several templates are
 * averaged as OpenAI does; the classes' names label the model, and its gradients exist. The golden test against
 * Hugging Face's {@code logits_per_image} is weights-converter's {@code ClipGoldenTest}.
 */
class ZeroShotTest {

    private static final VitConfig IMAGE = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(6),
            Architecture.clipVision(6));
    private static final TextConfig TEXT = new TextConfig(16, 5, 8, 2, 2, 16, 1e-5,
            Architecture.Activation.QUICK_GELU, 6, 15);
    private static final Clip CLIP = new Clip(VitWeights.random(IMAGE, 1), TextWeights.random(TEXT, 2), Math.log(50));
    private static final INDArray PIXELS = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8).subi(0.5).muli(2);

    @Test
    void theLogitsAreTheScaleTimesTheCosineOfImageAndPromptEmbeddings() {
        long[][] ids = {{1, 2, 15, 0, 0}, {3, 15, 0, 0, 0}, {4, 5, 6, 7, 15}};
        VitWeights classifier = ZeroShot.classifier(CLIP, List.of("cat", "dog", "bird"), ids);
        INDArray logits = new Vit(classifier, KernelSet.PLAIN).logits(Input.normalized(PIXELS));     // [2, 3]
        INDArray image = new Vit(CLIP.image(), KernelSet.PLAIN).logits(Input.normalized(PIXELS));   // [2, 6]
        INDArray text = new TextTower(CLIP.text(), KernelSet.PLAIN).textEmbeds(ids);                 // [3, 6]
        for (int i = 0; i < 2; i++) {
            for (int c = 0; c < 3; c++) {
                double want = 50 * cosine(image.getRow(i), text.getRow(c));
                assertEquals(want, logits.getDouble(i, c), 1e-5 * 50, "image " + i + ", class " + c);
            }
        }
        assertEquals(List.of("cat", "dog", "bird"), classifier.config().labels());
        assertTrue(classifier.config().architecture().cosineHead());
        assertEquals(0.0, classifier.head().bias().amaxNumber().doubleValue());
    }

    @Test
    void severalPromptsOfAClassAreNormalisedAveragedAndNormalisedAgain() {
        long[][][] ids = {{{1, 2, 15}, {1, 3, 15}}, {{4, 15, 0}, {5, 6, 15}, {7, 15, 15}}};
        INDArray classes = ZeroShot.classEmbeddings(new TextTower(CLIP.text(), KernelSet.PLAIN), List.of("a", "b"),
                ids);
        TextTower tower = new TextTower(CLIP.text(), KernelSet.PLAIN);
        for (int c = 0; c < 2; c++) {
            INDArray sum = Nd4j.zeros(DataType.DOUBLE, 6);
            for (long[] prompt : ids[c]) {
                INDArray e = tower.textEmbeds(new long[][] {prompt}).castTo(DataType.DOUBLE).reshape(6);
                sum.addi(e.div(e.norm2Number()));
            }
            INDArray want = sum.div(sum.norm2Number());
            assertArrayEquals(want.toDoubleVector(), classes.getRow(c).castTo(DataType.DOUBLE).toDoubleVector(), 1e-6);
        }
    }

    @Test
    void templatesMakeOnePromptPerClassAndTheTokenizerSeesThemAll() {
        List<String> seen = new ArrayList<>();
        VitWeights classifier = ZeroShot.classifier(CLIP, List.of("cat", "dog"),
                List.of(ZeroShot.DEFAULT_TEMPLATE, "a drawing of a {}, a {}."), prompts -> {
                    seen.addAll(prompts);
                    return prompts.stream().map(prompt -> new long[] {prompt.length() % 14, 15})
                            .toArray(long[][]::new);
                });
        assertEquals(List.of("a photo of a cat.", "a photo of a dog.", "a drawing of a cat, a cat.",
                "a drawing of a dog, a dog."), seen);
        Predictions p = new Vit(classifier).classify(Input.normalized(PIXELS));
        assertEquals(2, p.classes());
        assertTrue(List.of("cat", "dog").contains(p.top1(0).label()), p.top1(0).label());
    }

    @Test
    void aClassLogitsGradientFlowsToThePixels() {
        VitWeights classifier = ZeroShot.classifier(CLIP, List.of("cat", "dog"), new long[][] {{1, 15}, {2, 15}});
        Gradients g = new Vit(classifier, KernelSet.PLAIN).gradients(Input.normalized(PIXELS), Map.of(),
                Objective.logit(1));
        assertTrue(g.input().norm2Number().doubleValue() > 0);
    }

    @Test
    void aZeroShotClassifierSavedAsAVitFileLoadsWithItsClassNamesAndItsLogits(@TempDir Path dir) throws IOException {
        VitWeights classifier = ZeroShot.classifier(CLIP, List.of("cat", "dog"), new long[][] {{1, 15}, {2, 15}});
        Path file = dir.resolve("zero-shot.vit");
        VitFile.write(file, new Pretrained(classifier, Preprocessing.unitRange(8)));
        Pretrained back = VitFile.read(file);
        assertEquals(classifier.config(), back.config());
        INDArray want = new Vit(classifier, KernelSet.PLAIN).logits(Input.normalized(PIXELS));
        INDArray got = new Vit(back.weights(), KernelSet.PLAIN).logits(Input.normalized(PIXELS));
        assertArrayEquals(want.ravel().toFloatVector(), got.ravel().toFloatVector());
    }

    @Test
    void aTemplateWithoutPlaceholderTowersOfTwoWidthsOrOnePromptTooFewAreRefused() {
        IllegalArgumentException template = assertThrows(IllegalArgumentException.class,
                () -> ZeroShot.prompts("a photo", List.of("cat")));
        assertTrue(template.getMessage().contains("\"a photo\" has no {}"), template.getMessage());
        TextConfig wide = new TextConfig(16, 5, 8, 1, 2, 16, 1e-5, Architecture.Activation.QUICK_GELU, 7, 15);
        IllegalArgumentException widths = assertThrows(IllegalArgumentException.class,
                () -> new Clip(CLIP.image(), TextWeights.random(wide, 3), 0));
        assertTrue(widths.getMessage().contains("projects to 6 dimensions but the text tower to 7"),
                widths.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> ZeroShot.classifier(CLIP, List.of("cat", "dog"), new long[][] {{1, 15}}));
        assertTrue(count.getMessage().contains("1 lists of prompt ids for 2 classes"), count.getMessage());
    }

    @Test
    void promptsOfDifferentLengthsArePaddedAndEmbedAsEachAlone() {
        long[][][] ids = {{{1, 15}, {4, 5, 6, 7, 15}}, {{3, 2, 15}}};
        INDArray got = ZeroShot.classEmbeddings(new TextTower(CLIP.text(), KernelSet.PLAIN), List.of("cat", "dog"), ids);
        TextTower tower = new TextTower(CLIP.text(), KernelSet.PLAIN);
        for (int c = 0; c < ids.length; c++) {
            INDArray sum = Nd4j.zeros(DataType.DOUBLE, 6);
            for (long[] prompt : ids[c]) {
                INDArray e = tower.textEmbeds(new long[][] {prompt}).castTo(DataType.DOUBLE).reshape(6);
                sum.addi(e.div(e.norm2Number()));
            }
            INDArray want = sum.div(sum.norm2Number());
            assertTrue(want.sub(got.getRow(c).castTo(DataType.DOUBLE)).amaxNumber().doubleValue() <= 1e-5,
                    "class " + c + ": " + want + " vs " + got.getRow(c));
        }
    }

    @Test
    void aPromptTheTextTowerCannotReadIsRefusedNamingItsClassAndPrompt() {
        long[][][] ids = {{{1, 15}}, {{3, 15}, {4, 5, 6}}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZeroShot.classEmbeddings(new TextTower(CLIP.text(), KernelSet.PLAIN), List.of("cat", "dog"), ids));
        assertTrue(e.getMessage().contains("class \"dog\", prompt 1") && e.getMessage().contains("15"),
                e.getMessage());
    }

    @Test
    void aNullOrBlankClassNameIsRefusedNamingItsPosition() {
        for (String name : java.util.Arrays.asList(null, " ")) {
            List<String> classes = java.util.Arrays.asList("cat", name);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ZeroShot.prompts(ZeroShot.DEFAULT_TEMPLATE, classes));
            assertTrue(e.getMessage().contains("class 1"), e.getMessage());
            IllegalArgumentException ids = assertThrows(IllegalArgumentException.class,
                    () -> ZeroShot.classifier(CLIP, classes, new long[][] {{1, 15}, {2, 15}}));
            assertTrue(ids.getMessage().contains("class 1"), ids.getMessage());
        }
    }

    private static double cosine(INDArray a, INDArray b) {
        INDArray x = a.castTo(DataType.DOUBLE);
        INDArray y = b.castTo(DataType.DOUBLE);
        return x.mul(y).sumNumber().doubleValue() / (x.norm2Number().doubleValue() * y.norm2Number().doubleValue());
    }
}
