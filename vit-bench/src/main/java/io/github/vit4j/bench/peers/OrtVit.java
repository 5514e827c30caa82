package io.github.vit4j.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.onnx.OnnxExport;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * A vit4j model in ONNX Runtime (CPU execution provider): vit4j's own ONNX export of the weights, every graph
 * optimisation on (ONNX Runtime prepacks the weights and fuses LayerNorm, GELU and attention), {@code threads}
 * intra-op threads, one inter-op thread, sequential execution. It keeps only the logits.
 */
final class OrtVit implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtVit(VitWeights weights, int threads) throws OrtException {
        byte[] model = OnnxExport.toBytes(new Pretrained(weights, Preprocessing.imagenet(weights.config().imageSize())));
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            session = env.createSession(model, options);
        }
    }

    /** Logits {@code [B·classes]} (row-major) of normalised pixels {@code shape = [B, C, H, W]}. */
    float[] logits(float[] pixels, long[] shape) throws OrtException {
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
             OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            float[][] rows = (float[][]) result.get(0).getValue();
            float[] out = new float[rows.length * rows[0].length];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, out, i * rows[i].length, rows[i].length);
            }
            return out;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
