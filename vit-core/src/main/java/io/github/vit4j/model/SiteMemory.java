package io.github.vit4j.model;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory for site arrays that the library recycles itself. A ViT-B/16 forward keeping every site writes ≈ 150 MB of
 * new arrays per image; handed back to glibc, such large blocks return to the OS and the next forward faults them
 * in again (tens of ms per image at batch 8; docs/performance.md). The arrays a run frees itself, and those of a
 * closed {@link Activations}, come here instead, by length, and the next array of that length reuses one.
 *
 * <p>Only blocks of at least {@link #MIN_BYTES} are kept (smaller ones malloc serves well), and at most
 * {@code capacity} bytes in all ({@code -Dvit4j.siteMemoryBytes}, default 1 GiB); beyond that, memory is freed.
 * Thread-safe.
 */
final class SiteMemory {

    static final String CAPACITY_PROPERTY = "vit4j.siteMemoryBytes";
    static final long MIN_BYTES = 128 * 1024;
    static final SiteMemory SHARED = new SiteMemory(capacityFromSystemProperty());

    private final long capacity;
    private final Map<Long, ArrayDeque<DataBuffer>> free = new HashMap<>();
    private final Set<DataBuffer> pooled = Collections.newSetFromMap(new IdentityHashMap<>());
    private long bytes;

    SiteMemory(long capacity) {
        this.capacity = capacity;
    }

    /** A float array of {@code shape} in C order, uninitialised: recycled memory if a block of its size is free. */
    INDArray floats(long... shape) {
        long length = 1;
        for (long s : shape) {
            length *= s;
        }
        Optional<DataBuffer> reused = take(length);
        if (reused.isEmpty()) {
            return Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        }
        return Nd4j.create(reused.get(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    /**
     * Gives back the memory of {@code a} (the whole buffer under it, if it is a view): kept for reuse, or freed.
     * The caller must not use {@code a}, or any array sharing its memory, afterwards.
     */
    void recycle(INDArray a) {
        DataBuffer d = a.data().originalDataBuffer() != null ? a.data().originalDataBuffer() : a.data();
        if (!d.closeable()) {
            return;
        }
        long size = d.length() * d.getElementSize();
        synchronized (this) {
            if (pooled.contains(d)) {
                return;                                            // given back twice: keep it once
            }
            if (d.dataType() == DataType.FLOAT && size >= MIN_BYTES && bytes + size <= capacity) {
                free.computeIfAbsent(d.length(), k -> new ArrayDeque<>()).push(d);
                pooled.add(d);
                bytes += size;
                return;
            }
        }
        d.close();
    }

    /** {@link #recycle} for each distinct buffer under {@code arrays} (several arrays may share one). */
    void recycleAll(Collection<INDArray> arrays) {
        Map<DataBuffer, INDArray> byBuffer = new IdentityHashMap<>();
        for (INDArray a : arrays) {
            byBuffer.putIfAbsent(a.data().originalDataBuffer() != null ? a.data().originalDataBuffer() : a.data(), a);
        }
        byBuffer.values().forEach(this::recycle);
    }

    /** Bytes held for reuse now. */
    synchronized long heldBytes() {
        return bytes;
    }

    private synchronized Optional<DataBuffer> take(long length) {
        ArrayDeque<DataBuffer> q = free.get(length);
        if (q == null || q.isEmpty()) {
            return Optional.empty();
        }
        DataBuffer d = q.pop();
        pooled.remove(d);
        bytes -= d.length() * d.getElementSize();
        return Optional.of(d);
    }

    private static long capacityFromSystemProperty() {
        String v = System.getProperty(CAPACITY_PROPERTY, String.valueOf(1L << 30)).trim();
        try {
            long c = Long.parseLong(v);
            if (c < 0) {
                throw new NumberFormatException();
            }
            return c;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + CAPACITY_PROPERTY + "=" + v + " is not a byte count; give a"
                    + " whole number >= 0, e.g. 1073741824 for 1 GiB (0 turns recycling off)");
        }
    }
}
