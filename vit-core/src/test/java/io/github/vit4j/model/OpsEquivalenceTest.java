package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fast CPU kernels and the portable ND4J-only kernels compute the same forward: every site of random-weight
 * models agrees within 1e-4 (absolute), and the CPU path's reused scratch never leaks into a site array.
 */
class OpsEquivalenceTest {

    private static final double TOLERANCE = 1e-4;

    /** Small enough to run in a second, with several heads, a batch of 2 and uneven sizes (T = 17, D = 48). */
    private static final VitConfig SMALL = new VitConfig(32, 8, 3, 48, 2, 3, 96, 1e-6, VitConfig.numberedLabels(7));

    @Test
    void withNoKernelSetNamedTheCpuKernelsRunOnlyOnTheCpuBackendAndThePortableOnesOnCuda() {
        assertEquals("cpu", Ops.defaultKernels(true));
        assertEquals("portable", Ops.defaultKernels(false));
        assertTrue(Nd4j.getEnvironment().isCPU(), "these tests run on the CPU backend");
    }

    @Test
    void cpuAndPortableKernelsAgreeAtEverySiteOfTheCifarModel() {
        assertSameSites(VitConfig.cifar10(), 2, 11);
    }

    @Test
    void cpuAndPortableKernelsAgreeAtEverySiteOfASmallUnevenModel() {
        assertSameSites(SMALL, 2, 12);
    }

    @Test
    void aSecondRunLeavesTheFirstRunsSiteArraysUntouched() {
        VitWeights w = VitWeights.random(SMALL, 5);
        Vit vit = new Vit(w, CpuOps.INSTANCE);
        Activations first = vit.run(Input.normalized(pixels(SMALL, 2, 1)), Keep.all());
        Map<Site, INDArray> copies = new LinkedHashMap<>();
        first.arrays().forEach((s, a) -> copies.put(s, a.dup()));
        vit.run(Input.normalized(pixels(SMALL, 2, 2)), Keep.all());
        copies.forEach((s, c) -> assertEquals(c, first.get(s), s + " changed after another run"));
    }

    @Test
    void runsKeepingFewSitesFreeTheRestButNeverTheCallersArrays() {
        VitWeights w = VitWeights.random(SMALL, 6);
        Vit vit = new Vit(w, CpuOps.INSTANCE);
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

    @Test
    void theDefaultKernelsAreTheCpuOnes() {
        String before = System.getProperty(Ops.KERNELS_PROPERTY);
        try {
            System.clearProperty(Ops.KERNELS_PROPERTY);
            assertTrue(Ops.fromSystemProperty() instanceof CpuOps);
            System.setProperty(Ops.KERNELS_PROPERTY, "portable");
            assertTrue(Ops.fromSystemProperty() instanceof PortableOps);
        } finally {
            if (before == null) {
                System.clearProperty(Ops.KERNELS_PROPERTY);
            } else {
                System.setProperty(Ops.KERNELS_PROPERTY, before);
            }
        }
    }

    private static void assertSameSites(VitConfig config, int batch, long seed) {
        VitWeights w = VitWeights.random(config, seed);
        INDArray x = pixels(config, batch, seed);
        Activations cpu = new Vit(w, CpuOps.INSTANCE).run(Input.normalized(x), Keep.all());
        Activations portable = new Vit(w, PortableOps.INSTANCE).run(Input.normalized(x), Keep.all());
        assertEquals(portable.sites(), cpu.sites());
        for (Site s : portable.sites()) {
            INDArray a = cpu.get(s);
            INDArray b = portable.get(s);
            assertArrayEquals(b.shape(), a.shape(), s + " shape");
            double diff = a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            assertTrue(diff <= TOLERANCE, s + ": cpu and portable differ by " + diff + " (tolerance " + TOLERANCE + ")");
        }
    }

    private static INDArray pixels(VitConfig c, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, batch, c.channels(), c.imageSize(), c.imageSize());
    }
}
