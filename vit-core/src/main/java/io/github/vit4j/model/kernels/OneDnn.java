package io.github.vit4j.model.kernels;

import io.github.vit4j.model.VitWeights;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.layer_normalization_forward;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.softmax_forward;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.memory.pointers.PagedPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of {@link OneDnnOps} that run as oneDNN primitives (JavaCPP's {@code org.bytedeco:dnnl} preset, built on the
 * same JavaCPP as ND4J). The matrix products use its AVX-512 batch-reduce GEMM: each weight matrix is packed once
 * into the blocked layout the kernel reads (as ONNX Runtime does at load), where OpenBLAS's SGEMM packs it on every
 * call, and the kernel adds the bias. The per-head attention products are batched matmuls. LayerNorm, softmax, the
 * exact GELU and the residual add are oneDNN's own primitives. The arrays stay ND4J's: oneDNN reads and writes their
 * memory in place.
 *
 * <p>Packed weights are kept per weight array, by identity and weakly: they go when the model's arrays go (a
 * thread's product of that shape still holds the last one it used until its next call or until it is dropped). A
 * model's weights must therefore not be written once a {@code Vit} uses them, which ND4J's read-only
 * memory-mapped weights enforce anyway. Primitives, with their memory objects and each its own scratchpad, are per
 * thread, cached by shape: oneDNN's library-managed scratchpad is not safe to share between threads.
 *
 * <p>Where the preset has no natives for the platform (macOS on Apple silicon), {@link #available()} is false and
 * {@link KernelSet#configured()} picks {@link OpenBlasOps}.
 */
final class OneDnn {

    private static final Logger LOG = LoggerFactory.getLogger(OneDnn.class);
    private static final memory.data_type F32 = memory.data_type.f32;
    /** Primitives kept per thread: a ViT forward and backward at one batch size use about 30. */
    private static final int STEPS = 256;

    private static volatile Boolean available;
    private static engine cpu;

    private static final ThreadLocal<Context> CONTEXT = ThreadLocal.withInitial(Context::new);
    /** Each weight array's packed copies, one per blocked layout a product asked for. */
    private static final Map<WeightKey, List<Packed>> PACKED = new ConcurrentHashMap<>();
    private static final ReferenceQueue<INDArray> GONE = new ReferenceQueue<>();

    private OneDnn() {
    }

    /** Whether oneDNN's natives loaded on this platform. */
    static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (OneDnn.class) {
                a = available;
                if (a == null) {
                    a = load();
                    available = a;
                }
            }
        }
        return a;
    }

    private static boolean load() {
        try {
            cpu = new engine(engine.kind.cpu, 0);
            return true;
        } catch (Throwable e) {                 // no natives for this platform: UnsatisfiedLinkError, NoClassDefFoundError
            LOG.info("oneDNN is not available here ({}); matrix products use OpenBLAS's SGEMM", e.toString());
            return false;
        }
    }

    /** {@code y = x · Wᵀ + b} for x {@code [R, in]} (C order), W {@code [out, in]}, b {@code [out]}, into y {@code [R, out]} (C order). */
    static void linear(INDArray x, VitWeights.Linear w, INDArray y) {
        weightProduct(x, w.weight(), true, HostMemory.contiguous(w.bias()), null, 0f, y);  // W read through its strides
    }

    /**
     * {@code y = f(x · Wᵀ + b)} as {@link #linear}, with f oneDNN's elementwise {@code activation} (see {@link #eltwise})
     * applied by the product's kernel to each tile it writes (a post-op): the product's own output never reaches memory.
     */
    static void linear(INDArray x, VitWeights.Linear w, dnnl.algorithm activation, float alpha, INDArray y) {
        weightProduct(x, w.weight(), true, HostMemory.contiguous(w.bias()), activation, alpha, y);
    }

    /**
     * {@code dx = dy · W} for dy {@code [R, out]} (C order), W {@code [out, in]}, into dx {@code [R, in]} (C order): the
     * backward of {@link #linear}. W is packed once more, in the blocked layout of its untransposed use (a second
     * copy of each weight matrix, made the first time a backward needs it).
     */
    static void linearBackward(INDArray dy, INDArray weight, INDArray dx) {
        weightProduct(dy, weight, false, null, null, 0f, dx);
    }

    /**
     * {@code y = x · Wᵀ + b} ({@code transposed}) or {@code y = x · W} (no bias: {@code bias} null), x {@code [R, k]},
     * y {@code [R, n]}, with W packed once for that use.
     */
    private static void weightProduct(INDArray x, INDArray weight, boolean transposed, INDArray bias,
                                      dnnl.algorithm activation, float alpha, INDArray y) {
        long rows = x.size(0);
        long k = x.size(1);
        long n = y.size(1);
        Context c = CONTEXT.get();
        String key = (transposed ? "x·Wᵀ " : "x·W ") + rows + " " + k + " " + n + (bias == null ? "" : " + b")
                + (activation == null ? "" : " then " + activation + " " + alpha);
        Step step = c.steps.computeIfAbsent(key, any -> {
            memory.desc src = dense(rows, k);
            memory.desc anyWeights = new memory.desc(new long[] {k, n}, F32, memory.format_tag.any);
            memory.desc dst = dense(rows, n);
            primitive_attr attr = attr();
            if (activation != null) {
                post_ops then = new post_ops();
                then.append_eltwise(1f, activation, alpha, 0f);
                attr.set_post_ops(then);
            }
            if (bias == null) {
                matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(src, anyWeights, dst), attr, cpu);
                return new Step(pd, new matmul(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, src, dst)
                        .weightsLayout(pd.weights_desc());
            }
            memory.desc b = dense(1, n);
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(src, anyWeights, b, dst), attr, cpu);
            return new Step(pd, new matmul(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_BIAS, dnnl.DNNL_ARG_DST},
                    src, b, dst).weightsLayout(pd.weights_desc());
        });
        step.args.put(dnnl.DNNL_ARG_WEIGHTS, packed(weight, transposed, step.weightsLayout, c.stream));
        if (bias == null) {
            step.run(c.stream, x, y);
        } else {
            step.run(c.stream, x, bias, y);
        }
    }

    /**
     * The per-head products of {@link Ops#perHead}: {@code a} {@code [B, H, ·, ·]} and {@code b} (C order), either
     * read transposed, into {@code out} {@code [B, H, rows, cols]} (C order), each product multiplied by {@code scale}.
     */
    static void perHead(INDArray a, INDArray b, boolean transposeA, boolean transposeB, float scale, INDArray out) {
        long bh = a.size(0) * a.size(1);
        long m = out.size(2);
        long n = out.size(3);
        long k = transposeA ? a.size(2) : a.size(3);
        Context c = CONTEXT.get();
        String key = "heads " + bh + " " + m + " " + k + " " + n + " " + transposeA + " " + transposeB + " " + scale;
        c.steps.computeIfAbsent(key, any -> {
            // a is stored [bh, m, k] (or [bh, k, m] when read transposed); b [bh, k, n] (or [bh, n, k])
            memory.desc src = new memory.desc(new long[] {bh, m, k}, F32,
                    transposeA ? new long[] {m * k, 1, m} : new long[] {m * k, k, 1});
            memory.desc weights = new memory.desc(new long[] {bh, k, n}, F32,
                    transposeB ? new long[] {k * n, 1, k} : new long[] {k * n, n, 1});
            memory.desc dst = new memory.desc(new long[] {bh, m, n}, F32, memory.format_tag.abc);
            primitive_attr attr = attr();
            if (scale != 1f) {
                attr.set_output_scales(0, new float[] {scale});
            }
            matmul.primitive_desc pd = new matmul.primitive_desc(new matmul.desc(src, weights, dst), attr, cpu);
            return new Step(pd, new matmul(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_WEIGHTS,
                    dnnl.DNNL_ARG_DST}, src, weights, dst);
        }).run(c.stream, a, b, out);
    }

    /** {@code out = softmax(x)} along the last axis, x and out {@code [R, n]} (C order, any leading shape). */
    static void softmax(INDArray x, INDArray out) {
        long n = x.size(x.rank() - 1);
        long rows = x.length() / n;
        Context c = CONTEXT.get();
        c.steps.computeIfAbsent("softmax " + rows + " " + n, k -> {
            memory.desc d = dense(rows, n);
            softmax_forward.primitive_desc pd = new softmax_forward.primitive_desc(new softmax_forward.desc(
                    dnnl.prop_kind.forward_inference, d, 1), attr(), cpu);
            return new Step(pd, new softmax_forward(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, d, d);
        }).run(c.stream, x, out);
    }

    /** {@code out = LayerNorm(x)} with the model's weight, bias and ε, x and out {@code [R, D]} (C order, any leading shape). */
    static void layerNorm(INDArray x, VitWeights.LayerNorm p, float eps, INDArray out) {
        long d = x.size(x.rank() - 1);
        long rows = x.length() / d;
        Context c = CONTEXT.get();
        c.steps.computeIfAbsent("layernorm " + rows + " " + d + " " + eps, k -> {
            memory.desc data = dense(rows, d);
            memory.desc param = new memory.desc(new long[] {d}, F32, memory.format_tag.a);
            int flags = dnnl.normalization_flags.use_scale.value | dnnl.normalization_flags.use_shift.value;
            layer_normalization_forward.primitive_desc pd = new layer_normalization_forward.primitive_desc(
                    new layer_normalization_forward.desc(dnnl.prop_kind.forward_inference.value, data, eps, flags),
                    attr(), cpu);
            return new Step(pd, new layer_normalization_forward(pd), new int[] {dnnl.DNNL_ARG_SRC,
                    dnnl.DNNL_ARG_SCALE, dnnl.DNNL_ARG_SHIFT, dnnl.DNNL_ARG_DST}, data, param, param, data);
        }).run(c.stream, x, HostMemory.contiguous(p.weight()), HostMemory.contiguous(p.bias()), out);
    }

    /**
     * {@code out = f(x)} elementwise, x and out of one shape (C order), f oneDNN's {@code algorithm} with its
     * {@code alpha}: the exact GELU {@code x·Φ(x)} ({@code eltwise_gelu_erf}), its tanh approximation
     * ({@code eltwise_gelu_tanh}), quick GELU ({@code eltwise_swish}, α = 1.702).
     */
    static void eltwise(dnnl.algorithm algorithm, float alpha, INDArray x, INDArray out) {
        long n = x.length();
        Context c = CONTEXT.get();
        c.steps.computeIfAbsent("eltwise " + algorithm + " " + alpha + " " + n, k -> {
            memory.desc d = new memory.desc(new long[] {n}, F32, memory.format_tag.a);
            eltwise_forward.primitive_desc pd = new eltwise_forward.primitive_desc(new eltwise_forward.desc(
                    dnnl.prop_kind.forward_inference, algorithm, d, alpha, 0f), attr(), cpu);
            return new Step(pd, new eltwise_forward(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, d, d);
        }).run(c.stream, x, out);
    }

    /**
     * Copies the {@code dims} elements read from {@code src}'s memory from its element {@code srcOffset} through
     * {@code srcStrides} into {@code dst}'s from its element {@code dstOffset} through {@code dstStrides} (oneDNN's
     * reorder): the heads' split and merge without a pass through the Java heap.
     */
    static void copy(INDArray src, long srcOffset, long[] srcStrides, INDArray dst, long dstOffset, long[] dstStrides,
                     long[] dims) {
        Context c = CONTEXT.get();
        String key = "copy " + Arrays.toString(dims) + " " + Arrays.toString(srcStrides) + " to "
                + Arrays.toString(dstStrides);
        c.steps.computeIfAbsent(key, k -> {
            memory.desc from = new memory.desc(dims, F32, srcStrides);
            memory.desc to = new memory.desc(dims, F32, dstStrides);
            reorder.primitive_desc pd = new reorder.primitive_desc(cpu, from, cpu, to, attr(), false);
            return new Step(pd, new reorder(pd), new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, from, to);
        }).run(c.stream, pointer(src, srcOffset), pointer(dst, dstOffset));
    }

    /** {@code out = a + b}, all of one shape (C order). */
    static void add(INDArray a, INDArray b, INDArray out) {
        long n = a.length();
        Context c = CONTEXT.get();
        c.steps.computeIfAbsent("add " + n, k -> {
            memory.desc d = new memory.desc(new long[] {n}, F32, memory.format_tag.a);
            binary.primitive_desc pd = new binary.primitive_desc(new binary.desc(dnnl.algorithm.binary_add, d, d, d),
                    attr(), cpu);
            return new Step(pd, new binary(pd), new int[] {dnnl.DNNL_ARG_SRC_0, dnnl.DNNL_ARG_SRC_1,
                    dnnl.DNNL_ARG_DST}, d, d, d);
        }).run(c.stream, a, b, out);
    }

    private static memory.desc dense(long rows, long cols) {
        return new memory.desc(new long[] {rows, cols}, F32, memory.format_tag.ab);
    }

    /** Attributes of every primitive here: a scratchpad of the caller's (per thread), not one shared by threads. */
    private static primitive_attr attr() {
        primitive_attr attr = new primitive_attr();
        attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
        return attr;
    }

    /** How many primitives the calling thread keeps. */
    static int stepsOnThisThread() {
        return CONTEXT.get().steps.size();
    }

    /** How many packed copies of {@code weight} are held: one per blocked layout a product asked for. */
    static int packedCopies(INDArray weight) {
        List<Packed> copies = PACKED.get(new WeightKey(weight, null));
        return copies == null ? 0 : copies.size();
    }

    /**
     * The memory of {@code a} from its first element (arrays here are C-ordered and dense from there), as a pointer
     * of its own: oneDNN takes {@code void*}, to which JavaCPP would add a typed pointer's position in bytes. A view's
     * data buffer starts at the view's first element already ({@code addressPointer} includes its offset).
     */
    private static Pointer pointer(INDArray a) {
        return pointer(a, 0);
    }

    /** {@link #pointer(INDArray)} moved on by {@code elements} floats. */
    private static Pointer pointer(INDArray a, long elements) {
        if (a.offset() != a.data().offset()) {            // never seen; an array laid out otherwise must not be misread
            throw new IllegalStateException("array offset " + a.offset() + " differs from its buffer's "
                    + a.data().offset() + "; run with -D" + KernelSet.PROPERTY + "=openblas (or KernelSet.OPENBLAS) and report the case");
        }
        Pointer first = a.data().addressPointer();
        return new PagedPointer(first.address() + first.position() * first.sizeof() + elements * Float.BYTES);
    }

    /**
     * {@code weight} {@code [out, in]} in the blocked layout {@code layout} of a {@code [in, out]} operand (its
     * transpose, for the forward's {@code x · Wᵀ}) or of a {@code [out, in]} one (as stored, for the backward's
     * {@code dy · W}): packed once per use and layout.
     */
    private static memory packed(INDArray weight, boolean transposed, memory.desc layout, stream s) {
        List<Packed> known = PACKED.get(new WeightKey(weight, null));       // a hit takes no lock
        if (known != null) {
            for (Packed p : known) {
                if (p.matches(transposed, layout)) {
                    return p.memory();
                }
            }
        }
        synchronized (PACKED) {                                               // a miss packs, one thread at a time
            for (Reference<? extends INDArray> r; (r = GONE.poll()) != null; ) {
                List<Packed> copies = PACKED.remove((WeightKey) r);
                if (copies != null) {
                    copies.forEach(p -> p.memory().close());
                }
            }
            List<Packed> copies = PACKED.computeIfAbsent(new WeightKey(weight, GONE), k -> new CopyOnWriteArrayList<>());
            for (Packed p : copies) {
                if (p.matches(transposed, layout)) {                          // packed by another thread meanwhile
                    return p.memory();
                }
            }
            long in = weight.size(1);
            long out = weight.size(0);
            memory.desc plain = transposed
                    ? new memory.desc(new long[] {in, out}, F32, new long[] {weight.stride(1), weight.stride(0)})
                    : new memory.desc(new long[] {out, in}, F32, new long[] {weight.stride(0), weight.stride(1)});
            memory from = new memory(plain, cpu, pointer(weight));
            memory to = new memory(layout, cpu);
            new reorder(from, to).execute(s, from, to);
            s._wait();
            from.close();
            copies.add(new Packed(transposed, layout, to));
            LOG.debug("packed a {} x {} weight matrix ({} bytes); {} weight arrays packed", out, in, layout.get_size(),
                    PACKED.size());
            return to;
        }
    }

    /** A weight matrix, transposed or as stored, packed into {@code layout}. */
    private record Packed(boolean transposed, memory.desc layout, memory memory) {

        /** Whether this is the copy for that use and layout (the same step's layout object: no comparison). */
        boolean matches(boolean forTransposed, memory.desc forLayout) {
            return transposed == forTransposed && (layout == forLayout || layout.equals(forLayout));
        }
    }

    /** A weight array by identity, held weakly. */
    private static final class WeightKey extends WeakReference<INDArray> {
        private final int hash;

        WeightKey(INDArray weight, ReferenceQueue<INDArray> queue) {
            super(weight, queue);
            this.hash = System.identityHashCode(weight);
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof WeightKey k && k.get() != null && k.get() == get();
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * One thread's stream and primitives, the least recently used dropped beyond {@link #STEPS} (runs of ever new
     * shapes, e.g. every batch size in turn, would otherwise keep every primitive; a dropped one's native memory goes
     * with the GC).
     */
    private static final class Context {
        final stream stream = new stream(cpu);
        final Map<String, Step> steps = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Step> eldest) {
                return size() > STEPS;
            }
        };
    }

    /** A primitive with its own memory objects (their data set per call) and scratchpad. */
    private static final class Step {
        final primitive primitive;
        final memory[] operands;
        final IntMemoryMap args = new IntMemoryMap();
        /** For a linear layer: the blocked layout its weights are packed into. */
        memory.desc weightsLayout;

        Step(primitive_desc_base pd, primitive primitive, int[] argIds, memory.desc... descs) {
            this.primitive = primitive;
            operands = new memory[argIds.length];
            for (int i = 0; i < argIds.length; i++) {
                operands[i] = new memory(descs[i], cpu, (Pointer) null);
                args.put(argIds[i], operands[i]);
            }
            memory.desc scratchpad = pd.scratchpad_desc();
            args.put(dnnl.DNNL_ARG_SCRATCHPAD, new memory(scratchpad, cpu));
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} on thread {}: scratchpad {} bytes", pd.impl_info_str().getString(),
                        Thread.currentThread().getName(), scratchpad.get_size());
            }
        }

        Step weightsLayout(memory.desc layout) {
            weightsLayout = layout;
            return this;
        }

        /** Runs on the arrays' memory, given in the order of the constructor's argument ids. */
        void run(stream s, INDArray... arrays) {
            Pointer[] memory = new Pointer[arrays.length];
            for (int i = 0; i < arrays.length; i++) {
                memory[i] = pointer(arrays[i]);
            }
            run(s, memory);
        }

        /** Runs on this memory, given in the order of the constructor's argument ids. */
        void run(stream s, Pointer... memory) {
            for (int i = 0; i < memory.length; i++) {
                operands[i].set_data_handle(memory[i]);
            }
            primitive.execute(s, args);
            s._wait();
        }
    }
}
