package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@link VitWeights#tokenTable()}: what the embedding adds to the patches, read back from a run. */
class VitWeightsTokenTableTest {

    /** DINOv2 with 2 registers, trained on a 3×3 grid and run on 2×2 (positions resized): 1 + 2 + 4 tokens. */
    private static final VitConfig CONFIG = new VitConfig(8, 4, 3, 16, 1, 2, 32, 1e-6,
            VitConfig.numberedLabels(16), Architecture.dinov2(2, 3));

    @Test
    void theClsRowIsClsPlusItsPositionAndARegisterRowIsTheRegisterAlone() {
        VitWeights w = VitWeights.random(CONFIG, 5);
        INDArray table = w.tokenTable();
        assertArrayEquals(new long[] {7, 16}, table.shape());
        INDArray cls = w.clsToken().add(w.posEmbed().getRow(0));
        assertEquals(0, cls.sub(table.getRow(0)).amaxNumber().doubleValue(), 0, "CLS + pos_embed[0]");
        assertEquals(0, w.extras().registers().getRow(1).sub(table.getRow(2)).amaxNumber().doubleValue(), 0,
                "register 1, no position");
    }

    @Test
    void blockZerosResidPreOfARunWithoutPatchEmbeddingsIsTheTable() {
        VitWeights w = VitWeights.random(CONFIG, 5);
        INDArray noPatches = Nd4j.zeros(DataType.FLOAT, Site.embed().shape(CONFIG, 1));
        try (Activations run = new Vit(w, KernelSet.PLAIN).run(Input.normalized(Nd4j.zeros(DataType.FLOAT, 1, 3, 8,
                8)), Keep.sites(Site.residPre(0)), Map.of(Site.embed(), Substitution.whole(noPatches)))) {
            INDArray resid = run.get(Site.residPre(0)).get(NDArrayIndex.point(0), NDArrayIndex.all(),
                    NDArrayIndex.all());
            double diff = resid.sub(w.tokenTable()).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-6, "differs by " + diff);
        }
    }
}
