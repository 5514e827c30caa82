package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** A Keep naming a per-block site at a layer the model lacks is refused, not silently keeping nothing. */
class KeepOutsideTheModelTest {

    private static final VitConfig CONFIG = VitConfig.cifar10(); // 4 layers: 0..3
    private static final VitWeights WEIGHTS = VitWeights.random(CONFIG, 7);

    private static Input pixels() {
        return Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32));
    }

    private static void assertNamesSiteAndLayers(IllegalArgumentException e) {
        assertTrue(e.getMessage().contains("blocks.9.attn_out") && e.getMessage().contains("0..3"), e.getMessage());
    }

    @Test
    void vitRunRefusesAKeepOfAttnOutAtLayerNineOnAFourLayerModel() {
        Vit vit = new Vit(WEIGHTS);
        assertNamesSiteAndLayers(assertThrows(IllegalArgumentException.class,
                () -> vit.run(pixels(), Keep.sites(Site.attnOut(9)))));
    }

    @Test
    void referenceForwardRunRefusesAKeepOfAttnOutAtLayerNineOnAFourLayerModel() {
        ReferenceForward ref = new ReferenceForward(WEIGHTS);
        assertNamesSiteAndLayers(assertThrows(IllegalArgumentException.class,
                () -> ref.run(pixels(), Keep.sites(Site.attnOut(9)))));
    }

    @Test
    void backwardRefusesAKeepOfAttnOutAtLayerNineOnAFourLayerModel() {
        Vit vit = new Vit(WEIGHTS);
        try (Activations forward = vit.run(pixels(), Vit.keepForBackward())) {
            assertNamesSiteAndLayers(assertThrows(IllegalArgumentException.class,
                    () -> vit.backward(forward, Objective.logit(0), Keep.sites(Site.attnOut(9)))));
        }
    }

    @Test
    void aKeepOfTheLastLayerAndOfSitesOutsideTheBlocksIsStillAccepted() {
        Vit vit = new Vit(WEIGHTS);
        Keep keep = Keep.sites(Site.attnOut(3), Site.embed(), Site.lnFinal());
        try (Activations run = vit.run(pixels(), keep)) {
            assertTrue(run.sites().contains(Site.attnOut(3)), run.sites().toString());
        }
    }
}
