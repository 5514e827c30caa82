package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Holding elements fixed in a backward ({@link Vit#backward(Activations, Objective, Keep, Map)}) is the same as
 * substituting them with their own values: the forward is unchanged, and the backward treats them as inputs. So a
 * held backward must equal, at every site, the backward of a run with {@code Substitution.whole} (or
 * {@code masked}) of the site's own array, which the substitution tests already check against finite differences.
 * Exact equality (0 difference): the same arithmetic in the same order.
 */
class HeldGradientsTest {

    static final VitConfig CONFIG = GradientCheck.SMALL;
    static final Vit VIT = new Vit(GradientCheck.weights(CONFIG, 41), KernelSet.configured());
    static final INDArray PIXELS = GradientCheck.pixels(CONFIG, 2, 42);
    static final Objective OBJECTIVE = Objective.logProbability(1, 3);

    static void assertSameGradients(Gradients expected, Gradients actual) {
        assertEquals(expected.sites(), actual.sites());
        for (Site s : expected.sites()) {
            assertEquals(0.0, expected.get(s).sub(actual.get(s)).amaxNumber().doubleValue(), 0.0, s.toString());
        }
        assertEquals(0.0, expected.input().sub(actual.input()).amaxNumber().doubleValue(), 0.0, "input");
    }

    @Test
    void holdingASiteWholeIsSubstitutingItWithItsOwnArray() {
        Activations run = VIT.run(Input.normalized(PIXELS), Keep.all());
        Site s = Site.attnOut(1);
        Gradients held = VIT.backward(run, OBJECTIVE, Keep.all(), Map.of(s, Nd4j.ones(DataType.FLOAT, 1, 1, 1)));
        Activations substituted = VIT.run(Input.normalized(PIXELS), Keep.all(),
                Map.of(s, Substitution.whole(run.get(s))));
        assertSameGradients(VIT.backward(substituted, OBJECTIVE), held);
        assertEquals(0.0, held.get(Site.z(1)).amaxNumber().doubleValue(), 0.0, "nothing flows past a held site");
    }

    @Test
    void holdingSomeTokensIsAMaskedSubstitutionWithTheSiteItself() {
        Activations run = VIT.run(Input.normalized(PIXELS), Keep.all());
        INDArray tokens = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), 1);
        tokens.putScalar(new long[] {0, 0, 0}, 1f);
        tokens.putScalar(new long[] {0, 2, 0}, 1f);
        Map<Site, INDArray> held = Map.of(Site.mlpOut(0), tokens, Site.residMid(1), tokens);
        Activations substituted = VIT.run(Input.normalized(PIXELS), Keep.all(), Map.of(
                Site.mlpOut(0), Substitution.masked(run.get(Site.mlpOut(0)), tokens),
                Site.residMid(1), Substitution.masked(run.get(Site.residMid(1)), tokens)));
        assertSameGradients(VIT.backward(substituted, OBJECTIVE), VIT.backward(run, OBJECTIVE, Keep.all(), held));
    }

    @Test
    void aBackwardStopsAtTheLowestKeptSiteAndComputesTheInputOnlyWhenEmbedIsKept() {
        Activations run = VIT.run(Input.normalized(PIXELS), Keep.all());
        Gradients full = VIT.backward(run, OBJECTIVE);
        Gradients upper = VIT.backward(run, OBJECTIVE, Keep.sites(Site.mlpOut(1), Site.residPre(1)));
        assertEquals(0.0, full.get(Site.mlpOut(1)).sub(upper.get(Site.mlpOut(1))).amaxNumber().doubleValue(), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, upper::input);
        assertTrue(e.getMessage().contains("keep Site.embed()"), e.getMessage());
    }

    @Test
    void aRunResumedFromResidPreZeroHasNoPixelsSoNoInputGradient() {
        Activations pixels = VIT.run(Input.normalized(PIXELS), Keep.all());
        Activations resumed = VIT.run(Input.residPre(0, pixels.get(Site.residPre(0))), Keep.all());
        Gradients g = VIT.backward(resumed, OBJECTIVE);
        assertFalse(g.has(Site.embed()), "embed is not a site of a run that started at resid_pre");
        assertThrows(IllegalArgumentException.class, g::input);
        assertEquals(0.0, VIT.backward(pixels, OBJECTIVE).get(Site.residPre(0)).sub(g.get(Site.residPre(0)))
                .amaxNumber().doubleValue(), 0.0, "the same gradient at resid_pre 0");
    }

    @Test
    void heldMasksAreCheckedAtTheBoundaryNamingTheSite() {
        Activations run = VIT.run(Input.normalized(PIXELS), Keep.all());
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> VIT.backward(run,
                OBJECTIVE, Keep.all(), Map.of(Site.residPre(99), Nd4j.ones(DataType.FLOAT, 1, 1, 1))));
        assertTrue(past.getMessage().contains("cannot hold blocks.99.resid_pre"), past.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> VIT.backward(run,
                OBJECTIVE, Keep.all(), Map.of(Site.residMid(0), Nd4j.ones(DataType.FLOAT, 1, 3))));
        assertTrue(shape.getMessage().contains("held mask for blocks.0.resid_mid has shape [1, 3]"),
                shape.getMessage());
    }
}
