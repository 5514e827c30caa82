package io.github.vit4j.model.kernels;

import io.github.vit4j.bench.BenchModels;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A per-operation profile of {@link Vit}'s forward with every site kept, on a CPU kernel set: the same calls of
 * {@link OneDnnOps} or {@link OpenBlasOps} in the same order as {@code Vit.run(input, Keep.all())}, each timed alone with {@link System#nanoTime}
 * (every operation is synchronous on the CPU backend). Bench code only (vit-bench's tests, in vit-core's kernels package to
 * reach the package-private operations); vit-core is unchanged.
 *
 * <p>A linear layer is split into its three steps, as {@code OpenBlasOps.linearInto} does them: the output array from
 * {@link SiteMemory} ({@code alloc}), the bias rows copied into it ({@code bias}), and {@code Nd4j.gemm} with β = 1
 * ({@code gemm}). The other operations take their output from {@link SiteMemory} inside; that lookup is timed apart
 * ({@code alloc.site}: the same shape taken and given back just before the operation, which then gets the same block),
 * so their rows include one such lookup each. After each forward every site is given back, as {@code
 * Activations.close()} does in {@code ForwardBench}'s {@code release=close}. The real forward ({@code Vit.run}) is
 * timed in the same process, alternating with the profiled one, so the two totals are comparable.
 *
 * <pre>
 * source nd4j-env.sh
 * java -cp vit-bench/target/test-classes:vit-bench/target/benchmarks.jar io.github.vit4j.model.kernels.OpProfile vitB16 1 [warmup] [measured] [onednn|openblas]
 * </pre>
 *
 * Prints one JSON object: per operation the median and minimum ms per forward (summed over layers), FLOP and GFLOP/s
 * for the matrix products, and the medians of both whole forwards.
 */
public final class OpProfile {

    private final VitWeights weights;
    private final VitConfig config;
    private final CpuOps ops;
    /** Per operation name: the nanoseconds of the current forward. */
    private final Map<String, Long> current = new LinkedHashMap<>();
    private final Map<String, Long> flops = new LinkedHashMap<>();
    private final Map<String, String> category = new LinkedHashMap<>();
    private final List<INDArray> sites = new ArrayList<>();
    private INDArray qkvScratch;

    OpProfile(VitWeights weights, KernelSet kernels) {
        this.weights = weights;
        this.ops = (CpuOps) kernels.ops();
        this.config = weights.config();
    }

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "vitB16";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : (batch == 1 ? 10 : 3);
        int measured = args.length > 3 ? Integer.parseInt(args[3]) : (batch == 1 ? 30 : 10);
        VitWeights weights = BenchModels.weights(model);
        INDArray pixels = BenchModels.pixels(weights.config(), batch, 7L);
        KernelSet kernels = args.length > 4 && args[4].equals("openblas") ? KernelSet.OPENBLAS : KernelSet.ONEDNN;
        OpProfile profile = new OpProfile(weights, kernels);
        Vit vit = new Vit(weights, kernels);
        Map<String, List<Long>> samples = new LinkedHashMap<>();
        List<Long> real = new ArrayList<>();
        List<Long> profiled = new ArrayList<>();
        for (int i = 0; i < warmup + measured; i++) {
            long t0 = System.nanoTime();
            Activations a = vit.run(Input.normalized(pixels), Keep.all(), Map.of());
            long t1 = System.nanoTime();
            a.close();
            long t2 = System.nanoTime();
            profile.forward(pixels);
            long t3 = System.nanoTime();
            profile.close();
            if (i >= warmup) {
                real.add(t1 - t0);
                profiled.add(t3 - t2);
                profile.current.forEach((k, v) -> samples.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
        }
        System.out.println(profile.json(model, batch, warmup, measured, samples, real, profiled));
    }

    /** One forward from normalised pixels keeping every site, each operation timed. */
    INDArray forward(INDArray pixels) {
        current.replaceAll((k, v) -> 0L);
        int b = (int) pixels.size(0);
        int n = config.patches();
        int d = config.hiddenSize();
        INDArray patches = time("copy.patchify", "copy", 0, () -> ops.patchify(pixels, config.patchSize()));
        INDArray embed = site(linear("gemm.patch_embed", patches, weights.patchEmbed(), false)).reshape(b, n, d);
        ops.release(List.of(patches));
        INDArray resid = site(time("elementwise.cls_pos", "elementwise", 0,
                () -> ops.prependAddPos(embed, weights.clsToken().reshape(1, d), weights.posEmbed())));
        for (int l = 0; l < config.layers(); l++) {
            resid = block(l, resid);
        }
        INDArray r = resid;
        INDArray lnFinal = site(layerNorm("elementwise.layernorm", r, weights.norm()));
        INDArray cls = lnFinal.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.all())
                .reshape(b, d);                                                    // the CLS row, as FastRun.clsRow
        return site(linear("gemm.head", cls, weights.head(), false));
    }

    /** Gives every site back, as closing the run's activations does. */
    void close() {
        ops.release(sites);
        sites.clear();
    }

    private INDArray block(int l, INDArray residPre) {
        VitWeights.Block w = weights.blocks().get(l);
        int b = (int) residPre.size(0);
        int t = config.tokens();
        int d = config.hiddenSize();
        int h = config.heads();
        int dh = config.headDim();
        int m = config.mlpSize();
        INDArray ln1 = site(layerNorm("elementwise.layernorm", residPre, w.norm1()));
        INDArray qkv = linear("gemm.qkv", ln1.reshape((long) b * t, d), w.qkv(), true);
        INDArray[] qkvHeads = new INDArray[3];
        for (int part = 0; part < 3; part++) {
            int p = part;
            allocSite(b, h, t, dh);
            qkvHeads[part] = site(time("copy.head_split", "copy", 0, () -> ops.head(qkv, p, b, h)));
        }
        INDArray q = qkvHeads[0];
        INDArray k = qkvHeads[1];
        INDArray v = qkvHeads[2];
        long attnFlop = 2L * b * h * t * t * dh;
        INDArray scores = time("gemm.attn_scores", "gemm", attnFlop, () -> ops.scores(q, k, 1.0 / Math.sqrt(dh)));
        allocSite(b, h, t, t);
        INDArray pattern = site(time("elementwise.softmax", "elementwise", 0,
                () -> ops.softmax(scores)));
        allocSite(b, h, t, dh);
        INDArray z = site(time("gemm.attn_mix", "gemm", attnFlop, () -> ops.mix(pattern, v)));
        INDArray heads = time("copy.merge_heads", "copy", 0, () -> ops.mergeHeads(z));
        INDArray attnOut = site(linear("gemm.proj", heads, w.proj(), false).reshape(b, t, d));
        allocSite(b, t, d);
        INDArray residMid = site(time("elementwise.add", "elementwise", 0, () -> ops.add(residPre, attnOut)));
        INDArray ln2 = site(layerNorm("elementwise.layernorm", residMid, w.norm2()));
        INDArray mlpPre = site(linear("gemm.fc1", ln2.reshape((long) b * t, d), w.fc1(), false).reshape(b, t, m));
        allocSite(b, t, m);
        INDArray mlpPost = site(time("elementwise.gelu", "elementwise", 0, () -> ops.gelu(mlpPre)));
        INDArray mlpOut = site(linear("gemm.fc2", mlpPost.reshape((long) b * t, m), w.fc2(), false).reshape(b, t, d));
        allocSite(b, t, d);
        return site(time("elementwise.add", "elementwise", 0, () -> ops.add(residMid, mlpOut)));
    }

    private INDArray layerNorm(String name, INDArray x, VitWeights.LayerNorm p) {
        allocSite(x.shape());
        return time(name, "elementwise", 0, () -> ops.layerNorm(x, p, config.layerNormEps()));
    }

    /**
     * A linear layer. Through oneDNN: its output array ({@code alloc}, timed apart as for the other operations) and
     * the product with the bias in the kernel. Through OpenBLAS, {@code OpenBlasOps.linearInto}'s three steps timed apart:
     * output array, bias rows, GEMM (β = 1).
     */
    private INDArray linear(String name, INDArray x, VitWeights.Linear w, boolean scratch) {
        long rows = x.size(0);
        long in = x.size(1);
        long out = w.weight().size(0);
        if (ops instanceof OneDnnOps) {
            if (!scratch) {
                allocSite(rows, out);
            }
            return time(name, "gemm", 2 * rows * in * out, () -> scratch ? ops.qkv(x, w) : ops.linear(x, w));
        }
        INDArray y;
        if (scratch) {
            if (qkvScratch == null || qkvScratch.size(0) != rows) {
                qkvScratch = Nd4j.createUninitialized(org.nd4j.linalg.api.buffer.DataType.FLOAT,
                        new long[] {rows, out}, 'c');
            }
            y = qkvScratch;
        } else {
            y = time("alloc.linear", "alloc", 0, () -> SiteMemory.SHARED.floats(rows, out));
        }
        float[] bias = w.bias().dup('c').data().asFloat();
        INDArray target = y;
        time("elementwise.bias", "elementwise", 0, () -> {
            FloatBuffer dst = target.data().asNioFloat();
            int o = (int) out;
            int parts = rows * out < (1 << 15) ? 1 : 2;                // as HostMemory.parallel splits it
            IntStream.range(0, parts).parallel().forEach(part -> {
                for (int r = (int) (rows * part / parts); r < (int) (rows * (part + 1) / parts); r++) {
                    dst.put(r * o, bias, 0, o);
                }
            });
            return target;
        });
        INDArray a = HostMemory.contiguous(x);
        return time(name, "gemm", 2 * rows * in * out, () -> {
            Nd4j.gemm(a, w.weight(), target, false, true, 1.0, 1.0);
            return target;
        });
    }

    /** The lookup an operation does for its output, timed apart: taken and given back, so the operation gets it. */
    private void allocSite(long... shape) {
        INDArray a = time("alloc.site", "alloc", 0, () -> SiteMemory.SHARED.floats(shape));
        SiteMemory.SHARED.recycle(a);
    }

    private INDArray site(INDArray a) {
        sites.add(a);
        return a;
    }

    private interface Op {
        INDArray run();
    }

    private INDArray time(String name, String cat, long flop, Op op) {
        long t0 = System.nanoTime();
        INDArray r = op.run();
        long t1 = System.nanoTime();
        current.merge(name, t1 - t0, Long::sum);
        category.putIfAbsent(name, cat);
        if (flop > 0) {
            flops.merge(name, flop, Long::sum);                    // over every forward; divided at the end
        }
        return r;
    }

    private static double median(List<Long> v) {
        long[] a = v.stream().mapToLong(Long::longValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2.0;
    }

    private String json(String model, int batch, int warmup, int measured, Map<String, List<Long>> samples,
            List<Long> real, List<Long> profiled) {
        int forwards = warmup + measured;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "{\"model\": \"%s\", \"batch\": %d, \"warmup\": %d, \"measured\": %d,%n",
                model, batch, warmup, measured));
        s.append(String.format(Locale.ROOT, " \"env\": {\"OPENBLAS_CORETYPE\": \"%s\", \"OMP_NUM_THREADS\": \"%s\", "
                + "\"java\": \"%s\", \"cores\": %d},%n", System.getenv("OPENBLAS_CORETYPE"),
                System.getenv("OMP_NUM_THREADS"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors()));
        s.append(String.format(Locale.ROOT, " \"forward_ms\": {\"real_median\": %.2f, \"real_min\": %.2f, "
                + "\"profiled_median\": %.2f, \"profiled_min\": %.2f},%n", median(real) / 1e6,
                real.stream().mapToLong(Long::longValue).min().orElse(0) / 1e6, median(profiled) / 1e6,
                profiled.stream().mapToLong(Long::longValue).min().orElse(0) / 1e6));
        s.append(" \"ops\": [\n");
        String sep = "";
        for (Map.Entry<String, List<Long>> e : samples.entrySet()) {
            String name = e.getKey();
            long flop = flops.getOrDefault(name, 0L) / forwards;
            double med = median(e.getValue()) / 1e6;
            double min = e.getValue().stream().mapToLong(Long::longValue).min().orElse(0) / 1e6;
            s.append(sep).append(String.format(Locale.ROOT,
                    "  {\"op\": \"%s\", \"category\": \"%s\", \"ms_median\": %.3f, \"ms_min\": %.3f, \"gflop\": %.4f,"
                            + " \"gflops_at_median\": %.1f, \"gflops_at_min\": %.1f}",
                    name, category.get(name), med, min, flop / 1e9, flop == 0 ? 0 : flop / med / 1e6,
                    flop == 0 ? 0 : flop / min / 1e6));
            sep = ",\n";
        }
        s.append("\n ],\n \"samples_ms\": {");
        sep = "";
        for (Map.Entry<String, List<Long>> e : samples.entrySet()) {
            s.append(sep).append('"').append(e.getKey()).append("\": ").append(Arrays.toString(
                    e.getValue().stream().mapToDouble(x -> Math.round(x / 1e4) / 100.0).toArray()));
            sep = ", ";
        }
        s.append(", \"forward.real\": ").append(Arrays.toString(real.stream().mapToDouble(x -> Math.round(x / 1e4) / 100.0).toArray()));
        s.append(", \"forward.profiled\": ").append(Arrays.toString(profiled.stream().mapToDouble(x -> Math.round(x / 1e4) / 100.0).toArray()));
        s.append("}}");
        return s.toString();
    }
}
