package io.github.vit4j.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The flat name → tensor maps that {@link VitWeights} and {@link TextWeights} are read from and written to: a
 * block's names and shapes, seeded random tensors, and the checks of one tensor (present, float32, its shape,
 * finite).
 */
final class WeightTensors {

    private WeightTensors() {
    }

    /** {@link VitWeights#random}'s tensors for any shapes by name (the text tower's too). */
    static Map<String, INDArray> randomTensors(Map<String, long[]> shapes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            boolean isNorm = name.startsWith("norm") || name.contains(".norm") || name.contains("norm_pre");
            boolean isBias = name.endsWith(".bias");
            double scale = isNorm ? 0.1 : isBias ? 0.01 : 0.02;
            double offset = isNorm && name.endsWith(".weight") ? 1.0 : 0.0;
            float[] values = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (offset + scale * rng.nextGaussian());
            }
            tensors.put(name, Nd4j.create(values, shape, 'c'));
        }
        return tensors;
    }

    /** The shapes of one block's tensors, named {@code prefix + "norm1.weight"} …, into {@code s}. */
    static void blockShapes(Map<String, long[]> s, String prefix, long d, long m) {
        s.put(prefix + "norm1.weight", new long[] {d});
        s.put(prefix + "norm1.bias", new long[] {d});
        s.put(prefix + "attn.qkv.weight", new long[] {3 * d, d});
        s.put(prefix + "attn.qkv.bias", new long[] {3 * d});
        s.put(prefix + "attn.proj.weight", new long[] {d, d});
        s.put(prefix + "attn.proj.bias", new long[] {d});
        s.put(prefix + "norm2.weight", new long[] {d});
        s.put(prefix + "norm2.bias", new long[] {d});
        s.put(prefix + "mlp.fc1.weight", new long[] {m, d});
        s.put(prefix + "mlp.fc1.bias", new long[] {m});
        s.put(prefix + "mlp.fc2.weight", new long[] {d, m});
        s.put(prefix + "mlp.fc2.bias", new long[] {d});
    }

    /** The block whose tensors {@code t} holds under {@code prefix} ({@link #blockShapes}' names). */
    static VitWeights.Block block(Map<String, INDArray> t, String prefix) {
        return new VitWeights.Block(layerNorm(t, prefix + "norm1"), linear(t, prefix + "attn.qkv"),
                linear(t, prefix + "attn.proj"), layerNorm(t, prefix + "norm2"), linear(t, prefix + "mlp.fc1"),
                linear(t, prefix + "mlp.fc2"));
    }

    /** Block {@code b}'s tensors into {@code t} under {@code prefix} ({@link #blockShapes}' names). */
    static void putBlock(Map<String, INDArray> t, String prefix, VitWeights.Block b) {
        put(t, prefix + "norm1", b.norm1());
        put(t, prefix + "attn.qkv", b.qkv());
        put(t, prefix + "attn.proj", b.proj());
        put(t, prefix + "norm2", b.norm2());
        put(t, prefix + "mlp.fc1", b.fc1());
        put(t, prefix + "mlp.fc2", b.fc2());
    }

    static VitWeights.Linear linear(Map<String, INDArray> t, String prefix) {
        return new VitWeights.Linear(t.get(prefix + ".weight"), t.get(prefix + ".bias"));
    }

    static VitWeights.LayerNorm layerNorm(Map<String, INDArray> t, String prefix) {
        return new VitWeights.LayerNorm(t.get(prefix + ".weight"), t.get(prefix + ".bias"));
    }

    static void put(Map<String, INDArray> t, String prefix, VitWeights.Linear l) {
        t.put(prefix + ".weight", l == null ? null : l.weight());
        t.put(prefix + ".bias", l == null ? null : l.bias());
    }

    static void put(Map<String, INDArray> t, String prefix, VitWeights.LayerNorm n) {
        t.put(prefix + ".weight", n == null ? null : n.weight());
        t.put(prefix + ".bias", n == null ? null : n.bias());
    }

    /**
     * Refuses a tensor that is missing, not float32 or not of shape {@code expected}, naming it, {@code model} (what
     * it is a tensor of: "a 12-layer ViT of width 768") and, for a wrong shape, {@code hint}'s text.
     */
    static void checkTensor(String name, long[] expected, INDArray actual, String model, Supplier<String> hint) {
        if (actual == null) {
            throw new IllegalArgumentException("missing tensor " + name + " " + Arrays.toString(expected)
                    + " for " + model);
        }
        if (actual.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("tensor " + name + " is " + actual.dataType()
                    + "; the forward pass needs FLOAT (convert with castTo(DataType.FLOAT))");
        }
        if (!Arrays.equals(expected, actual.shape())) {
            throw new IllegalArgumentException("expected " + name + " " + Arrays.toString(expected) + " but got "
                    + Arrays.toString(actual.shape()) + hint.get());
        }
    }

    /**
     * Refuses a tensor holding a NaN or an infinity (every logit would be NaN), naming it and the first such
     * element. One counting pass over the tensor; the search for the element runs only when there is one.
     */
    static void checkFinite(String name, INDArray tensor) {
        if (!BooleanIndexing.or(tensor, Conditions.notFinite())) {
            return;
        }
        long[] shape = tensor.shape();
        INDArray flat = tensor.reshape('c', new long[] {tensor.length()});
        for (long i = 0; i < flat.length(); i++) {
            double v = flat.getDouble(i);
            if (!Double.isFinite(v)) {
                long[] at = new long[shape.length];
                long rest = i;
                for (int d = shape.length - 1; d >= 0; d--) {
                    at[d] = rest % shape[d];
                    rest /= shape[d];
                }
                throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(shape) + " holds " + v
                        + " at " + Arrays.toString(at) + "; weights must be finite (was the checkpoint saved after "
                        + "training diverged, or converted from a damaged file?)");
            }
        }
    }
}
