package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.RgbImage;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every explanation method on a small random model of every family (the presets of {@code SmallFamilies}: 8-pixel
 * images, a 2×2 patch grid after 0 to 4 prefix tokens): the maps have the grid's shape and are finite, and where a
 * method reads "the CLS row" its per-family choice is checked by hand against the model's own sites.
 */
class FamilyExplainTest {

    private static final Preprocessing UNIT = Preprocessing.unitRange(8);

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> families() {
        return SmallFamilies.all();
    }

    private static Vit vit(VitConfig c) {
        return new Vit(VitWeights.random(c, 5), KernelSet.PLAIN);
    }

    /** Two images of seeded random pixels in [0, 1]. */
    private static ImageSource.Batch images() {
        Nd4j.getRandom().setSeed(11);                 // the same numbers whichever tests ran before
        return ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), UNIT);
    }

    private static ImageSource source(int n) {
        SplittableRandom rng = new SplittableRandom(9);
        List<RgbImage> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] rgb = new byte[8 * 8 * 3];
            for (int k = 0; k < rgb.length; k++) {
                rgb[k] = (byte) rng.nextInt(256);
            }
            list.add(new RgbImage(8, 8, rgb));
        }
        return ImageSource.held("random", 0, new int[n], list, OptionalInt.of(2));
    }

    private static void assertFiniteGrid(INDArray map, long... shape) {
        assertArrayEquals(shape, map.shape());
        for (double v : map.castTo(DataType.DOUBLE).dup().data().asDouble()) {
            assertTrue(Double.isFinite(v), "a finite map: " + map);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void everyMapHasTheGridsShapeAndIsFiniteOnEveryFamily(String name, VitConfig c) throws Exception {
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        assertFiniteGrid(ActivationMaps.neuron(3).of(vit, images.input()), 2, 2, 2, 2);
        assertFiniteGrid(ActivationMaps.norm(Site.Kind.RESID_POST).of(vit, images.input()), 2, 2, 2, 2);
        assertFiniteGrid(AttentionMaps.forModel(c).of(vit, images.input()), 2, 2, 2, 2, 2);
        assertFiniteGrid(AttentionRollout.of(vit, images.input()), 2, 2, 2);
        INDArray cam = GradCam.lastBlock(c).of(vit, images.input(), 1);
        assertFiniteGrid(cam, 2, 2, 2);
        assertTrue(cam.minNumber().doubleValue() >= 0, name + ": a ReLU");
        assertFiniteGrid(new OcclusionSensitivity(4, 4, new double[] {0.5, 0.5, 0.5}, 8).of(vit, images, 1), 2, 2, 2);
        assertFiniteGrid(Saliency.defaults().of(vit, images, 0).map(), 2, 8, 8);
        DatasetExamples.Result examples = new DatasetExamples(Site.mlpPost(1), 2, 3, 2).of(vit, source(3), UNIT, 3);
        assertEquals(3, examples.patches().size());
        assertTrue(examples.patches().stream().allMatch(e -> e.patch() >= 0 && e.patch() < 4), name);
        ClsStates.Result states = new ClsStates(2).of(vit, source(3), UNIT, 3);
        assertEquals(3, states.layer(1).length);
        assertEquals(c.hiddenSize(), states.layer(1)[0].length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void activationMapsReadThePatchRowsAfterThePrefixTokens(String name, VitConfig c) {
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        INDArray maps = ActivationMaps.neuron(5).of(vit, images.input());
        try (Activations run = vit.run(images.input(), Keep.kinds(Site.Kind.MLP_POST))) {
            INDArray post = run.get(Site.mlpPost(1));                                         // [B, T, M]
            for (int p = 0; p < 4; p++) {
                assertEquals(post.getFloat(1, c.prefixTokens() + p, 5), maps.getFloat(1, 1, p / 2, p % 2), 0f,
                        name + " patch " + p);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theLogitLensRunsTheModelsOwnHeadOrRefusesAModelWithoutClassifier(String name, VitConfig c) {
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        if (c.architecture().head() == Architecture.Head.NONE) {
            var e = assertThrows(IllegalArgumentException.class, () -> LogitLens.of(vit, images.input()));
            assertTrue(e.getMessage().contains("no classifier") && e.getMessage().contains("zero-shot"),
                    e.getMessage());
            return;
        }
        LogitLens.Result lens = LogitLens.of(vit, images.input());
        assertFiniteGrid(lens.patchClasses(), 2, 2, 2, 2);
        double[][] logits = vit.logits(images.input()).castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int k = 0; k < c.classes(); k++) {
            assertEquals(io.github.vit4j.model.Predictions.softmax(logits[1])[k],
                    lens.probabilities().getDouble(1, 1, k), 1e-6, name + ": the last block's lens is the output");
        }
    }

    /** On the original ViT the per-token lens by broadcast streams is the head on each token's ln_final row. */
    @Test
    void theBroadcastTokenLensIsTheHeadOnTheTokensRowForAClsHead() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 7);
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        LogitLens.Result lens = LogitLens.of(vit, images.input());
        try (Activations run = vit.run(images.input(), Keep.kinds(Site.Kind.RESID_POST))) {
            int[] broadcast = LogitLens.classesIfEveryTokenWere(vit, run.get(Site.residPost(0)));
            for (int i = 0; i < 2; i++) {
                for (int p = 0; p < 4; p++) {
                    assertEquals(lens.patchClasses().getInt(i, 0, p / 2, p % 2), broadcast[i * 4 + p]);
                }
            }
        }
    }

    @Test
    void attentionFromClsIsRefusedOnSiglipNamingTheMeanOverQueriesWhichAveragesEveryRow() {
        VitConfig c = SmallFamilies.small(Architecture.siglipVision(), 16);
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        var e = assertThrows(IllegalArgumentException.class, () -> AttentionMaps.cls().of(vit, images.input()));
        assertTrue(e.getMessage().contains("no CLS token") && e.getMessage().contains("AttentionMaps.mean()"),
                e.getMessage());
        INDArray maps = AttentionMaps.mean().of(vit, images.input());
        try (Activations run = vit.run(images.input(), Keep.kinds(Site.Kind.PATTERN))) {
            INDArray pattern = run.get(Site.pattern(1));                                     // [B, H, 4, 4]
            double mean = 0;
            for (int q = 0; q < 4; q++) {
                mean += pattern.getDouble(0, 1, q, 3) / 4;
            }
            assertEquals(mean, maps.getDouble(0, 1, 1, 1, 1), 1e-6);
        }
    }

    /**
     * DINOv2 with 3 registers: T = 1 + 3 + 4. The map is row 0 of the rollout at the 4 patch columns (5..8 minus
     * the prefix 4), renormalised to sum 1; the registers' columns are left out.
     */
    @Test
    void dinov2RegistersRolloutIsTheClsRowOverThePatchesRenormalised() {
        VitConfig c = SmallFamilies.small(Architecture.dinov2(3, 0), 16);
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        INDArray map = AttentionRollout.of(vit, images.input());
        INDArray r = AttentionRollout.matrix(vit, images.input());                               // [B, 8, 8]
        double patches = 0;
        for (int k = 4; k < 8; k++) {
            patches += r.getDouble(0, 0, k);
        }
        assertEquals(1, map.sumNumber().doubleValue() / 2, 1e-5, "each image's map sums to 1");
        for (int k = 0; k < 4; k++) {
            assertEquals(r.getDouble(0, 0, 4 + k) / patches, map.getDouble(0, k / 2, k % 2), 1e-6);
        }
    }

    /** Distilled DeiT: T = 2 + 4; the map is the mean of the CLS and distillation rows at the patch columns 2..5. */
    @Test
    void distilledRolloutIsTheMeanOfTheClsAndDistillationRows() {
        VitConfig c = SmallFamilies.small(Architecture.deitDistilled(), 5);
        Vit vit = vit(c);
        ImageSource.Batch images = images();
        INDArray map = AttentionRollout.of(vit, images.input());
        INDArray r = AttentionRollout.matrix(vit, images.input());
        for (int k = 0; k < 4; k++) {
            assertEquals((r.getDouble(1, 0, 2 + k) + r.getDouble(1, 1, 2 + k)) / 2, map.getDouble(1, k / 2, k % 2),
                    1e-6);
        }
    }

    /**
     * A CAM over 2 prefix tokens and a 2×2 grid, D = 1: the patch gradients 2, 4, 0, 2 average to w = 2; the patch
     * activations 1, −1, 2, 0 give 2, −2, 4, 0, the ReLU 2, 0, 4, 0. The prefix rows (100s) take no part.
     */
    @Test
    void gradCamSkipsEveryPrefixToken() {
        INDArray a = Nd4j.create(new float[] {100, 100, 1, -1, 2, 0}, new long[] {1, 6, 1}, 'c');
        INDArray g = Nd4j.create(new float[] {100, 100, 2, 4, 0, 2}, new long[] {1, 6, 1}, 'c');
        assertArrayEquals(new float[] {2, 0, 4, 0}, GradCam.cam(a, g, 2, 2).reshape(4).toFloatVector(), 0f);
    }

    @Test
    void anAttackOnAModelWithoutClassifierIsRefusedSayingWhy() {
        VitConfig c = SmallFamilies.small(Architecture.clipVision(6), 6);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Attack.fgsm(8).untargeted(vit(c), images(), 0));
        assertTrue(e.getMessage().contains("no classifier") && e.getMessage().contains("6-wide embedding"),
                e.getMessage());
    }
}
