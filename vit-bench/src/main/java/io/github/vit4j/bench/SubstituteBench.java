package io.github.vit4j.bench;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a whole-site substitution costs at the point where the site is produced: {@code swap} is what the forward
 * does ({@code Substitution.whole(array).apply}: a shape check, the array used as is); {@code copy} is the
 * alternative of copying the clean array into place. Both on one image's {@code attn_out} {@code [B, T, D]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class SubstituteBench {

    @Param({"vitB16"})
    public String model;

    @Param({"1"})
    public int batch;

    private final Site site = Site.attnOut(0);
    private INDArray clean;
    private INDArray produced;
    private Substitution whole;

    @Setup(Level.Trial)
    public void run() {
        Vit vit = new Vit(BenchModels.weights(model));
        Activations a = vit.run(Input.normalized(BenchModels.pixels(vit.config(), batch, 1)), Keep.sites(site));
        Activations b = vit.run(Input.normalized(BenchModels.pixels(vit.config(), batch, 2)), Keep.sites(site));
        clean = a.get(site);
        produced = b.get(site);
        whole = Substitution.whole(clean);
    }

    @Benchmark
    public INDArray swap() {
        return whole.apply(site, produced);
    }

    @Benchmark
    public INDArray copy() {
        return produced.assign(clean);
    }
}
