package io.github.vit4j.corruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Each corruption does what its documentation says, on hand-made pixels. */
class CorruptionTest {

    static Corruption.Images images(INDArray pixels, long seed) {
        return new Corruption.Images(ImageSource.Batch.of(pixels, Preprocessing.cifar10()), seed);
    }

    @Test
    void grayscaleIsTheBt601LumaCopiedToEveryChannel() {
        // one pixel R = 1, G = 0.5, B = 0: Y = 0.299·1 + 0.587·0.5 + 0.114·0 = 0.5925
        INDArray px = Nd4j.create(new float[] {1f, 0.5f, 0f}, new long[] {1, 3, 1, 1}, 'c');
        INDArray gray = new Grayscale().corrupt(images(px, 0), 1);
        for (int c = 0; c < 3; c++) {
            assertEquals(0.5925, gray.getDouble(0, c, 0, 0), 1e-6);
        }
        assertEquals(1.0, px.getDouble(0, 0, 0, 0), "the input is not changed");
    }

    @Test
    void blurKeepsAConstantImageAndSpreadsASinglePoint() {
        INDArray flat = Nd4j.valueArrayOf(new long[] {1, 3, 8, 8}, 0.25f);
        assertTrue(new Blur(1.0).corrupt(images(flat, 0), 4).equalsWithEps(flat, 1e-6));
        INDArray dot = Nd4j.zeros(DataType.FLOAT, 1, 3, 9, 9);
        dot.putScalar(new long[] {0, 0, 4, 4}, 1f);
        INDArray blurred = new Blur(1.0).corrupt(images(dot, 0), 3);
        assertEquals(1.0, blurred.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)).sumNumber().doubleValue(), 1e-5, "mass is kept");
        // the separable kernel's centre weight squared: (1 / Σ_{i=-3..3} e^{-i²/2})² = (1/2.50663)² ≈ 0.15915
        assertEquals(0.15915, blurred.getDouble(0, 0, 4, 4), 1e-4);
    }

    @Test
    void occlusionSetsTheChosenNumberOfGridCellsToTheDatasetMean() {
        INDArray px = Nd4j.ones(DataType.FLOAT, 2, 3, 8, 8);
        INDArray occluded = new Occlusion(3).corrupt(images(px, 1), 4);   // a 2×2 grid of 4×4 cells
        double[] mean = Preprocessing.cifar10().mean();
        for (int i = 0; i < 2; i++) {
            int changed = 0;
            for (int gy = 0; gy < 2; gy++) {
                for (int gx = 0; gx < 2; gx++) {
                    double v = occluded.getDouble(i, 1, gy * 4, gx * 4);
                    if (v != 1.0) {
                        assertEquals(mean[1], v, 1e-6);
                        changed++;
                    }
                }
            }
            assertEquals(3, changed);
        }
        assertThrows(IllegalArgumentException.class, () -> new Occlusion(5).corrupt(images(px, 1), 4));
    }

    @Test
    void occlusionCountsOutsideOneToTheGridsCellsAreRefusedNamingTheValueAndTheRange() {
        for (String spec : List.of("occlude:-1", "occlude:0", "occlude:-7")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Corruption.parse(spec));
            String value = spec.substring("occlude:".length());
            assertTrue(e.getMessage().contains("occlude:" + value + " asks for " + value + " grid cells; the count must"
                    + " be 1 to the patch grid's cell count"), e.getMessage());
            assertTrue(e.getMessage().contains("leave it out (occlude) for a quarter of the grid"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Occlusion(0));
        assertThrows(IllegalArgumentException.class, () -> new Occlusion(-2));

        INDArray px = Nd4j.ones(DataType.FLOAT, 1, 3, 8, 8);
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> new Occlusion(5).corrupt(images(px, 1), 4));
        assertTrue(tooMany.getMessage().contains("cannot occlude 5 cells of a 2×2 grid (8px images in 4px patches);"
                + " occlude 1 to 4 cells"), tooMany.getMessage());
        assertEquals("occlude(a quarter of the grid cells)", Corruption.parse("occlude").describe());
    }

    @Test
    void noiseIsKSigmaGaussianOnTheEmbeddingsSeededPerImage() {
        VitConfig c = VitConfig.cifar10();
        Vit vit = new Vit(VitWeights.random(c, 9));
        INDArray px = Nd4j.rand(DataType.FLOAT, 3, 3, 32, 32);
        Corruption.Images imgs = images(px, 4);
        Activations clean = vit.run(imgs.batch().input(), Keep.sites(Site.embed(), Site.residPre(0)));
        Corruption noise = new GaussianNoise(3, Double.NaN).calibrate(clean);
        double sigma = ((GaussianNoise) noise).sigma();
        assertEquals(clean.get(Site.embed()).stdNumber().doubleValue(), sigma, 1e-9);
        Activations a = noise.run(vit, imgs, clean, Keep.sites(Site.embed()));
        Activations b = noise.run(vit, imgs, clean, Keep.sites(Site.embed()));
        INDArray delta = a.get(Site.embed()).sub(clean.get(Site.embed()));
        assertEquals(3 * sigma, delta.stdNumber().doubleValue(), 0.05 * 3 * sigma, "noise sd is k·σ");
        assertTrue(a.get(Site.embed()).equalsWithEps(b.get(Site.embed()), 0), "same seed, same noise");
        // image 1's noise does not depend on which batch it is in
        ImageSource.Batch second = new ImageSource.Batch(1, List.of("image 1"), new int[] {ImageSource.UNKNOWN_LABEL},
                px.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 2)).dup(), Preprocessing.cifar10());
        Corruption.Images alone = new Corruption.Images(second, 4);
        Activations cleanAlone = vit.run(second.input(), Keep.sites(Site.embed()));
        INDArray deltaAlone = noise.run(vit, alone, cleanAlone, Keep.sites(Site.embed())).get(Site.embed())
                .sub(cleanAlone.get(Site.embed()));
        assertTrue(deltaAlone.equalsWithEps(delta.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 2)), 1e-5));
    }

    /**
     * Issue 9: the common case needed image indices, a seed and a patch size. The simple form takes a batch and the
     * model's config and corrupts as a trace with seed 0 does.
     */
    @Test
    void theSimpleFormCorruptsABatchAsATraceWithSeedZeroDoes() {
        VitConfig config = VitConfig.cifar10();
        INDArray px = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
        ImageSource.Batch batch = new ImageSource.Batch(7, List.of("a", "b"), new int[] {3, 5}, px,
                Preprocessing.cifar10());

        ImageSource.Batch occluded = new Occlusion(6).corrupt(batch, config);

        INDArray full = new Occlusion(6).corrupt(new Corruption.Images(batch, 0), config.patchSize());
        assertEquals(full, occluded.pixels());
        assertEquals(batch.names(), occluded.names());
        assertEquals(7, occluded.first());
        assertEquals(batch.preprocessing(), occluded.preprocessing());
        assertEquals(px, batch.pixels(), "the batch itself is not changed");
        assertEquals(new Grayscale().corrupt(images(px, 0), 1), new Grayscale().corrupt(batch, config).pixels());
    }

    @Test
    void specsParseWithDefaultsAndBadOnesAreNamed() {
        assertInstanceOf(Grayscale.class, Corruption.parse("grayscale"));
        assertEquals(new GaussianNoise(3, Double.NaN).k(), ((GaussianNoise) Corruption.parse("noise")).k());
        assertEquals(5.0, ((GaussianNoise) Corruption.parse("noise:5")).k());
        assertEquals(new Blur(2.5), Corruption.parse("blur:2.5"));
        assertEquals(new Occlusion(16), Corruption.parse("occlude:16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Corruption.parse("sepia"));
        assertTrue(e.getMessage().contains("sepia") && e.getMessage().contains("grayscale"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Corruption.parse("blur:lots"));
        assertTrue(e.getMessage().contains("lots"), e.getMessage());
    }
}
