package io.github.vit4j.bench.ort;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
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
 * ONNX Runtime's forward of an ONNX file ({@code -p onnx=FILE}, e.g. a ViT-B/16 from {@code vit export --onnx}) at
 * {@code batch}, one op = one {@code session.run} to the logits ({@link OrtPeer}), in a JMH fork whose class path
 * is this jar: ONNX Runtime and JMH, nothing of vit4j or ND4J. {@link PlainTiming} times the same runs without JMH;
 * the two agree within a few per cent when the machine is quiet (docs/performance.md, runs FP).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class OrtBench {

    /** The ONNX file; required. */
    @Param({""})
    public String onnx;

    @Param({"1", "8"})
    public int batch;

    /** ONNX Runtime's intra-op threads (the machine's 2 cores). */
    @Param({"2"})
    public int threads;

    private OrtPeer peer;

    @Setup(Level.Trial)
    public void load() throws OrtException {
        if (onnx.isEmpty()) {
            throw new IllegalArgumentException("no ONNX file: run with -p onnx=FILE (e.g. the file "
                    + "`vit export --onnx MODEL FILE` writes)");
        }
        peer = new OrtPeer(Path.of(onnx), batch, threads);
    }

    @Benchmark
    public float[][] forward() throws OrtException {
        return peer.logits();
    }

    @TearDown(Level.Trial)
    public void close() throws OrtException {
        peer.close();
    }
}
