package io.github.vit4j.model.kernels;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Memory for site arrays that the library recycles itself (the CPU kernel sets' arrays; see {@link CpuOps}). The arrays
 * a run frees itself, and those of a closed {@code Activations}, come here instead of going back to malloc, by
 * length, and the next array of that length reuses one: at batch 1 a ViT-B/16 forward keeping every site ran 14%
 * faster so (docs/performance.md, run Q).
 *
 * <p>Only blocks of at least {@link #MIN_BYTES} are kept (malloc serves smaller ones well), and at most the capacity
 * in all: {@code -Dvit4j.siteMemoryBytes} (read at each give-back; default 1 GiB; 0 turns recycling off). When a block
 * does not fit, blocks of the lengths least recently asked for are freed to make room. Thread-safe.
 */
final class SiteMemory {

    static final String CAPACITY_PROPERTY = "vit4j.siteMemoryBytes";
    /**
     * {@code -Dvit4j.siteMemoryPoison=true} fills every block given back with NaN (read at each give-back), as
     * glibc's {@code MALLOC_PERTURB_} fills freed memory: a kernel, or a caller, that reads memory it gave back then
     * shows NaN instead of plausible stale numbers. A debugging aid for kernel authors; slow, off by default.
     */
    static final String POISON_PROPERTY = "vit4j.siteMemoryPoison";
    static final long DEFAULT_CAPACITY = 1L << 30;
    static final long MIN_BYTES = 128 * 1024;
    static final SiteMemory SHARED = new SiteMemory(SiteMemory::capacityFromSystemProperty);

    private final LongSupplier capacity;
    /** Free blocks by length, least recently asked-for length first. */
    private final Map<Long, ArrayDeque<DataBuffer>> free = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<DataBuffer> pooled = Collections.newSetFromMap(new IdentityHashMap<>());
    private long bytes;

    SiteMemory(long capacity) {
        this(() -> capacity);
    }

    private SiteMemory(LongSupplier capacity) {
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
        recycle(Ops.bufferOf(a));
    }

    private void recycle(DataBuffer d) {
        if (!d.closeable() || d.wasClosed()) {
            return;
        }
        long size = d.length() * d.getElementSize();
        long cap = capacity.getAsLong();
        synchronized (this) {
            if (pooled.contains(d)) {
                return;                                            // given back twice: keep it once
            }
            if (d.dataType() == DataType.FLOAT && size >= MIN_BYTES && size <= cap) {
                evictFor(size, cap, d.length());
                if (Boolean.getBoolean(POISON_PROPERTY)) {
                    Nd4j.create(d, new long[] {d.length()}).assign(Float.NaN);
                }
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
        Set<DataBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
        for (INDArray a : arrays) {
            buffers.add(Ops.bufferOf(a));
        }
        buffers.forEach(this::recycle);
    }

    /** Bytes held for reuse now. */
    synchronized long heldBytes() {
        return bytes;
    }

    /** Frees blocks, of the lengths least recently asked for first, until {@code size} more bytes fit. */
    private void evictFor(long size, long cap, long keepLength) {
        Iterator<Map.Entry<Long, ArrayDeque<DataBuffer>>> it = free.entrySet().iterator();
        while (bytes + size > cap && it.hasNext()) {
            Map.Entry<Long, ArrayDeque<DataBuffer>> e = it.next();
            ArrayDeque<DataBuffer> q = e.getValue();
            while (bytes + size > cap && !q.isEmpty() && e.getKey() != keepLength) {
                DataBuffer old = q.pollLast();
                pooled.remove(old);
                bytes -= old.length() * old.getElementSize();
                old.close();
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
        ArrayDeque<DataBuffer> same = free.get(keepLength);
        while (bytes + size > cap && same != null && !same.isEmpty()) {
            DataBuffer old = same.pollLast();
            pooled.remove(old);
            bytes -= old.length() * old.getElementSize();
            old.close();
        }
    }

    private synchronized Optional<DataBuffer> take(long length) {
        ArrayDeque<DataBuffer> q = free.get(length);                   // also marks the length as recently asked for
        while (q != null && !q.isEmpty()) {
            DataBuffer d = q.pop();
            pooled.remove(d);
            bytes -= d.length() * d.getElementSize();
            if (!d.wasClosed()) {                                      // closed by someone after it was given back
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The capacity {@code -Dvit4j.siteMemoryBytes} sets (default 1 GiB). */
    static long capacityFromSystemProperty() {
        String v = System.getProperty(CAPACITY_PROPERTY);
        if (v == null) {
            return DEFAULT_CAPACITY;
        }
        try {
            long c = Long.parseLong(v.trim());
            if (c >= 0) {
                return c;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + CAPACITY_PROPERTY + "=" + v + " is not a byte count; give a whole"
                + " number >= 0, e.g. 1073741824 for 1 GiB (0 turns recycling off)");
    }
}
