package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Deletion and insertion curves: ranking, the ends of the curves, a middle step built by hand, the AUC by hand. */
class FaithfulnessTest {

    @Test
    void theAucIsTheTrapezoidRuleOverTheFractionsWorkedByHand() {
        // S = 3, fractions 0, 1/3, 2/3, 1: (1 + 0.6)/2 · 1/3 + (0.6 + 0.2)/2 · 1/3 + (0.2 + 0)/2 · 1/3
        //   = (0.8 + 0.4 + 0.1) / 3 = 1.3 / 3 = 0.4333…
        Faithfulness.Curve curve = new Faithfulness.Curve(new double[] {1.0, 0.6, 0.2, 0.0});
        assertEquals(1.3 / 3, curve.auc(), 1e-15);
        assertEquals(3, curve.steps());
        assertEquals(2.0 / 3, curve.fraction(2), 1e-15);
    }

    @Test
    void tiedPatchesAreRankedByTheirIndex() {
        assertArrayEquals(new int[] {1, 3, 0, 2, 4},
                PatchRanking.mostRelevantFirst(new double[] {0.2, 0.5, 0.2, 0.5, -1}));
    }

    @Test
    void aMapAtTheImageSizeIsAveragedOverEachPatch() {
        // 4×4 map, 2×2 patches: patch 0 = mean(1, 2, 5, 6) = 3.5, patch 1 = mean(3, 4, 7, 8) = 5.5,
        // patch 2 = mean(9, 10, 13, 14) = 11.5, patch 3 = mean(11, 12, 15, 16) = 13.5
        INDArray map = Nd4j.arange(1, 17).castTo(DataType.DOUBLE).reshape(1, 4, 4);
        assertArrayEquals(new double[] {3.5, 5.5, 11.5, 13.5}, PatchRanking.scores(map, 0, 2, 2), 1e-12);
        INDArray onGrid = Nd4j.createFromArray(new double[][][] {{{4, 3}, {2, 1}}});
        assertArrayEquals(new double[] {4, 3, 2, 1}, PatchRanking.scores(onGrid, 0, 2, 2), 0);
    }

    @Test
    void stepIRemovesTheFloorOfIntimesNOverSPatches() {
        assertEquals(0, PatchRanking.removedAt(0, 64, 5));
        assertEquals(12, PatchRanking.removedAt(1, 64, 5), "floor(64 / 5) = 12");
        assertEquals(51, PatchRanking.removedAt(4, 64, 5), "floor(256 / 5) = 51");
        assertEquals(64, PatchRanking.removedAt(5, 64, 5));
    }

    @Test
    void deletingNoPatchGivesTheCleanPredictionAndAllOfThemTheAllRemovedOne() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] labels = images.labels();
        INDArray maps = randomMaps(2, 8, 0);
        Faithfulness f = new Faithfulness(4, 3);
        List<Faithfulness.Curve> deletion = f.deletion(vit, images, maps, labels);
        List<Faithfulness.Curve> insertion = f.insertion(vit, images, maps, labels);
        for (int i = 0; i < 2; i++) {
            INDArray one = PixelModel.rows(images.pixels(), i, i + 1);
            double clean = probability(vit, images, one, labels[i]);
            double removed = probability(vit, images, meanFilled(images, one, 32), labels[i]);
            assertEquals(5, deletion.get(i).p().length, "S + 1 points");
            assertEquals(clean, deletion.get(i).p()[0], 1e-5, "image " + i + ", nothing deleted");
            assertEquals(removed, deletion.get(i).p()[4], 1e-5, "image " + i + ", everything deleted");
            assertEquals(removed, insertion.get(i).p()[0], 1e-5, "image " + i + ", nothing inserted");
            assertEquals(clean, insertion.get(i).p()[4], 1e-5, "image " + i + ", everything inserted");
        }
    }

    @Test
    void aMiddleStepRemovesTheMostRelevantPatchesAndInsertionRestoresThem() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(3, 1);
        int y = images.labels()[0];
        // score of patch k = −k on the 8×8 grid: most relevant first is 0, 1, 2, …; with S = 4, step 1 removes
        // floor(64 / 4) = 16 patches: 0..15, the top two patch rows, i.e. pixel rows 0..7 of the 4-px patches
        INDArray maps = Nd4j.arange(64).castTo(DataType.FLOAT).neg().reshape(1, 8, 8);
        Faithfulness f = new Faithfulness(4, 64);
        INDArray deleted = images.pixels().dup();
        INDArray restored = meanFilled(images, images.pixels(), 32);
        for (int ch = 0; ch < 3; ch++) {
            deleted.get(NDArrayIndex.point(0), NDArrayIndex.point(ch), NDArrayIndex.interval(0, 8), NDArrayIndex.all())
                    .assign(images.preprocessing().mean()[ch]);
            restored.get(NDArrayIndex.point(0), NDArrayIndex.point(ch), NDArrayIndex.interval(0, 8),
                    NDArrayIndex.all()).assign(images.pixels().get(NDArrayIndex.point(0), NDArrayIndex.point(ch),
                    NDArrayIndex.interval(0, 8), NDArrayIndex.all()));
        }
        assertEquals(probability(vit, images, deleted, y), f.deletion(vit, images, maps, y).get(0).p()[1], 1e-5);
        assertEquals(probability(vit, images, restored, y), f.insertion(vit, images, maps, y).get(0).p()[1], 1e-5);
    }

    @Test
    void aMapNeitherOnThePatchGridNorAtTheImageSizeIsRefusedNamingItsShape() {
        ImageSource.Batch images = Cifar.images(0, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new Faithfulness(4, 8)
                .deletion(Cifar.vit(), images, Nd4j.zeros(DataType.FLOAT, 1, 7, 7), 0));
        assertTrue(e.getMessage().contains("[1, 7, 7]") && e.getMessage().contains("[B, 8, 8]"), e.getMessage());
    }

    /** {@code [b, side, side]} uniform in [0, 1) from {@code seed}, leaving ND4J's generator alone. */
    static INDArray randomMaps(int b, int side, long seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] v = new float[b * side * side];
        for (int k = 0; k < v.length; k++) {
            v[k] = random.nextFloat();
        }
        return Nd4j.create(v, new long[] {b, side, side}, 'c');
    }

    /** The pixels with every channel set to the dataset mean (the normalised input's 0). */
    static INDArray meanFilled(ImageSource.Batch images, INDArray one, int side) {
        INDArray out = one.dup();
        for (int ch = 0; ch < 3; ch++) {
            out.get(NDArrayIndex.point(0), NDArrayIndex.point(ch)).assign(images.preprocessing().mean()[ch]);
        }
        return out;
    }

    /** p(y) of one image, through the plain classifier. */
    static double probability(Vit vit, ImageSource.Batch images, INDArray one, int y) {
        return vit.classify(ImageSource.Batch.of(one, images.preprocessing()).input()).probabilities(0)[y];
    }
}
