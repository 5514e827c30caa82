package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.BackwardRun.Grad;
import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.model.kernels.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backward's bookkeeping ({@link BackwardRun}), apart from its derivatives: a zero gradient is a value from which
 * nothing is computed, a kept site whose gradient is zero holds zeros, and a release frees exactly the arrays the run
 * made that are neither kept nor still flowing. The kernels free at once (nothing pooled), so a freed array's memory
 * shows as closed.
 */
class BackwardRunTest {

    static final VitConfig CONFIG = GradientCheck.SMALL;
    static final Ops OPS = KernelSet.PLAIN.ops();
    static final Vit VIT = new Vit(GradientCheck.weights(CONFIG, 41), KernelSet.PLAIN);
    static final Activations FORWARD = VIT.run(Input.normalized(GradientCheck.pixels(CONFIG, 2, 42)),
            Vit.keepForBackward().and(Keep.sites(Site.logits())));
    static final Objective LOGIT = Objective.logit(1, 3);

    private static BackwardRun run(Keep keep, Map<Site, INDArray> held) {
        return new BackwardRun(CONFIG, OPS, FORWARD, LOGIT, keep, held);
    }

    /** A derivative that must not run. */
    private static INDArray never(INDArray g) {
        throw new AssertionError("a derivative of a zero gradient was computed");
    }

    @Test
    void nothingIsComputedFromAZeroGradient() {
        BackwardRun run = run(Keep.all(), Map.of());
        assertTrue(run.apply(Grad.ZERO, BackwardRunTest::never).isZero());
        assertTrue(run.sum(Grad.ZERO, Grad.ZERO).isZero());
        assertTrue(run.merge(Grad.ZERO, Grad.ZERO, Grad.ZERO, new long[] {2, 3}, (a, b, c) -> never(a)).isZero());
        Grad seed = run.site(Site.logits(), Grad.ZERO);
        assertSame(seed, run.sum(Grad.ZERO, seed), "zero plus a gradient is that gradient, no new array");
        assertSame(seed, run.sum(seed, Grad.ZERO));
    }

    @Test
    void aMergeGivesAZeroPartAsZerosOfTheShape() {
        BackwardRun run = run(Keep.all(), Map.of());
        Grad seed = run.site(Site.logits(), Grad.ZERO);                                // [2, 5]
        List<INDArray> parts = new ArrayList<>();
        run.merge(Grad.ZERO, seed, Grad.ZERO, new long[] {2, 5}, (a, b, c) -> {
            parts.addAll(List.of(a, b, c));
            return a.add(b).add(c);
        });
        assertEquals(0.0, parts.get(0).amaxNumber().doubleValue());
        assertArrayEquals(new long[] {2, 5}, parts.get(2).shape());
        assertEquals(2.0, parts.get(1).sumNumber().doubleValue(), 0.0, "the logits' seed: a 1 per image");
    }

    @Test
    void theObjectivesSiteGetsItsSeedAndASiteAboveItKeepsZerosOfItsShape() {
        Site mlpPost = Site.of(0, Site.Kind.MLP_POST);
        Objective direction = Objective.direction(mlpPost, Nd4j.ones(DataType.FLOAT, mlpPost.shape(CONFIG, 1)));
        Activations forward = VIT.run(Input.normalized(GradientCheck.pixels(CONFIG, 2, 42)), Keep.all());
        BackwardRun run = new BackwardRun(CONFIG, OPS, forward, direction, Keep.all(), Map.of());
        assertTrue(run.site(Site.mlpOut(0), Grad.ZERO).isZero(), "above the objective's site: zero");
        Grad seed = run.site(mlpPost, Grad.ZERO);
        assertFalse(seed.isZero());
        Map<Site, INDArray> kept = run.gradients(new double[2], Grad.ZERO).arrays();
        assertEquals(0.0, kept.get(Site.mlpOut(0)).amaxNumber().doubleValue());
        assertArrayEquals(new long[] {2, CONFIG.tokens(), CONFIG.hiddenSize()}, kept.get(Site.mlpOut(0)).shape());
        assertEquals(2.0 * CONFIG.tokens() * CONFIG.mlpSize(), kept.get(mlpPost).sumNumber().doubleValue(), 0.0,
                "a direction of ones seeds ones");
    }

    @Test
    void aSiteHeldWholeKeepsItsGradientAndPassesNothingOn() {
        Site held = Site.residPost(1);
        BackwardRun run = run(Keep.all(), Map.of(held, Nd4j.ones(DataType.FLOAT, 1, 1, 1)));
        Grad d = run.apply(run.site(Site.logits(), Grad.ZERO), g -> Nd4j.ones(DataType.FLOAT, 2, CONFIG.tokens(),
                CONFIG.hiddenSize()));
        assertTrue(run.site(held, d).isZero(), "nothing flows past a site held whole");
        assertEquals(1.0, run.gradients(new double[2], Grad.ZERO).arrays().get(held).amaxNumber().doubleValue());
    }

    @Test
    void aReleaseFreesWhatTheRunMadeExceptTheKeptAndTheLiveGradients() {
        BackwardRun run = run(Keep.sites(Site.lnFinal()), Map.of());
        List<INDArray> seen = new ArrayList<>();
        UnaryOperator<INDArray> twice = g -> {
            seen.add(g);
            INDArray out = g.mul(2);
            seen.add(out);
            return out;
        };
        Grad dCls = run.apply(run.site(Site.logits(), Grad.ZERO), twice);         // seen: the seed, dCls
        Grad dLnFinal = run.site(Site.lnFinal(), run.apply(dCls, twice));         // seen: dCls, dLnFinal (kept)
        Grad live = run.apply(dLnFinal, twice);                                   // seen: dLnFinal, live
        INDArray cls = seen.get(1);
        INDArray lnFinal = seen.get(3);
        INDArray flowing = seen.get(5);
        run.release(live);
        assertTrue(cls.data().wasClosed(), "an intermediate gradient, used up, is freed");
        assertFalse(lnFinal.data().wasClosed(), "a kept gradient is the caller's");
        assertFalse(flowing.data().wasClosed(), "the gradient still flowing is needed by the next block");
        assertFalse(FORWARD.get(Site.residPost(CONFIG.layers() - 1)).data().wasClosed(), "the forward's arrays");
        run.release(Grad.ZERO);
        assertTrue(flowing.data().wasClosed(), "once it no longer flows it is freed too");
        assertFalse(lnFinal.data().wasClosed());
    }
}
