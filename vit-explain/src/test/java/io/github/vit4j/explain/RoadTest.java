package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** ROAD: the noisy linear imputation by hand, and the curves' ends on the CIFAR-10 model. */
class RoadTest {

    @Test
    void aRemovedCentrePixelIsTheWeightedMeanOfItsEightNeighboursWorkedByHand() {
        // 12  6  0
        //  0  ?  0      direct neighbours (weight 1/6): 6, 0, 0, 0  →  6/6   = 1
        //  0  0  0      diagonal ones    (weight 1/12): 12, 0, 0, 0 → 12/12 = 1
        //               the weights sum to 4/6 + 4/12 = 1, so ? = 1 + 1 = 2 (a plain mean of the 8 would be 2.25)
        float[] plane = {12, 6, 0, 0, 99, 0, 0, 0, 0};
        boolean[] removed = new boolean[9];
        removed[4] = true;
        NoisyLinearImputation.impute(plane, 0, 3, 3, removed, 0, 0, new Random(1));
        assertEquals(2.0, plane[4], 1e-6);
        assertEquals(12, plane[0], 0, "kept pixels stay as they are");
    }

    @Test
    void aRemovedCornerPixelRenormalisesTheWeightsOfItsNeighboursInsideTheImage() {
        // ?  6        inside the image: right 6 and below 3 (1/6 each), diagonal 12 (1/12); the weights sum to 5/12
        // 3 12        ? = (6/6 + 3/6 + 12/12) / (5/12) = 2.5 · 12/5 = 6
        float[] plane = {99, 6, 3, 12};
        NoisyLinearImputation.impute(plane, 0, 2, 2, new boolean[] {true, false, false, false}, 0, 0, new Random(1));
        assertEquals(6.0, plane[0], 1e-6);
    }

    @Test
    void adjacentRemovedPixelsAreSolvedTogether() {
        // one row 3 ? ? 9: only left and right neighbours (1/6 each), so x1 = (3 + x2) / 2 and x2 = (x1 + 9) / 2,
        // i.e. x1 = 5, x2 = 7: the straight line between the kept ends
        float[] plane = {3, 0, 0, 9};
        NoisyLinearImputation.impute(plane, 0, 1, 4, new boolean[] {false, true, true, false}, 0, 0, new Random(1));
        assertArrayEquals(new float[] {3, 5, 7, 9}, plane, 1e-5f);
    }

    @Test
    void everyImputedPixelIsTheWeightedMeanOfItsNeighboursInsideTheImageOnARandomMask() {
        // the definition checked directly, independently of how the system is solved
        Random random = new Random(11);
        int h = 9;
        int w = 12;
        float[] plane = new float[h * w];
        boolean[] removed = new boolean[h * w];
        for (int q = 0; q < h * w; q++) {
            plane[q] = random.nextFloat();
            removed[q] = random.nextDouble() < 0.6;
        }
        NoisyLinearImputation.impute(plane, 0, h, w, removed, 0, 0, random);
        for (int q = 0; q < h * w; q++) {
            if (!removed[q]) {
                continue;
            }
            double sum = 0;
            double weights = 0;
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int y = q / w + dy;
                    int x = q % w + dx;
                    if ((dy != 0 || dx != 0) && y >= 0 && x >= 0 && y < h && x < w) {
                        double weight = dy == 0 || dx == 0 ? 1.0 / 6 : 1.0 / 12;
                        sum += weight * plane[y * w + x];
                        weights += weight;
                    }
                }
            }
            assertEquals(sum / weights, plane[q], 1e-5, "pixel " + q);
        }
    }

    @Test
    void everythingRemovedTakesTheFallbackAndTheNoiseHasItsStandardDeviation() {
        int n = 100 * 100;
        float[] plane = new float[n];
        boolean[] removed = new boolean[n];
        java.util.Arrays.fill(removed, true);
        NoisyLinearImputation.impute(plane, 0, 100, 100, removed, 0.5, 0.1, new Random(7));
        double mean = 0;
        double square = 0;
        for (float v : plane) {
            mean += v / n;
            square += (v - 0.5) * (v - 0.5) / n;
        }
        assertEquals(0.5, mean, 0.005, "4.5σ of the mean of 10⁴ draws of σ 0.1");
        assertEquals(0.1, Math.sqrt(square), 0.005);
    }

    @Test
    void removingNoPatchGivesTheCleanPredictionAndAllOfThemTheMeanImage() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] labels = images.labels();
        INDArray maps = FaithfulnessTest.randomMaps(2, 32, 1);
        for (Road.Granularity granularity : Road.Granularity.values()) {
            for (Road.Order order : Road.Order.values()) {
                List<Faithfulness.Curve> curves = new Road(4, granularity, 0, 1, 5).of(order, vit, images, maps,
                        labels);
                for (int i = 0; i < 2; i++) {
                    INDArray one = PixelModel.rows(images.pixels(), i, i + 1);
                    String what = granularity + ", " + order + ", image " + i;
                    assertEquals(FaithfulnessTest.probability(vit, images, one, labels[i]), curves.get(i).p()[0],
                            1e-5, what + ", nothing removed");
                    assertEquals(FaithfulnessTest.probability(vit, images,
                            FaithfulnessTest.meanFilled(images, one, 32), labels[i]), curves.get(i).p()[4], 1e-5,
                            what + ", everything removed");
                }
            }
        }
    }

    @Test
    void pixelsTakeTheMapsValueOrTheirPatchsCellOnTheGrid() {
        // a 2×2 grid of 2-px patches with cells 4 3 / 2 1: the 4×4 pixels take their patch's cell
        INDArray onGrid = Nd4j.createFromArray(new double[][][] {{{4, 3}, {2, 1}}});
        assertArrayEquals(new double[] {4, 4, 3, 3, 4, 4, 3, 3, 2, 2, 1, 1, 2, 2, 1, 1},
                PatchRanking.pixelScores(onGrid, 0, 2, 2), 0);
        INDArray onPixels = Nd4j.arange(16).castTo(DataType.DOUBLE).reshape(1, 4, 4);
        assertEquals(7.0, PatchRanking.pixelScores(onPixels, 0, 2, 2)[7], 0);
    }

    @Test
    void moRFAndLeRFRemoveDifferentPatchesAndTheSameSeedGivesTheSameCurve() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(1, 1);
        INDArray maps = Nd4j.arange(64).castTo(DataType.FLOAT).reshape(1, 8, 8);
        int y = images.labels()[0];
        Road road = new Road(4, Road.Granularity.PATCH, Road.DEFAULT_NOISE, 42, 5);
        Faithfulness.Curve morf = road.of(Road.Order.MORF, vit, images, maps, y).get(0);
        assertEquals(morf, road.of(Road.Order.MORF, vit, images, maps, y).get(0));
        assertNotEquals(morf.p()[2], road.of(Road.Order.LERF, vit, images, maps, y).get(0).p()[2]);
    }

    @Test
    void aNegativeNoiseIsRefusedNamingIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Road(4, Road.Granularity.PIXEL, -0.5, 1, 8));
        assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
    }
}
