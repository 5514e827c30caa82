package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fast CPU kernel sets (oneDNN where it loads, and OpenBLAS) and the plain ND4J-only kernels compute the same
 * forward: every site of random-weight models agrees within 1e-4 (absolute), and the CPU sets' reused scratch never
 * leaks into a site array.
 */
class OpsEquivalenceTest {

    private static final double TOLERANCE = 1e-4;

    /** Small enough to run in a second, with several heads, a batch of 2 and uneven sizes (T = 17, D = 48). */
    private static final VitConfig SMALL = new VitConfig(32, 8, 3, 48, 2, 3, 96, 1e-6, VitConfig.numberedLabels(7));

    /** The CPU kernel sets that run on this machine: both where oneDNN's natives load, else OpenBLAS's. */
    static List<KernelSet> fastSets() {
        return Stream.of(KernelSet.ONEDNN, KernelSet.OPENBLAS).filter(KernelSet::runsHere).toList();
    }

    @Test
    void cpuAndPlainKernelsAgreeAtEverySiteOfTheCifarModel() {
        assertSameSites(VitConfig.cifar10(), 2, 11);
    }

    @Test
    void cpuAndPlainKernelsAgreeAtEverySiteOfASmallUnevenModel() {
        assertSameSites(SMALL, 2, 12);
    }

    @ParameterizedTest
    @MethodSource("fastSets")
    void aSecondRunLeavesTheFirstRunsSiteArraysUntouched(KernelSet set) {
        VitWeights w = VitWeights.random(SMALL, 5);
        Vit vit = new Vit(w, set);
        Activations first = vit.run(Input.normalized(pixels(SMALL, 2, 1)), Keep.all());
        Map<Site, INDArray> copies = new LinkedHashMap<>();
        first.arrays().forEach((s, a) -> copies.put(s, a.dup()));
        vit.run(Input.normalized(pixels(SMALL, 2, 2)), Keep.all());
        copies.forEach((s, c) -> assertEquals(c, first.get(s), s + " changed after another run"));
    }

    @ParameterizedTest
    @MethodSource("fastSets")
    void runsKeepingFewSitesFreeTheRestButNeverTheCallersArrays(KernelSet set) {
        VitWeights w = VitWeights.random(SMALL, 6);
        Vit vit = new Vit(w, set);
        INDArray x = pixels(SMALL, 2, 3);
        Activations all = vit.run(Input.normalized(x), Keep.all());
        INDArray residPre1 = all.get(Site.residPre(1)).dup();
        INDArray attnOut1 = all.get(Site.attnOut(1)).dup();
        Map<Site, Substitution> patch = Map.of(Site.attnOut(1), Substitution.whole(attnOut1));
        for (int i = 0; i < 3; i++) {
            assertEquals(all.logits(), vit.run(Input.normalized(x), Keep.logitsOnly()).logits());
            Activations resumed = vit.run(Input.residPre(1, residPre1), Keep.kinds(Site.Kind.LN2), patch);
            assertEquals(all.logits(), resumed.logits());
            assertEquals(all.get(Site.of(1, Site.Kind.LN2)), resumed.get(Site.of(1, Site.Kind.LN2)));
            assertEquals(all.get(Site.residPre(1)), residPre1, "the caller's input must stay intact");
            assertEquals(all.get(Site.attnOut(1)), attnOut1, "the caller's substitution must stay intact");
        }
    }

    private static void assertSameSites(VitConfig config, int batch, long seed) {
        VitWeights w = VitWeights.random(config, seed);
        INDArray x = pixels(config, batch, seed);
        Activations plain = new Vit(w, KernelSet.PLAIN).run(Input.normalized(x), Keep.all());
        for (KernelSet set : fastSets()) {
            Activations cpu = new Vit(w, set).run(Input.normalized(x), Keep.all());
            assertEquals(plain.sites(), cpu.sites());
            for (Site s : plain.sites()) {
                INDArray a = cpu.get(s);
                INDArray b = plain.get(s);
                assertArrayEquals(b.shape(), a.shape(), set + " " + s + " shape");
                double diff = a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
                assertTrue(diff <= TOLERANCE, s + ": " + set + " and plain differ by " + diff + " (tolerance "
                        + TOLERANCE + ")");
            }
        }
    }

    private static INDArray pixels(VitConfig c, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, batch, c.channels(), c.imageSize(), c.imageSize());
    }
}
