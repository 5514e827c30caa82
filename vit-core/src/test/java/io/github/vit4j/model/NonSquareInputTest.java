package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Every family at a non-square input: a model trained on 8×8 images (a 2×2 position grid, patch 4) run on 8×12
 * images (a 2×3 grid), its positions resized as Hugging Face's {@code interpolate_pos_encoding} resizes them.
 */
class NonSquareInputTest {

    private static final int HEIGHT = 8;
    private static final int WIDTH = 12;

    /** Trained at 8 (2×2 grid), patch 4, width 16, 2 layers of 2 heads, MLP 32, eps 1e-6; run at 8×12. */
    private static VitConfig wide(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a)
                .withImageSize(HEIGHT, WIDTH);
    }

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("vit", wide(Architecture.VIT, 5)),
                Arguments.of("clip vision", wide(Architecture.clipVision(6), 6)),
                Arguments.of("dinov2", wide(Architecture.dinov2(0, 0), 16)),
                Arguments.of("dinov2 registers classifier", wide(Architecture.dinov2Classifier(3, 0), 5)),
                Arguments.of("siglip", wide(Architecture.siglipVision(), 16)),
                Arguments.of("deit distilled", wide(Architecture.deitDistilled(), 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theFastPathEqualsTheReferenceAtEverySiteOfEveryFamilyOnANonSquareInput(String name, VitConfig config) {
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, HEIGHT, WIDTH).subi(0.5).muli(2);
        try (Activations ref = new ReferenceForward(VitWeights.random(config, 7)).run(Input.normalized(x),
                Keep.sites(Site.residPre(0)))) {
            assertArrayEquals(new long[] {2, config.prefixTokens() + 6, 16}, ref.get(Site.residPre(0)).shape(), name);
        }
        FamilyPresetsTest.assertFastPathEqualsReference(name, config, x);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theInputGradientOfANonSquareInputAgreesWithACentralDifference(String name, VitConfig config) {
        FamilyPresetsTest.assertInputGradientAgrees(name, config, HEIGHT, WIDTH);
    }

    @Test
    void thePositionsAddedAreHuggingFacesInterpolationForTheInputsHeightAndWidth() {
        for (boolean antialias : new boolean[] {false, true}) {
            Architecture a = Architecture.dinov2(0, 0);                 // DINOv2, or with the registers' antialias
            VitConfig trained = new VitConfig(28, 14, 3, 8, 1, 2, 16, 1e-6, VitConfig.numberedLabels(8),
                    new Architecture(a.tokens(), 0, a.embedNorm(), a.activation(), a.finalNormOnPooled(), a.pooling(),
                            a.projection(), a.head(), a.cosineHead(), 0, antialias));
            VitWeights w = VitWeights.random(trained, 5).withImageSize(56, 42);
            assertEquals(4, w.config().gridHeight());
            assertEquals(3, w.config().gridWidth());
            INDArray expected = PositionGrid.forInput(w.posEmbed(), 14, 56, 42, antialias);     // [1 + 12, 8]
            assertArrayEquals(expected.shape(), TokenTable.of(w).positions().shape());
            assertEquals(expected, TokenTable.of(w).positions(), "antialias " + antialias);
        }
    }

    @Test
    void atTheTrainedSquareSizeNothingIsResized() {
        VitConfig config = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(16),
                Architecture.dinov2(0, 0));
        assertEquals(config, config.withImageSize(8, 8));
        assertEquals(config, config.withImageSize(8, 12).withImageSize(8, 8));
        VitWeights w = VitWeights.random(config, 3);
        INDArray rows = w.posEmbed().get(NDArrayIndex.interval(0, 5), NDArrayIndex.all());
        assertEquals(rows, TokenTable.of(w.withImageSize(8, 8)).positions());
    }

    @Test
    void aNonSquareConfigKnowsItsGridAndRefusesGridSizeNamingGridHeightAndGridWidth() {
        VitConfig config = VitConfig.deitTiny().withImageSize(224, 160);
        assertEquals(224, config.imageHeight());
        assertEquals(160, config.imageWidth());
        assertEquals(14, config.gridHeight());
        assertEquals(10, config.gridWidth());
        assertEquals(140, config.patches());
        assertEquals(141, config.tokens());
        assertEquals(14, config.positionGrid());
        assertEquals(197, config.positionRows());
        assertFalse(config.square());
        IllegalStateException e = assertThrows(IllegalStateException.class, config::gridSize);
        assertTrue(e.getMessage().contains("14×10") && e.getMessage().contains("gridHeight() and gridWidth()"),
                e.getMessage());
        assertTrue(config.toString().startsWith("VitConfig[imageSize=224, imageWidth=160, patchSize=16"),
                config.toString());
        assertTrue(VitConfig.deitTiny().toString().startsWith("VitConfig[imageSize=224, patchSize=16"));
    }

    @Test
    void aNonSquareInputWithoutATrainedGridOrAWidthThePatchDoesNotDivideIsRefused() {
        IllegalArgumentException noGrid = assertThrows(IllegalArgumentException.class, () -> new VitConfig(224, 16,
                3, 64, 1, 2, 64, 1e-6, VitConfig.numberedLabels(2), Architecture.VIT, 160));
        assertTrue(noGrid.getMessage().contains("224×160") && noGrid.getMessage().contains("withImageSize"),
                noGrid.getMessage());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> VitConfig.deitTiny().withImageSize(224, 150));
        assertTrue(width.getMessage().contains("imageWidth 150") && width.getMessage().contains("patchSize 16"),
                width.getMessage());
    }

    @Test
    void aZeroShotClassifierOfANonSquareImageTowerKeepsItsSizeAndReadsItsImageEmbeddings() {
        VitConfig image = wide(Architecture.clipVision(6), 6);
        TextConfig text = new TextConfig(16, 5, 8, 2, 2, 16, 1e-5, Architecture.Activation.QUICK_GELU, 6, 15);
        Clip clip = new Clip(VitWeights.random(image, 1), TextWeights.random(text, 2), 0);
        long[][] ids = {{1, 2, 15, 0, 0}, {3, 15, 0, 0, 0}};
        VitWeights classifier = ZeroShot.classifier(clip, java.util.List.of("cat", "dog"), ids);
        assertEquals(WIDTH, classifier.config().imageWidth());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, HEIGHT, WIDTH).subi(0.5);
        INDArray embeds = new Vit(clip.image(), KernelSet.PLAIN).logits(Input.normalized(x));        // [1, 6]
        INDArray prompts = new TextTower(clip.text(), KernelSet.PLAIN).textEmbeds(ids);             // [2, 6]
        INDArray logits = new Vit(classifier, KernelSet.PLAIN).logits(Input.normalized(x));          // [1, 2]
        for (int c = 0; c < 2; c++) {
            INDArray a = embeds.getRow(0);
            INDArray b = prompts.getRow(c);
            double cosine = a.mul(b).sumNumber().doubleValue() / a.norm2Number().doubleValue()
                    / b.norm2Number().doubleValue();
            assertEquals(cosine, logits.getDouble(0, c), 1e-5, "class " + c);     // scale exp(0) = 1
        }
    }

    @Test
    void pixelsOfTheSquareSizeAreRefusedByANonSquareModelNamingHeightAndWidth() {
        VitConfig config = wide(Architecture.dinov2(0, 0), 16);
        Vit vit = new Vit(VitWeights.random(config, 1), KernelSet.PLAIN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vit.logits(Input.normalized(Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8))));
        assertTrue(e.getMessage().contains("[1, 3, 8, 12]") && e.getMessage().contains("8×12 (height × width)"),
                e.getMessage());
    }
}
