package io.github.vit4j.bench;

import io.github.vit4j.circuit.Edge;
import io.github.vit4j.circuit.EdgeAttribution;
import io.github.vit4j.circuit.EdgeMethod;
import io.github.vit4j.circuit.EdgeScores;
import io.github.vit4j.circuit.ExactEdges;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.Metric;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * Issue 22's speed goals, one image (batch 1), random weights of the named config (seeded as in
 * {@link ForwardBench}), a normal-noise image and its corruption (plus 0.5 × noise).
 *
 * <p>{@code forwardBackward}: the corrupted run keeping what a backward needs, then the backward of the logit
 * (what EAP needs, the unit of the first goal). {@code eap}: the same corrupted run, then every edge's EAP score
 * (the backward, the readers' gradients and the edge products; the clean run is the trace's and not counted):
 * goal ≤ 3 × forwardBackward. {@code forwards100}: 100 forwards of one image, the logits alone (the cost of 100
 * patched runs done one at a time from the pixels). {@code exact100}: the exact scores of the 100 edges of largest
 * EAP score, batched and resumed at each edge's downstream block: goal ≤ forwards100.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
public class CircuitBench {

    @Param({"vitB16", "cifarVit"})
    public String model;

    Vit vit;
    INDArray clean;
    INDArray corrupt;
    Activations cleanRun;
    Activations corruptedRun;
    List<Edge> top100;
    final int[] target = {0};

    @Setup(Level.Trial)
    public void load() {
        vit = new Vit(BenchModels.weights(model));
        VitConfig c = vit.config();
        clean = noise(c, 1);
        corrupt = clean.add(noise(c, 2).muli(0.5));
        cleanRun = vit.run(Input.normalized(clean), EdgeAttribution.keepForClean());
        corruptedRun = vit.run(Input.normalized(corrupt), EdgeAttribution.keepForCorrupted());
        EdgeScores scores = new EdgeAttribution(vit).score(cleanRun, corruptedRun, target, Metric.LOGIT,
                EdgeMethod.eap());
        top100 = scores.top(100);
    }

    @TearDown(Level.Trial)
    public void close() {
        cleanRun.close();
        corruptedRun.close();
    }

    private static INDArray noise(VitConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[c.channels() * c.imageSize() * c.imageSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return Nd4j.create(v, new long[] {1, c.channels(), c.imageSize(), c.imageSize()}, 'c');
    }

    @Benchmark
    public double forwardBackward() {
        try (Activations run = vit.run(Input.normalized(corrupt), Vit.keepForBackward());
             Gradients g = vit.backward(run, Objective.logit(target))) {
            return g.value();
        }
    }

    @Benchmark
    public double[] eap() {
        try (Activations run = vit.run(Input.normalized(corrupt), EdgeAttribution.keepForCorrupted())) {
            return new EdgeAttribution(vit).score(cleanRun, run, target, Metric.LOGIT, EdgeMethod.eap()).scores();
        }
    }

    @Benchmark
    public double forwards100() {
        double s = 0;
        for (int i = 0; i < 100; i++) {
            s += vit.logits(Input.normalized(corrupt)).getDouble(0, 0);
        }
        return s;
    }

    @Benchmark
    public double[] exact100() {
        return new ExactEdges(vit).scores(cleanRun, corruptedRun, target, Metric.LOGIT, top100);
    }
}
