package io.github.vit4j.bench.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtException;
import io.github.vit4j.bench.BenchModels;
import io.github.vit4j.model.VitConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peers of {@code ForwardBench} (model vitB16): the same ViT-B/16 forward, seeded weights and pixels, in
 * {@code forward}: DJL NDArray ops on PyTorch's CPU kernels ({@link DjlVit}), 2 intra-op threads; in
 * {@code onnxRuntime}: ONNX Runtime on vit4j's ONNX export ({@link OrtVit}), 2 intra-op threads. Both keep only the
 * logits; {@code PeerLogitsTest} holds them equal to vit4j's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dai.djl.offline=true",
        "-Dai.djl.pytorch.num_threads=2", "-Dai.djl.pytorch.num_interop_threads=1"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class PeerBench {

    @Param({"1", "8"})
    public int batch;

    private DjlVit peer;
    private NDManager inputs;
    private NDArray pixels;
    private OrtVit ort;
    private float[] ortPixels;
    private long[] shape;

    @Setup(Level.Trial)
    public void load() throws OrtException {
        peer = new DjlVit(BenchModels.weights("vitB16"));
        VitConfig c = VitConfig.vitB16();
        inputs = peer.newManager();
        shape = new long[] {batch, c.channels(), c.imageSize(), c.imageSize()};
        ortPixels = BenchModels.pixelValues(c, batch, 1);
        pixels = inputs.create(ortPixels, new Shape(shape));
        ort = new OrtVit(BenchModels.weights("vitB16"), 2);
    }

    @Benchmark
    public float[] forward() {
        NDArray logits = peer.logits(pixels);
        float[] out = logits.toFloatArray();
        logits.close();
        return out;
    }

    @Benchmark
    public float[] onnxRuntime() throws OrtException {
        return ort.logits(ortPixels, shape);
    }

    @TearDown(Level.Trial)
    public void close() throws OrtException {
        inputs.close();
        peer.close();
        ort.close();
    }
}
