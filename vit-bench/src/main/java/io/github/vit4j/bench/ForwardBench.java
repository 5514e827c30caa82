package io.github.vit4j.bench;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.kernels.KernelSet;
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
 * One forward pass from pixels keeping every site ({@code Keep.all()}; {@code keep} says otherwise), random weights of the
 * named config.
 * {@code release=close}: after each forward (outside the timed region) the caller closes the returned activations,
 * so the next forward reuses their memory, as the peer frees each block's intermediates; {@code release=free}: the same with the
 * library's recycling turned off ({@code -Dvit4j.siteMemoryBytes=0}: closed memory goes back to malloc, as before
 * {@code SiteMemory}); {@code release=gc}: the arrays are left to the GC,
 * so each forward's ~160 MB per image of sites lands on freshly faulted pages.
 * GFLOP per op = batch × {@code VitConfig.macsPerImage()} × 2 (35.13 per ViT-B/16 image).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class ForwardBench {

    @Param({"vitB16", "deitTiny", "cifarVit"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"close"})
    public String release;

    /**
     * The kernel set ({@code KernelSet}): {@code onednn} (the default where oneDNN's natives load: packed weights, its
     * elementwise primitives), {@code openblas} (ND4J's SGEMM and the plain-Java elementwise kernels) or {@code plain}
     * (ND4J's operations only, the reference's).
     */
    @Param({"onednn"})
    public String products;

    /**
     * What the forward keeps: {@code all} (every site), {@code logits} (the logits alone: the cheap path, the last
     * block for its CLS row only and the MLP's activation inside fc1's product), or {@code mlpPre} (the logits and
     * mlp_pre of every block but the last, whose CLS-only shortcut stays: the cheap path with fc1 and its activation as
     * two steps, so {@code logits} / {@code mlpPre} measures what that fusion saves).
     */
    @Param({"all"})
    public String keep;

    private Vit vit;
    private Keep kept;
    private INDArray pixels;
    private Activations last;

    @Setup(Level.Trial)
    public void load() {
        KernelSet kernels = switch (products) {
            case "onednn" -> KernelSet.ONEDNN;
            case "openblas" -> KernelSet.OPENBLAS;
            case "plain" -> KernelSet.PLAIN;
            default -> throw new IllegalArgumentException("products=" + products + "; use onednn, openblas or plain");
        };
        if (release.equals("free")) {
            System.setProperty("vit4j.siteMemoryBytes", "0");    // read at each give-back
        } else {
            System.clearProperty("vit4j.siteMemoryBytes");
        }
        vit = new Vit(BenchModels.weights(model), kernels);
        VitConfig c = vit.config();
        kept = switch (keep) {
            case "all" -> Keep.all();
            case "logits" -> Keep.logitsOnly();
            case "mlpPre" -> Keep.logitsOnly().and(Keep.sites(java.util.stream.IntStream.range(0, c.layers() - 1)
                    .mapToObj(io.github.vit4j.model.Site::mlpPre).toArray(io.github.vit4j.model.Site[]::new)));
            default -> throw new IllegalArgumentException("keep=" + keep + "; use all, logits or mlpPre");
        };
        pixels = BenchModels.pixels(c, batch, 1);
    }

    @Benchmark
    public Activations forward() {
        last = vit.run(Input.normalized(pixels), kept, Map.of());
        return last;
    }

    @TearDown(Level.Invocation)
    public void releaseArrays() {
        if (last != null && !release.equals("gc")) {
            last.close();
        }
        last = null;
    }
}
