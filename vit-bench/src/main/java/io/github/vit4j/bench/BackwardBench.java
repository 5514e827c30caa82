package io.github.vit4j.bench;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * The backward pass against the forward it differentiates, random weights of the named config (seeded as in
 * {@link ForwardBench}). {@code forward}: one forward from pixels keeping what the backward needs
 * ({@code Vit.keepForBackward()} and the logits). {@code backward}: one backward from the logits
 * ({@code Objective.logit(0)}) keeping every site's gradient and the input's, measured alone: its forward runs in a
 * per-invocation setup, outside the timed region. After each op (also outside it) the activations and gradients
 * are closed, so the next op reuses their memory. Read backward / forward within one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class BackwardBench {

    /** What the backward of a logit objective needs from its forward. */
    static final Keep FORWARD_KEEP = Vit.keepForBackward().and(Keep.sites(Site.logits()));

    @Param({"vitB16"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    Vit vit;
    INDArray pixels;
    private Activations forwardOut;

    @Setup(Level.Trial)
    public void load() {
        vit = new Vit(BenchModels.weights(model));
        pixels = BenchModels.pixels(vit.config(), batch, 1);
    }

    @Benchmark
    public Activations forward() {
        forwardOut = vit.run(Input.normalized(pixels), FORWARD_KEEP, Map.of());
        return forwardOut;
    }

    @Benchmark
    public Gradients backward(Forwarded run) {
        run.gradients = vit.backward(run.forward, Objective.logit(0), Keep.all());
        return run.gradients;
    }

    @TearDown(Level.Invocation)
    public void closeForward() {
        if (forwardOut != null) {
            forwardOut.close();
            forwardOut = null;
        }
    }

    /** The forward a {@code backward} op differentiates, run before each op, and what the op returned. */
    @State(Scope.Thread)
    public static class Forwarded {
        Activations forward;
        Gradients gradients;

        @Setup(Level.Invocation)
        public void runForward(BackwardBench bench) {
            forward = bench.vit.run(Input.normalized(bench.pixels), FORWARD_KEEP, Map.of());
        }

        @TearDown(Level.Invocation)
        public void close() {
            if (gradients != null) {
                gradients.close();
                gradients = null;
            }
            forward.close();
            forward = null;
        }
    }
}
