package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Attention rollout: a two-block example worked by hand, and the real model's rollout on its 8×8 grid. */
class AttentionRolloutTest {

    /** A [1, 2, 2, 2] pattern (one image, two heads, two tokens) from the heads' rows. */
    private static INDArray pattern(float[][] head0, float[][] head1) {
        return Nd4j.create(new float[] {head0[0][0], head0[0][1], head0[1][0], head0[1][1],
                head1[0][0], head1[0][1], head1[1][0], head1[1][1]}, new long[] {1, 2, 2, 2}, 'c');
    }

    /**
     * Block 0: heads [[1,0],[0,1]] and [[1,0],[1,0]] average to A₀ = [[1,0],[½,½]], so Â₀ = (A₀ + I)/2 =
     * [[1,0],[¼,¾]]. Block 1: heads [[0,1],[0,1]] and [[1,0],[0,1]] average to A₁ = [[½,½],[0,1]], Â₁ = [[¾,¼],[0,1]].
     * R = Â₁ Â₀ = [[¾·1 + ¼·¼, ¼·¾], [¼, ¾]] = [[13/16, 3/16], [¼, ¾]].
     */
    @Test
    void twoBlocksOfTwoHeadsWorkedByHand() {
        INDArray block0 = pattern(new float[][] {{1, 0}, {0, 1}}, new float[][] {{1, 0}, {1, 0}});
        INDArray block1 = pattern(new float[][] {{0, 1}, {0, 1}}, new float[][] {{1, 0}, {0, 1}});
        INDArray r = AttentionRollout.rollout(List.of(block0, block1));
        assertArrayEquals(new long[] {1, 2, 2}, r.shape());
        assertArrayEquals(new float[] {13 / 16f, 3 / 16f, 0.25f, 0.75f}, r.data().asFloat(), 1e-7f);
    }

    /** A row that does not sum to 1 (say, attention with a masked token) is renormalised: [½, 0] → ([½,0] + [1,0])/2 → [1, 0]. */
    @Test
    void rowsAreRenormalisedAfterAddingTheIdentity() {
        INDArray block = pattern(new float[][] {{0.5f, 0}, {0, 0.5f}}, new float[][] {{0.5f, 0}, {0, 0.5f}});
        INDArray r = AttentionRollout.rollout(List.of(block));
        assertArrayEquals(new float[] {1, 0, 0, 1}, r.data().asFloat(), 1e-7f);
    }

    @Test
    void theRealModelsRolloutIsOnItsEightByEightGridAndItsRowsSumToOne() {
        var images = Cifar.images(0, 2);
        INDArray matrix = AttentionRollout.matrix(Cifar.vit(), images.input());
        assertArrayEquals(new long[] {2, 65, 65}, matrix.shape());
        INDArray rowSums = matrix.sum(2);
        assertEquals(0, rowSums.sub(1).amaxNumber().doubleValue(), 1e-5);
        INDArray map = AttentionRollout.of(Cifar.vit(), images.input());
        assertArrayEquals(new long[] {2, 8, 8}, map.shape());
        // the map is row 0 of the matrix without its CLS column: patch r·8 + c is token 1 + r·8 + c
        assertEquals(matrix.getFloat(1, 0, 1 + 3 * 8 + 5), map.getFloat(1, 3, 5), 0f);
    }

    @Test
    void blocksOfDifferentShapesAreRefusedNamingTheBlock() {
        INDArray two = pattern(new float[][] {{1, 0}, {0, 1}}, new float[][] {{1, 0}, {0, 1}});
        var e = assertThrows(IllegalArgumentException.class,
                () -> AttentionRollout.rollout(List.of(two, Nd4j.ones(1, 2, 3, 3))));
        assertEquals(true, e.getMessage().contains("block 1"), e.getMessage());
    }
}
