package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Occlusion sensitivity: the batched map equals occluding and classifying each image on its own. */
class OcclusionSensitivityTest {

    @Test
    void theBatchedMapEqualsEachOccludedImageComputedDirectly() {
        Vit vit = Cifar.vit();
        ImageSource.Batch images = Cifar.images(0, 2);
        int[] labels = images.labels();
        OcclusionSensitivity occlusion = OcclusionSensitivity.of(8, 8, images.preprocessing());
        INDArray map = occlusion.of(vit, images, labels);
        assertArrayEquals(new long[] {2, 4, 4}, map.shape(), "(32 − 8) / 8 + 1 = 4 positions per axis");
        double[] mean = images.preprocessing().mean();
        for (int i = 0; i < 2; i++) {
            double clean = vit.classify(ImageSource.Batch.of(PixelModel.rows(images.pixels(), i, i + 1),
                    images.preprocessing()).input()).probabilities(0)[labels[i]];
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 4; c++) {
                    INDArray occluded = PixelModel.rows(images.pixels(), i, i + 1);
                    for (int ch = 0; ch < 3; ch++) {
                        occluded.get(NDArrayIndex.point(0), NDArrayIndex.point(ch),
                                NDArrayIndex.interval(r * 8, r * 8 + 8), NDArrayIndex.interval(c * 8, c * 8 + 8))
                                .assign(mean[ch]);
                    }
                    Predictions p = vit.classify(ImageSource.Batch.of(occluded, images.preprocessing()).input());
                    assertEquals(clean - p.probabilities(0)[labels[i]], map.getDouble(i, r, c), 1e-5,
                            "image " + i + ", square at (" + r * 8 + ", " + c * 8 + ")");
                }
            }
        }
    }

    @Test
    void overlappingSquaresGiveOneCellPerPosition() {
        ImageSource.Batch images = Cifar.images(0, 1);
        INDArray map = OcclusionSensitivity.of(8, 4, images.preprocessing()).of(Cifar.vit(), images, 0);
        assertArrayEquals(new long[] {1, 7, 7}, map.shape(), "(32 − 8) / 4 + 1 = 7");
    }

    @Test
    void aFillOutsideTheUnitRangeIsRefusedNamingIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new OcclusionSensitivity(4, 4, new double[] {0.5, 128, 0.5}, 8));
        assertTrue(e.getMessage().contains("128.0"), e.getMessage());
    }
}
