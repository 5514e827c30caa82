package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Vit vit = new Vit(VitWeights.random(CONFIG, 31), CpuOps.INSTANCE);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        INDArray y = Nd4j.rand(DataType.FLOAT, 2, 3, 64, 64);
        Activations first = vit.run(x);
        Map<Site, INDArray> expected = copies(first);
        first.close();
        vit.run(y).close();                                          // another image through the same memory
        try (Activations again = vit.run(x)) {
            for (Map.Entry<Site, INDArray> e : expected.entrySet()) {
                assertEquals(e.getValue(), again.get(e.getKey()), e.getKey().toString());
            }
        }
    }

    @Test
    void closingAPatchedRunLeavesTheArraysItBorrowedAlone() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 32), CpuOps.INSTANCE);
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Activations clean = vit.run(x);
        Map<Site, INDArray> before = copies(clean);
        INDArray other = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Activations patched = vit.run(Input.residPre(1, clean.get(Site.residPre(1))), Keep.all(),
                Map.of(Site.attnOut(1), Substitution.whole(clean.get(Site.attnOut(1)))));
        patched.close();
        for (int i = 0; i < 3; i++) {
            vit.run(other).close();                                  // would overwrite anything wrongly given back
        }
        for (Map.Entry<Site, INDArray> e : before.entrySet()) {
            assertEquals(e.getValue(), clean.get(e.getKey()), e.getKey().toString());
        }
    }

    @Test
    void closedActivationsRefuseToBeReadAndClosingTwiceDoesNothing() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 33), CpuOps.INSTANCE);
        Activations a = vit.run(Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64));
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
