package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** k-means++ and Lloyd's iterations on points a pencil can follow, and its seeding. */
class KMeansTest {

    @Test
    void twoPairsOfPointsFormTwoClustersAtTheirMidpoints() {
        double[][] points = {{10, 10}, {0, 0}, {10, 11}, {0, 1}, {0, 2}};
        KMeans.Result r = KMeans.of(2).of(points);
        // the three points on x = 0 are the larger cluster, so cluster 0; their mean is (0, 1), the pair's (10, 10.5)
        assertArrayEquals(new int[] {1, 0, 1, 0, 0}, r.cluster());
        assertArrayEquals(new int[] {3, 2}, r.sizes());
        assertArrayEquals(new double[] {0, 1}, r.centroids()[0], 1e-12);
        assertArrayEquals(new double[] {10, 10.5}, r.centroids()[1], 1e-12);
        assertEquals(1 + 0 + 1 + 0.25 + 0.25, r.inertia(), 1e-12);          // (0,0),(0,2) 1 each; the pair ¼ each
        assertArrayEquals(new int[] {0, 2}, r.members(1));
    }

    @Test
    void theSameSeedGivesTheSameClustersBitForBit() {
        SplittableRandom rng = new SplittableRandom(1);
        double[][] points = new double[60][5];
        for (double[] p : points) {
            for (int j = 0; j < p.length; j++) {
                p[j] = rng.nextDouble();
            }
        }
        KMeans.Result a = new KMeans(4, 50, 9).of(points);
        KMeans.Result b = new KMeans(4, 50, 9).of(points);
        assertArrayEquals(a.cluster(), b.cluster());
        assertEquals(Double.doubleToLongBits(a.inertia()), Double.doubleToLongBits(b.inertia()));
        for (int c = 1; c < 4; c++) {
            assertTrue(a.sizes()[c] <= a.sizes()[c - 1], "clusters numbered by size, largest first");
        }
    }

    @Test
    void moreClustersThanPointsIsRefusedNamingBoth() {
        var e = assertThrows(IllegalArgumentException.class, () -> KMeans.of(3).of(new double[][] {{0}, {1}}));
        assertTrue(e.getMessage().contains("3 clusters") && e.getMessage().contains("got 2"), e.getMessage());
    }
}
