package io.github.vit4j.bench;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
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
 * The cost of one restoration of a causal trace: patch {@code attn_out} of layer {@code l} with the clean run's array
 * and run to the logits, resuming from the corrupted run's cached {@code resid_pre} of layer l (the attention of
 * layer l is not computed: its output is replaced whole). Expected a little below (L − l)/L of {@link #fullForward},
 * the baseline measured in the same run (same batch, same {@code Keep.logitsOnly()}).
 * {@code layer} values must be below the model's L (use {@code -p layer=0,1,2,3} for cifarVit).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 5, time = 4)
public class RestoreCostBench {

    /** The model, its clean and corrupted runs (shared by every layer). */
    @State(Scope.Benchmark)
    public static class Runs {
        @Param({"vitB16"})
        public String model;

        @Param({"1"})
        public int batch;

        Vit vit;
        INDArray corruptedPixels;
        Activations clean;
        Activations corrupted;

        @Setup(Level.Trial)
        public void run() {
            vit = new Vit(BenchModels.weights(model));
            INDArray cleanPixels = BenchModels.pixels(vit.config(), batch, 1);
            corruptedPixels = BenchModels.pixels(vit.config(), batch, 2);
            clean = vit.run(Input.normalized(cleanPixels), Keep.kinds(Site.Kind.ATTN_OUT));
            corrupted = vit.run(Input.normalized(corruptedPixels), Keep.kinds(Site.Kind.RESID_PRE));
        }
    }

    /** The layer whose attn_out is restored. */
    @State(Scope.Thread)
    public static class Layer {
        @Param({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"})
        public int layer;

        INDArray residPre;
        Map<Site, Substitution> patch;
        Activations last;

        @Setup(Level.Trial)
        public void select(Runs r) {
            residPre = r.corrupted.get(Site.residPre(layer));
            patch = Map.of(Site.attnOut(layer), Substitution.whole(r.clean.get(Site.attnOut(layer))));
        }

        @TearDown(Level.Invocation)
        public void release() {
            if (last != null) {
                last.close();
            }
            last = null;
        }
    }

    @Benchmark
    public Activations restore(Runs r, Layer l) {
        l.last = r.vit.run(Input.residPre(l.layer, l.residPre), Keep.logitsOnly(), l.patch);
        return l.last;
    }

    @Benchmark
    public Activations fullForward(Runs r) {
        return r.vit.run(Input.normalized(r.corruptedPixels), Keep.logitsOnly(), Map.of());
    }
}
