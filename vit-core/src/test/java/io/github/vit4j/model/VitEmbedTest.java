package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Vit#embed} on every family preset (seeded random weights, image 8, patch 4, width 16): the vector is the
 * site {@link Embedding} names, exactly as a run keeping every site records it, and the default is what OpenCLIP's
 * {@code encode_image} gives (projected where there is a projection).
 */
class VitEmbedTest {

    private static VitConfig small(Architecture a, int classes) {
        return new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, VitConfig.numberedLabels(classes), a);
    }

    static Stream<Arguments> families() {
        // name, config, default kind, pooled width, the pooled vector's site
        return Stream.of(
                Arguments.of("vit", small(Architecture.VIT, 5), Embedding.POOLED, 16, Site.lnFinal()),
                Arguments.of("clip vision", small(Architecture.clipVision(6), 6), Embedding.PROJECTED, 16,
                        Site.pooled()),
                Arguments.of("dinov2", small(Architecture.dinov2(0, 0), 16), Embedding.POOLED, 16, Site.pooled()),
                Arguments.of("dinov2 registers classifier", small(Architecture.dinov2Classifier(3, 0), 5),
                        Embedding.POOLED, 32, Site.pooled()),
                Arguments.of("siglip", small(Architecture.siglipVision(), 16), Embedding.POOLED, 16, Site.pooled()),
                Arguments.of("deit distilled", small(Architecture.deitDistilled(), 5), Embedding.POOLED, 16,
                        Site.lnFinal()));
    }

    @Test
    void theClsRowOfLnFinalIsReadFromARunComputingOnlyTheLastBlocksClsRowAndEqualsTheFullRunsWithin1e5() {
        VitConfig config = small(Architecture.VIT, 5);
        Vit vit = new Vit(VitWeights.random(config, 5), KernelSet.configured());
        Input x = Input.normalized(Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8).subi(0.5).muli(2));
        try (Activations shortcut = vit.run(x, Keep.sites(Site.lnFinal()), Map.of(), true);
             Activations full = vit.run(x, Keep.sites(Site.lnFinal()))) {
            assertArrayEquals(new long[] {3, 1, 16}, shortcut.get(Site.lnFinal()).shape(), "the CLS row alone");
            INDArray cls = full.get(Site.lnFinal()).get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
            INDArray got = vit.embed(x, Embedding.POOLED);
            double diff = cls.sub(got).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-5 * cls.amaxNumber().doubleValue(), "differs by " + diff);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void theEmbeddingIsTheSiteItNamesAsARunKeepingEverySiteRecordsIt(String name, VitConfig config,
                                                                     Embedding usual, int pooledWidth, Site site) {
        Vit vit = new Vit(VitWeights.random(config, 5), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 3, 8, 8).subi(0.5).muli(2);
        assertEquals(usual, Embedding.defaultFor(config), name);
        assertEquals(site, Embedding.POOLED.site(config), name);
        assertEquals(pooledWidth, Embedding.POOLED.size(config), name);
        try (Activations all = vit.run(Input.normalized(x), Keep.all())) {
            INDArray pooled = all.get(site);
            INDArray expected = site.equals(Site.lnFinal())
                    ? pooled.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()) : pooled;
            INDArray got = vit.embed(Input.normalized(x), Embedding.POOLED);
            assertArrayEquals(new long[] {3, pooledWidth}, got.shape(), name);
            assertEquals(expected, got, name + ": pooled");
            if (usual == Embedding.PROJECTED) {
                assertEquals(all.get(Site.imageEmbeds()), vit.embed(Input.normalized(x), Embedding.PROJECTED),
                        name + ": projected");
            }
        }
    }

    @Test
    void theProjectedEmbeddingOfAModelWithoutAProjectionIsRefusedNamingItsArchitecture() {
        VitConfig config = small(Architecture.dinov2(0, 0), 16);
        Vit vit = new Vit(VitWeights.random(config, 5), KernelSet.configured());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vit.embed(Input.normalized(Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8)), Embedding.PROJECTED));
        assertTrue(e.getMessage().contains("has no projection") && e.getMessage().contains("pooling=CLS")
                && e.getMessage().contains("head=NONE") && e.getMessage().contains("Embedding.POOLED"),
                e.getMessage());
    }

    @Test
    void theClipEmbeddingIsItsProjectionOfThePooledVectorByHand() {
        // image_embeds = pooled · Wᵀ: the projection is a bias-free linear map [P, D]
        VitConfig config = small(Architecture.clipVision(6), 6);
        VitWeights w = VitWeights.random(config, 9);
        Vit vit = new Vit(w, KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
        INDArray pooled = vit.embed(Input.normalized(x), Embedding.POOLED).castTo(DataType.DOUBLE);
        INDArray projection = w.extras().projection().castTo(DataType.DOUBLE);                  // [6, 16]
        INDArray expected = pooled.mmul(projection.transpose());
        INDArray got = vit.embed(Input.normalized(x), Embedding.PROJECTED).castTo(DataType.DOUBLE);
        double scale = expected.amaxNumber().doubleValue();
        assertTrue(expected.sub(got).amaxNumber().doubleValue() <= 1e-5 * scale, got + " vs " + expected);
    }
}
