package io.github.vit4j.model.kernels;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How the two CPU kernel sets ({@link OneDnnOps}, {@link OpenBlasOps}) reach the arrays' host memory: C-ordered
 * views or copies, each thread's reused scratch arrays and Java blocks, and the parallel-for that splits a loop
 * across the cores. Nothing here computes.
 */
final class HostMemory {

    /** Below this many elements an operation runs on the calling thread alone. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;
    /** Elements per block copied to the Java heap and back: small enough to stay in L1/L2. */
    static final int BLOCK = 1 << 14;
    private static final int THREADS = NativeEnvironment.threads();

    /** Scratch arrays by role; the CLS-row shapes of a logits-only last block get their own, so nothing reallocates. */
    enum Role { QKV, SCORES, HEADS, CLS_SCORES, CLS_HEADS }

    private static final ThreadLocal<Map<Role, INDArray>> SCRATCH = ThreadLocal.withInitial(() -> new EnumMap<>(Role.class));
    private static final ThreadLocal<float[][]> HEAP = ThreadLocal.withInitial(
            () -> new float[][] {new float[0], new float[0], new float[0], new float[0]});

    private HostMemory() {
    }

    /** The array itself if it is a float array in C order with C strides, else a C-ordered copy. */
    static INDArray contiguous(INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("expected a FLOAT array, got " + x.dataType());
        }
        long[] shape = x.shape();
        long[] stride = x.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return x.dup('c');
            }
            expected *= shape[i];
        }
        return x;
    }

    /** The elements of {@code x} in C order as a new Java array. */
    static float[] toFloats(INDArray x) {
        INDArray c = contiguous(x);
        float[] a = new float[(int) c.length()];
        c.data().asNioFloat().get((int) c.offset(), a, 0, a.length);
        return a;
    }

    /** This thread's reusable array of the given role and shape: scratch, which the next call for the role overwrites. */
    static INDArray scratch(Role role, long... shape) {
        Map<Role, INDArray> mine = SCRATCH.get();
        INDArray a = mine.get(role);
        if (a == null || !Arrays.equals(a.shape(), shape)) {
            a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
            mine.put(role, a);
        }
        return a;
    }

    /**
     * This thread's reusable Java array number {@code slot} (0 or 1: an operation's input block and its second
     * buffer, e.g. softmax's powers of two or GELU's output; 2 and 3: GELU's derivative's scratch) of at least
     * {@code n} floats.
     */
    static float[] heap(int slot, int n) {
        float[][] holder = HEAP.get();
        if (holder[slot].length < n) {
            holder[slot] = new float[n];
        }
        return holder[slot];
    }

    /** A body over an index range {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)}, split across the cores when {@code work} (elements) is large. */
    static void parallel(int n, long work, Range body) {
        int parts = work < PARALLEL_ELEMENTS ? 1 : Math.min(THREADS, n);
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(i -> body.run((int) ((long) n * i / parts),
                (int) ((long) n * (i + 1) / parts)));
    }
}
