package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Grad-CAM for ViTs: the recipe worked by hand, and why the last block's mlp_out gives zeros. */
class GradCamTest {

    /**
     * One image, T = 5 tokens (CLS and a 2×2 grid), D = 2. The patch gradients [1,1], [3,−1], [0,0], [0,0] average to
     * w = [1, 0]; the patch activations [1,0], [0,1], [1,1], [−2,1] weighted by w give [1, 0, 1, −2]; the ReLU gives
     * [1, 0, 1, 0]. The CLS token (100s here) takes no part.
     */
    @Test
    void camIsTheReluOfTheActivationsWeightedByTheMeanPatchGradient() {
        INDArray a = Nd4j.create(new float[] {100, 100, 1, 0, 0, 1, 1, 1, -2, 1}, new long[] {1, 5, 2}, 'c');
        INDArray g = Nd4j.create(new float[] {100, 100, 1, 1, 3, -1, 0, 0, 0, 0}, new long[] {1, 5, 2}, 'c');
        INDArray cam = GradCam.cam(a, g, 2);
        assertArrayEquals(new long[] {1, 2, 2}, cam.shape());
        assertArrayEquals(new float[] {1, 0, 1, 0}, cam.data().asFloat(), 0f);
    }

    @Test
    void theLastBlocksLn1GivesANonNegativeMapOnTheEightByEightGrid() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 2);
        INDArray cam = GradCam.lastBlock(vit.config()).of(vit, images.input(), images.labels());
        assertArrayEquals(new long[] {2, 8, 8}, cam.shape());
        assertTrue(cam.minNumber().doubleValue() >= 0);
        assertTrue(cam.maxNumber().doubleValue() > 0);
    }

    /**
     * The head reads only the CLS token, and after the last block's attention nothing mixes tokens: the gradient of
     * the logit at every patch token of the last block's mlp_out (or resid_post) is exactly zero, so is the map.
     */
    @Test
    void theLastBlocksMlpOutGivesZerosBecauseOnlyClsReachesTheHead() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 2);
        for (Site site : new Site[] {Site.mlpOut(3), Site.residPost(3)}) {
            INDArray cam = new GradCam(site).of(vit, images.input(), images.labels());
            assertEquals(0, cam.amaxNumber().doubleValue(), 0, site.toString());
        }
    }
}
