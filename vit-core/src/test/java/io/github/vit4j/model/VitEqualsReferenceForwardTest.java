package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The oracle of the fast path: {@link Vit}, with its skipped modules, its CLS-only last block and its freed arrays,
 * keeps the same sites as {@link ReferenceForward}, the paper's forward computed site by site, and every kept site
 * and the logits agree within 1e-5 (absolute), for random keeps and substitutions (whole and masked, inside the
 * modules and on the residual stream), from pixels and from a cached resid_pre, on both kernel sets. Seeded.
 */
class VitEqualsReferenceForwardTest {

    private static final double TOLERANCE = 1e-5;
    static final VitConfig CONFIG = LastBlockForLogitsTest.CONFIG;
    static final int LAST = CONFIG.layers() - 1;
    private static final int BATCH = 2;
    private static final List<KernelSet> KERNELS = List.of(KernelSet.configured(), KernelSet.PLAIN);

    @Test
    void randomKeepsAndSubstitutionsGiveTheSameSitesOnBothPaths() {
        for (KernelSet ops : KERNELS) {
            Random rng = new Random(42);
            Paths paths = new Paths(VitWeights.random(CONFIG, 31), ops, rng);
            for (int i = 0; i < 60; i++) {
                Input input = paths.randomInput();
                Keep keep = randomKeep(rng, input.startLayer());
                Map<Site, Substitution> subs = paths.randomSubstitutions(input.startLayer());
                paths.assertSame(input, keep, subs, ops + " case " + i);
            }
        }
    }

    @Test
    void aWholeModuleOutputThatLetsTheFastPathSkipTheModuleGivesTheReferencesSites() {
        for (KernelSet ops : KERNELS) {
            Paths paths = new Paths(VitWeights.random(CONFIG, 32), ops, new Random(1));
            Input pixels = Input.normalized(paths.pixels);
            for (int l = 0; l < CONFIG.layers(); l++) {
                for (Site out : List.of(Site.attnOut(l), Site.mlpOut(l))) {
                    Map<Site, Substitution> subs = Map.of(out, Substitution.whole(paths.other.get(out)));
                    for (Keep keep : List.of(Keep.logitsOnly(), Keep.kinds(Site.Kind.RESID_MID, Site.Kind.ATTN_OUT),
                            Keep.sites(Site.residPost(l)))) {
                        paths.assertSame(pixels, keep, subs, ops + " " + out + " " + keep);
                    }
                }
            }
        }
    }

