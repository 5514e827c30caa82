package io.github.vit4j.bench.peers;

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
 * ONNX Runtime on vit4j's ONNX export of the other families' image towers at 224 ({@link BenchModels#config}:
 * {@code clipB16}, {@code dinov2B14}, {@code dinov2RegB14}), 2 intra-op threads, keeping only the output: the peer
 * of {@code ForwardBench} with the same {@code model}, seeded weights and pixels. Run the two side by side:
 * {@code 'ForwardBench|FamilyOrtBench' -p model=clipB16,dinov2B14,dinov2RegB14}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class FamilyOrtBench {

    @Param({"clipB16", "dinov2B14", "dinov2RegB14"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    private OrtVit ort;
    private float[] pixels;
    private long[] shape;

    @Setup(Level.Trial)
    public void load() throws OrtException {
        VitConfig c = BenchModels.config(model);
        shape = new long[] {batch, c.channels(), c.imageSize(), c.imageSize()};
        pixels = BenchModels.pixelValues(c, batch, 1);
        ort = new OrtVit(BenchModels.weights(model), 2);
    }

    @Benchmark
    public float[] onnxRuntime() throws OrtException {
        return ort.logits(pixels, shape);
    }

    @TearDown(Level.Trial)
    public void close() throws OrtException {
        ort.close();
    }
}
