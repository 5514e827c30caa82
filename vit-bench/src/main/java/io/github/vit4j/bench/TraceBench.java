package io.github.vit4j.bench;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.trace.AttributionPatching;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.Window;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole causal trace of one image (resid, attn and mlp restored at every token over a window of {@code window}
 * layers around each layer, 3 by default as in {@code CausalTrace.Spec.defaults()}; metric prob): {@code engine} is vit-patching's {@link CausalTrace} (patched runs resume from
 * the corrupted run's cached resid_pre, skip the modules they restore whole, and run batched by start layer and
 * skipped modules); {@code naive} runs each of the
 * 3·L patched configurations as its own full forward from the corrupted pixels, overwriting module outputs after
 * computing them as hook-based tools do. {@code atp} and {@code atp-ig4} estimate every cell instead
 * ({@link AttributionPatching}: one backward at the corrupted run for window 1, and for a wider window a w-block
 * backward per kind and window besides; four times that on the input path for atp-ig4; with the per-token and
 * per-head maps); their clean and corrupted runs keep what the estimate needs and, like the engine's, are made
 * once per trial.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 4, time = 4)
public class TraceBench {

    @Param({"cifarVit", "deitTiny"})
    public String model;

    @Param({"engine", "naive", "atp", "atp-ig4"})
    public String mode;

    /** ROME's window width: 3 (the study's), or 1 (each cell one site; attribution patching's one backward). */
    @Param({"3"})
    public int window;

    private Vit vit;
    private CausalTrace trace;
    private AttributionPatching atp;
    private CausalTrace.Spec spec;
    private INDArray corruptedPixels;
    private Activations clean;
    private Activations corrupted;
    private int target;

    @Setup(Level.Trial)
    public void runs() {
        vit = new Vit(BenchModels.weights(model));
        CausalTrace.Spec defaults = CausalTrace.Spec.defaults();
        spec = new CausalTrace.Spec(defaults.kinds(), window, defaults.tokens(), defaults.metric());
        trace = new CausalTrace(new Patcher(vit));
        INDArray cleanPixels = BenchModels.pixels(vit.config(), 1, 1);
        corruptedPixels = cleanPixels.add(BenchModels.pixels(vit.config(), 1, 2).muli(0.5));
        atp = new AttributionPatching(vit);
        clean = vit.run(Input.normalized(cleanPixels), AttributionPatching.keepForClean(spec));
        corrupted = vit.run(Input.normalized(corruptedPixels),
                AttributionPatching.keepForCorrupted(spec).and(Patcher.keepForResume(vit.config())));
        target = clean.logits().argMax(1).getInt(0);
    }

    @Benchmark
    public Object trace() {
        return switch (mode) {
            case "engine" -> trace.trace(clean, corrupted, target, spec);
            case "naive" -> naive();
            case "atp" -> atp.estimate(clean, corrupted, new int[] {target}, spec, TraceMethod.atp());
            case "atp-ig4" -> atp.estimate(clean, corrupted, new int[] {target}, spec, TraceMethod.atpIg(4));
            default -> throw new IllegalArgumentException("unknown mode " + mode
                    + "; use engine, naive, atp or atp-ig4");
        };
    }

    /**
     * Every configuration as a full forward from pixels that computes each module and then overwrites its output with
     * the clean run's, as a hook does (a mask of ones: {@code produced + 1 · (clean − produced)}). A whole-site
     * substitution would let the run skip the replaced module, which no hook-based tool does.
     */
    private float[][] naive() {
        int layers = vit.config().layers();
        INDArray everywhere = Nd4j.ones(DataType.FLOAT, 1, 1, 1);
        float[][] logits = new float[spec.kinds().size() * layers][];
        int row = 0;
        for (SweepKind kind : spec.kinds()) {
            for (int l = 0; l < layers; l++) {
                Window w = Window.around(l, spec.window(), layers);
                Map<Site, Substitution> subs = new HashMap<>();
                for (int i = w.first(); i <= w.last(); i++) {
                    Site s = Site.of(i, kind.site());
                    subs.put(s, Substitution.masked(clean.get(s), everywhere));
                }
                try (Activations run = vit.run(Input.normalized(corruptedPixels), Keep.logitsOnly(), subs)) {
                    logits[row++] = run.logits().toFloatVector();
                }
            }
        }
        return logits;
    }
}