    @Test
    void aLogitsOnlyRunWhoseLastBlockIsClsOnlyGivesTheReferencesLogitsWithSubstitutionsThere() {
        for (KernelSet ops : KERNELS) {
            Paths paths = new Paths(VitWeights.random(CONFIG, 33), ops, new Random(2));
            INDArray tokens = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), 1);
            tokens.putScalar(0, 0, 0, 1f);
            tokens.putScalar(0, 4, 0, 1f);
            INDArray headOne = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.heads(), 1, 1);
            headOne.putScalar(0, 1, 0, 0, 1f);
            List<Map<Site, Substitution>> sets = new ArrayList<>();
            sets.add(Map.of());
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock()) {
                    sets.add(Map.of(Site.of(LAST, kind), Substitution.whole(paths.other.get(Site.of(LAST, kind)))));
                    INDArray mask = kind.hasHeads() ? headOne : tokens;
                    sets.add(Map.of(Site.of(LAST, kind), Substitution.masked(paths.other.get(Site.of(LAST, kind)),
                            mask)));
                }
            }
            sets.add(Map.of(Site.lnFinal(), Substitution.masked(paths.other.get(Site.lnFinal()), tokens)));
            sets.add(Map.of(Site.lnFinal(), Substitution.whole(paths.other.get(Site.lnFinal()))));
            for (Map<Site, Substitution> subs : sets) {
                paths.assertSame(Input.normalized(paths.pixels), Keep.logitsOnly(), subs, ops + " " + subs.keySet());
                paths.assertSame(Input.residPre(LAST, paths.other.get(Site.residPre(LAST))), Keep.logitsOnly(), subs,
                        ops + " from resid_pre " + subs.keySet());
            }
        }
    }

    @Test
    void theReferenceRefusesWhatVitRefusesWithTheSameMessage() {
        VitWeights w = VitWeights.random(CONFIG, 34);
        Vit vit = new Vit(w, KernelSet.configured());
        ReferenceForward reference = new ReferenceForward(w, KernelSet.configured());
        INDArray resid = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), CONFIG.hiddenSize());
        List<Input> inputs = List.of(Input.normalized(Nd4j.zeros(DataType.FLOAT, 1, 3, 16, 16)),
                Input.residPre(CONFIG.layers() + 1, resid),
                Input.residPre(0, Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens() + 1, CONFIG.hiddenSize())),
                Input.normalized(Nd4j.zeros(DataType.DOUBLE, 1, 3, 32, 32)));
        for (Input input : inputs) {
            assertSameRefusal(() -> vit.run(input, Keep.all()), () -> reference.run(input, Keep.all()));
        }
        List<Map<Site, Substitution>> subs = List.of(
                Map.of(Site.attnOut(CONFIG.layers()), Substitution.whole(resid)),
                Map.of(Site.residMid(0), Substitution.whole(resid)),
                Map.of(Site.residMid(1), Substitution.whole(Nd4j.zeros(DataType.FLOAT, 2, 3))));
        for (Map<Site, Substitution> s : subs) {
            Input input = Input.residPre(1, resid);
            assertSameRefusal(() -> vit.run(input, Keep.all(), s), () -> reference.run(input, Keep.all(), s));
        }
        Keep pastTheLast = Keep.sites(Site.attnOut(CONFIG.layers()));
        assertSameRefusal(() -> vit.run(Input.residPre(0, resid), pastTheLast),
                () -> reference.run(Input.residPre(0, resid), pastTheLast));
    }

    private static void assertSameRefusal(Executable fast, Executable reference) {
        String want = assertThrows(IllegalArgumentException.class, fast).getMessage();
        assertEquals(want, assertThrows(IllegalArgumentException.class, reference).getMessage());
    }

    /** Logits only (the CLS-only last block), everything, or a random choice of kinds and of single sites. */
    private static Keep randomKeep(Random rng, int start) {
        int pick = rng.nextInt(6);
        if (pick == 0) {
            return Keep.logitsOnly();
        }
        if (pick == 1) {
            return Keep.all();
        }
        Set<Site.Kind> kinds = EnumSet.noneOf(Site.Kind.class);
        Set<Site> sites = new HashSet<>();
        for (Site.Kind kind : Site.Kind.values()) {
            if (rng.nextInt(8) == 0 && CONFIG.hasSite(kind)) {
                kinds.add(kind);
            }
            if (kind.perBlock() && rng.nextInt(6) == 0) {
                sites.add(Site.of((start + rng.nextInt(CONFIG.layers() - start + 1)) % CONFIG.layers(), kind));
            }
        }
        return new Keep(kinds, sites);
    }

    /** The two paths on one model, another run's arrays as substitution sources, and a seeded source of cases. */
    private static final class Paths {
        final Vit vit;
        final ReferenceForward reference;
        final Random rng;
        final INDArray pixels;
        final Activations other;

        Paths(VitWeights weights, KernelSet ops, Random rng) {
            this.vit = new Vit(weights, ops);
            this.reference = new ReferenceForward(weights, ops);
            this.rng = rng;
            this.pixels = random(rng, BATCH, CONFIG.channels(), CONFIG.imageSize(), CONFIG.imageSize());
            this.other = reference.run(Input.normalized(random(rng, pixels.shape())), Keep.all());
        }

        /** The same sites kept on both paths, each within the tolerance. */
        void assertSame(Input input, Keep keep, Map<Site, Substitution> subs, String what) {
            Activations want = reference.run(input, keep, subs);
            Activations got = vit.run(input, keep, subs);
            assertEquals(want.sites(), got.sites(), what + ": kept sites");
            for (Site s : want.sites()) {
                assertArrayEquals(want.get(s).shape(), got.get(s).shape(), what + ": " + s);
                double d = want.get(s).sub(got.get(s)).amaxNumber().doubleValue();
                assertTrue(d <= TOLERANCE, what + ": " + s + " differs by " + d);
            }
        }

        /** Pixels, or the other run's resid_pre of a random layer (L: the head alone). */
        Input randomInput() {
            int start = rng.nextInt(CONFIG.layers() + 2) - 1;
            if (start < 0) {
                return Input.normalized(pixels);
            }
            Site s = start < CONFIG.layers() ? Site.residPre(start) : Site.residPost(LAST);
            return Input.residPre(start, other.get(s));
        }

        /**
         * Up to four sites the run produces, each substituted from the other run: whole, or masked by a random 0/1
         * mask whose axes are each the site's or 1. Whole attn_out and mlp_out come up often, so that modules are
         * skipped.
         */
        Map<Site, Substitution> randomSubstitutions(int start) {
            List<Site> candidates = new ArrayList<>();
            for (Site.Kind kind : Site.Kind.values()) {
                if (!kind.perBlock()) {
                    if ((kind != Site.Kind.EMBED || start == 0) && CONFIG.hasSite(kind)) {
                        candidates.add(new Site(Site.NO_LAYER, kind));
                    }
                    continue;
                }
                for (int l = start; l < CONFIG.layers(); l++) {
                    candidates.add(Site.of(l, kind));
                    if (kind.module() == Site.Module.NONE && kind != Site.Kind.RESID_PRE) {
                        candidates.add(Site.of(l, kind));                      // outputs and stream: twice as likely
                    }
                }
            }
            Map<Site, Substitution> subs = new LinkedHashMap<>();
            int n = rng.nextInt(5);
            for (int i = 0; i < n; i++) {
                Site s = candidates.get(rng.nextInt(candidates.size()));
                INDArray source = other.get(s);
                subs.put(s, rng.nextBoolean() ? Substitution.whole(source)
                        : Substitution.masked(source, randomMask(source.shape())));
            }
            return subs;
        }

        private INDArray randomMask(long[] full) {
            long[] shape = full.clone();
            for (int i = 0; i < shape.length; i++) {
                shape[i] = rng.nextBoolean() ? full[i] : 1;
            }
            INDArray mask = Nd4j.create(DataType.FLOAT, shape);
            for (long j = 0; j < mask.length(); j++) {
                mask.putScalar(j, rng.nextBoolean() ? 1f : 0f);
            }
            return mask;
        }
    }

    private static INDArray random(Random rng, long... shape) {
        INDArray a = Nd4j.create(DataType.FLOAT, shape);
        for (long j = 0; j < a.length(); j++) {
            a.putScalar(j, (float) rng.nextGaussian());
        }
        return a;
    }
}
