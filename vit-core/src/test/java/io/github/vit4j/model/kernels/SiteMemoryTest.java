package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Site memory the library recycles: what a run frees itself and what a closed {@link Activations} gives back is
 * reused for the next arrays of the same size, never while anyone may still read it.
 */
class SiteMemoryTest {

    /** Tokens × hidden = 65 × 512 floats = 133 kB per image: large enough to be recycled. */
    static final VitConfig CONFIG = new VitConfig(64, 8, 3, 512, 2, 4, 1024, 1e-6, VitConfig.numberedLabels(10));
    static final long BIG = SiteMemory.MIN_BYTES / 4;

    @Test
    void aRecycledBlockIsHandedOutAgainForTheSameLength() {
        SiteMemory memory = new SiteMemory(1L << 30);
        INDArray a = memory.floats(2, BIG);
        long address = a.data().address();
        memory.recycle(a);
        assertEquals(2 * BIG * 4, memory.heldBytes());
        INDArray b = memory.floats(BIG, 2);                          // same length, another shape
        assertEquals(address, b.data().address());
        assertEquals(List.of(BIG, 2L), List.of(b.size(0), b.size(1)));
        assertEquals(0, memory.heldBytes());
        assertNotEquals(address, memory.floats(2, BIG).data().address(), "the block is in use: not handed out twice");
    }

    @Test
    void aBlockGivenBackTwiceIsHeldOnce() {
        SiteMemory memory = new SiteMemory(1L << 30);
        INDArray a = memory.floats(BIG);
        memory.recycleAll(List.of(a, a.reshape(1, BIG)));
        memory.recycle(a);
        assertEquals(BIG * 4, memory.heldBytes());
        memory.floats(BIG);
        assertEquals(0, memory.heldBytes(), "one block was held, so one taking empties the pool");
    }

    @Test
    void smallBlocksAndBlocksBeyondTheCapacityAreFreedInstead() {
        SiteMemory memory = new SiteMemory(BIG * 4);
        memory.recycle(memory.floats(16));
        assertEquals(0, memory.heldBytes());
        memory.recycle(memory.floats(BIG));
        memory.recycle(memory.floats(BIG));
        assertEquals(BIG * 4, memory.heldBytes(), "the second block did not fit");
    }

    @Test
    void runsReusingClosedRunsMemoryComputeTheSameArrays() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 31), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        INDArray y = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        Activations first = vit.run(Input.normalized(x), Keep.all());
        Map<Site, INDArray> expected = copies(first);
        first.close();
        vit.run(Input.normalized(y), Keep.all()).close();                                          // another image through the same memory
        try (Activations again = vit.run(Input.normalized(x), Keep.all())) {
            for (Map.Entry<Site, INDArray> e : expected.entrySet()) {
                assertEquals(e.getValue(), again.get(e.getKey()), e.getKey().toString());
            }
        }
    }

    @Test
    void closingAPatchedRunLeavesTheArraysItBorrowedAlone() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 32), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Activations clean = vit.run(Input.normalized(x), Keep.all());
        Map<Site, INDArray> before = copies(clean);
        INDArray other = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Activations patched = vit.run(Input.residPre(1, clean.get(Site.residPre(1))), Keep.all(),
                Map.of(Site.attnOut(1), Substitution.whole(clean.get(Site.attnOut(1)))));
        patched.close();
        for (int i = 0; i < 3; i++) {
            vit.run(Input.normalized(other), Keep.all()).close();                                  // would overwrite anything wrongly given back
        }
        for (Map.Entry<Site, INDArray> e : before.entrySet()) {
            assertEquals(e.getValue(), clean.get(e.getKey()), e.getKey().toString());
        }
    }

    @Test
    void closingGivesTheMemoryBackAndTheNextRunTakesItAgain() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 34), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        vit.run(Input.normalized(x), Keep.all()).close();                                          // fills the pool with this run's lengths
        long before = SiteMemory.SHARED.heldBytes();
        Activations a = vit.run(Input.normalized(x), Keep.all());
        long during = SiteMemory.SHARED.heldBytes();
        a.close();
        long after = SiteMemory.SHARED.heldBytes();
        assertTrue(during < before, "the run took recycled blocks: " + before + " -> " + during);
        assertTrue(after > during, "closing gave them back: " + during + " -> " + after);
    }

    @Test
    void runsOnRecycledMemoryNeverReadWhatWasGivenBack() throws Throwable {
        // Blocks given back are filled with NaN (-Dvit4j.siteMemoryPoison): any array still read after its memory
        // went back would show it.
        Vit vit = new Vit(VitWeights.random(CONFIG, 35), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        Activations other = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64)), Keep.all());
        INDArray firstToken = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), 1);
        firstToken.putScalar(0, 0, 0, 1f);
        List<Map<Site, Substitution>> patches = List.of(Map.of(),
                Map.of(Site.residMid(0), Substitution.masked(other.get(Site.residMid(0)), firstToken)),
                Map.of(Site.attnOut(1), Substitution.whole(other.get(Site.attnOut(1))),
                        Site.of(1, Site.Kind.MLP_PRE), Substitution.masked(other.get(Site.of(1, Site.Kind.MLP_PRE)),
                                Nd4j.ones(DataType.FLOAT, 1, 1, 1))));
        List<Keep> keeps = List.of(Keep.logitsOnly(), Keep.kinds(Site.Kind.RESID_PRE), Keep.all());
        List<INDArray> expected = new java.util.ArrayList<>();
        for (Map<Site, Substitution> p : patches) {
            for (Keep k : keeps) {
                expected.add(vit.run(Input.normalized(x), k, p).logits().dup());
            }
        }
        SystemProperty.with(SiteMemory.POISON_PROPERTY, "true", () -> {
            int i = 0;
            for (Map<Site, Substitution> p : patches) {
                for (Keep k : keeps) {
                    for (int round = 0; round < 2; round++) {                   // the second on a warm pool
                        try (Activations a = vit.run(Input.normalized(x), k, p)) {
                            assertEquals(expected.get(i), a.logits(), p.keySet() + " " + round);
                        }
                    }
                    i++;
                }
            }
        });
    }

    @Test
    void anInvalidCapacityIsRefusedWithTheValueAndAHint() throws Throwable {
        SystemProperty.with(SiteMemory.CAPACITY_PROPERTY, "1GB", () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    SiteMemory::capacityFromSystemProperty);
            assertTrue(e.getMessage().contains("=1GB") && e.getMessage().contains("1073741824"), e.getMessage());
        });
    }

    @Test
    void whenFullTheBlocksOfLengthsLeastRecentlyAskedForMakeRoom() {
        SiteMemory memory = new SiteMemory(BIG * 4 * 2);                // room for two blocks of BIG floats, not more
        INDArray a = memory.floats(BIG);
        INDArray b = memory.floats(BIG + 16);
        long bAddress = b.data().address();
        memory.recycle(a);
        memory.recycle(b);
        assertEquals((BIG + 16) * 4, memory.heldBytes(), "a's block made room for b's");
        assertEquals(bAddress, memory.floats(BIG + 16).data().address());
        assertEquals(0, memory.heldBytes());
    }

    @Test
    void closedActivationsRefuseToBeReadAndClosingTwiceDoesNothing() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 33), KernelSet.configured());
        Activations a = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64)), Keep.all());
        a.close();
        a.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, a::logits);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.image(0));
    }

    private static Map<Site, INDArray> copies(Activations a) {
        Map<Site, INDArray> c = new java.util.LinkedHashMap<>();
        a.arrays().forEach((site, array) -> c.put(site, array.dup()));
        return c;
    }
}
