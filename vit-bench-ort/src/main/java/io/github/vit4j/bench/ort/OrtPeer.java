package io.github.vit4j.bench.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One ONNX file in ONNX Runtime's CPU provider as an ONNX Runtime user sets it up for throughput: every graph
 * optimisation ({@code ALL_OPT}: weights prepacked, LayerNorm, GELU and attention fused), {@code threads} intra-op
 * threads with ONNX Runtime's default spinning, one inter-op thread, sequential execution; the input a direct
 * buffer made once (no copy per run), the output read into Java arrays as an application would. The pixels are
 * seeded N(0, 1) values, as vit-bench's {@code BenchModels.pixelValues(config, batch, 1)} draws them (the time does
 * not depend on them).
 */
public final class OrtPeer implements AutoCloseable {

    /** Seed of the pixels, the same as vit4j's ForwardBench uses. */
    static final long PIXEL_SEED = 1;

    private final OrtSession session;
    private final OnnxTensor input;
    private final Map<String, OnnxTensor> inputs;

    public OrtPeer(Path onnx, int batch, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            session = env.createSession(onnx.toString(), options);
        }
        String name = session.getInputNames().iterator().next();
        long[] shape = session.getInputInfo().get(name).getInfo() instanceof ai.onnxruntime.TensorInfo t
                ? t.getShape().clone() : new long[0];
        if (shape.length != 4) {
            throw new IllegalArgumentException(onnx + ": expected one input [batch, C, H, W], got "
                    + java.util.Arrays.toString(shape) + "; pass the file `vit export --onnx` writes");
        }
        shape[0] = batch;
        float[] pixels = pixels(shape, PIXEL_SEED);
        FloatBuffer direct = ByteBuffer.allocateDirect(pixels.length * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer().put(pixels);
        direct.rewind();
        input = OnnxTensor.createTensor(env, direct, shape);
        inputs = Map.of(name, input);
    }

    /** One run: the logits {@code [batch, classes]}. */
    public float[][] logits() throws OrtException {
        try (OrtSession.Result result = session.run(inputs)) {
            return (float[][]) result.get(0).getValue();
        }
    }

    /** {@code shape}'s element count of N(0, 1) floats drawn in order from {@code seed}. */
    static float[] pixels(long[] shape, long seed) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }

    @Override
    public void close() throws OrtException {
        input.close();
        session.close();
    }
}
