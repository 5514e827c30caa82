package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The maps of a model run on 8×12 images (a 2×3 patch grid): gridHeight × gridWidth, row-major like the tokens. */
class NonSquareMapsTest {

    private static final VitConfig WIDE = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(5),
            Architecture.dinov2Classifier(2, 0)).withImageSize(8, 12);
    private static final Vit VIT = new Vit(VitWeights.random(WIDE, 4), KernelSet.PLAIN);
    private static final Input PIXELS = Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 12).subi(0.5));

    @Test
    void everyMapIsOnTheTwoByThreeGrid() {
        assertArrayEquals(new long[] {2, 2, 3}, GradCam.lastBlock(WIDE).of(VIT, PIXELS, 1).shape());
        assertArrayEquals(new long[] {2, 2, 3}, AttentionRollout.of(VIT, PIXELS).shape());
        assertArrayEquals(new long[] {2, 2, 2, 2, 3}, AttentionMaps.forModel(WIDE).of(VIT, PIXELS).shape());
        assertArrayEquals(new long[] {2, 2, 2, 3}, ActivationMaps.neuron(0).of(VIT, PIXELS).shape());
        assertArrayEquals(new long[] {2, 2, 2, 3}, LogitLens.of(VIT, PIXELS).patchClasses().shape());
        assertTrue(TokenLayout.describe(WIDE).endsWith("the patches of its 2×3 grid"), TokenLayout.describe(WIDE));
    }

    @Test
    void cellRowColumnOfAnAttentionMapIsTokenPrefixPlusRowTimesGridWidthPlusColumn() {
        INDArray maps = AttentionMaps.cls().of(VIT, PIXELS);                            // [B, L, H, 2, 3]
        try (var run = VIT.run(PIXELS, io.github.vit4j.model.Keep.sites(Site.pattern(1)))) {
            INDArray pattern = run.get(Site.pattern(1));                             // [B, H, T, T]
            int p = WIDE.prefixTokens();                                             // CLS + 2 registers
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(pattern.getDouble(1, 0, 0, p + r * 3 + c), maps.getDouble(1, 1, 0, r, c), 1e-6,
                            "cell " + r + "," + c);
                }
            }
        }
    }

    @Test
    void pixelSpaceMethodsRefuseANonSquareModelNamingTheMapsThatWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PixelModel(VIT, Preprocessing.imagenet(8), 1));
        assertTrue(e.getMessage().contains("8×12") && e.getMessage().contains("GradCam"), e.getMessage());
    }
}
