package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** CLS states over a dataset, PCA by hand, and t-SNE on two blobs: what `vit embed-map` draws. */
class EmbeddingMapTest {

    @Test
    void clsStatesAreEachBlocksResidPostAtTokenZeroWithTheLabels() throws Exception {
        Vit vit = Cifar.vit();
        ImageSource source = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        ClsStates.Result r = new ClsStates(3).of(vit, source, Cifar.pretrained().preprocessing(), 5);
        assertEquals(4, r.states().length);
        assertEquals(5, r.layer(2).length);
        assertArrayEquals(Cifar.images(0, 5).labels(), r.labels());
        try (Activations run = vit.run(Cifar.images(4, 1).input(), Keep.kinds(Site.Kind.RESID_POST))) {
            for (int l = 0; l < 4; l++) {
                assertEquals(run.get(Site.residPost(l)).getFloat(0, 0, 99), r.layer(l)[4][99], 1e-6);
            }
        }
    }

    @Test
    void pcaOfFourPointsOnACrossFindsTheLongArmFirst() {
        // (±2, 0) and (0, ±1): mean 0, covariance diag(8/3, 2/3) with N − 1 = 3, so the axes are x then y
        Pca.Result r = new Pca(2).of(new double[][] {{-2, 0}, {2, 0}, {0, -1}, {0, 1}});
        assertArrayEquals(new double[] {8 / 3.0, 2 / 3.0}, r.variance(), 1e-12);
        assertArrayEquals(new double[] {0.8, 0.2}, r.explained(), 1e-12);
        assertArrayEquals(new double[] {1, 0}, r.axes()[0], 1e-12);
        assertArrayEquals(new double[] {0, 1}, r.axes()[1], 1e-12);
        assertArrayEquals(new double[] {-2, 0}, r.projection()[0], 1e-12);
        assertArrayEquals(new double[] {0, 1}, r.projection()[3], 1e-12);
    }

    @Test
    void pcaOfTheClsStatesHasTheVarianceItReportsAlongEachAxis() throws Exception {
        ImageSource source = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        double[][] points = ClsStates.defaults().of(Cifar.vit(), source, Cifar.pretrained().preprocessing(), 40)
                .layer(3);
        Pca.Result r = new Pca(2).of(points);
        for (int c = 0; c < 2; c++) {
            int axis = c;
            double variance = Arrays.stream(r.projection()).mapToDouble(p -> p[axis] * p[axis]).sum() / 39;
            assertEquals(r.variance()[c], variance, 1e-6 * variance);
        }
        assertTrue(r.variance()[0] >= r.variance()[1]);
    }

    @Test
    void tsneKeepsTwoSeparateBlobsApartAndRepeatsBitForBit() {
        SplittableRandom rng = new SplittableRandom(2);
        double[][] points = new double[40][10];
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 10; j++) {
                points[i][j] = Tsne.gaussian(rng) + (i < 20 ? 0 : 8);                // blobs 8σ apart in x₀..x₉
            }
        }
        Tsne tsne = new Tsne(8, 600, 100, 1);
        double[][] map = tsne.of(points);
        for (int i = 0; i < 40; i++) {
            int nearest = -1;
            double best = Double.MAX_VALUE;
            for (int j = 0; j < 40; j++) {
                double d = KMeans.distance2(map[i], map[j]);
                if (j != i && d < best) {
                    best = d;
                    nearest = j;
                }
            }
            assertEquals(i < 20, nearest < 20, "point " + i + "'s nearest neighbour in the map is from its own blob");
        }
        assertTrue(Arrays.deepEquals(map, tsne.of(points)), "the same seed: the same map, bit for bit");
        assertFalse(Arrays.deepEquals(map, new Tsne(8, 600, 100, 2).of(points)));
    }

    @Test
    void aPerplexityTooLargeForThePointsIsRefusedNamingTheCount() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tsne.defaults(0).of(new double[50][3]));
        assertTrue(e.getMessage().contains("got 50") && e.getMessage().contains("perplexity"), e.getMessage());
    }
}
