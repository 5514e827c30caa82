package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Activation maps on the model's own 8×8 grid, and dataset examples found in batches. */
class ActivationMapsTest {

    @Test
    void aNeuronsMapIsItsMlpPostValueAtEachPatchAndANormMapEachTokensNorm() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 2);
        INDArray neuron = ActivationMaps.neuron(17).of(vit, images.input());
        INDArray norm = ActivationMaps.norm(Site.Kind.RESID_POST).of(vit, images.input());
        assertArrayEquals(new long[] {2, 4, 8, 8}, neuron.shape(), "[B, L, g, g]");
        try (Activations run = vit.run(images.input(), Keep.kinds(Site.Kind.MLP_POST, Site.Kind.RESID_POST))) {
            for (int l = 0; l < 4; l++) {
                // patch (r, c) = (2, 5) is token 1 + 2·8 + 5 = 22
                assertEquals(run.get(Site.mlpPost(l)).getFloat(1, 22, 17), neuron.getFloat(1, l, 2, 5), 0f);
                INDArray token = run.get(Site.residPost(l)).get(NDArrayIndex.point(0), NDArrayIndex.point(22),
                        NDArrayIndex.all());
                assertEquals(token.norm2Number().floatValue(), norm.getFloat(0, l, 2, 5), 1e-4f);
            }
        }
    }

    @Test
    void aNeuronPastTheSitesWidthIsRefusedNamingIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ActivationMaps.neuron(256).of(Cifar.vit(), Cifar.images(0, 1).input()));
        assertTrue(e.getMessage().contains("neuron 256") && e.getMessage().contains("0..255"), e.getMessage());
    }

    @Test
    void datasetExamplesAreTheSameInAnyBatchSizeAndTheTopPatchIsTheTopImagesBestPatch() throws IOException {
        Vit vit = Cifar.vit();
        var source = io.github.vit4j.image.ImageSource.cifar10(
                io.github.vit4j.SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
        var pre = Cifar.pretrained().preprocessing();
        DatasetExamples.Result small = new DatasetExamples(Site.mlpPost(3), 17, 4, 3).of(vit, source, pre, 12);
        DatasetExamples.Result large = new DatasetExamples(Site.mlpPost(3), 17, 4, 12).of(vit, source, pre, 12);
        assertEquals(small, large, "batches of 3 and of 12 find the same examples");
        List<DatasetExamples.Example> images = small.images();
        assertEquals(4, images.size());
        assertEquals(images.get(0), small.patches().get(0));
        for (int i = 1; i < 4; i++) {
            assertTrue(images.get(i).activation() <= images.get(i - 1).activation(), "decreasing");
            assertTrue(images.stream().filter(e -> e.image() == images.get(0).image()).count() == 1, "distinct");
        }
        var top = images.get(0);
        try (Activations run = vit.run(Cifar.images(top.image(), 1).input(), Keep.sites(Site.mlpPost(3)))) {
            assertEquals(run.get(Site.mlpPost(3)).getFloat(0, 1 + top.patch(), 17), top.activation(), 1e-6);
        }
    }
}
