package io.github.vit4j.bench;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.TextConfig;
import io.github.vit4j.model.TextTower;
import io.github.vit4j.model.TextWeights;
import java.util.SplittableRandom;
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
 * CLIP ViT-B/16's text tower (openai/clip-vit-base-patch16: width 512, 12 layers, 8 heads, MLP 2048, 77 positions,
 * quick GELU, projection 512; seeded random weights) embedding {@code prompts} prompts of 12 tokens each (padded to
 * 77, as clip.tokenize gives them): {@code TextTower.textEmbeds}, what zero-shot classes cost once per class list.
 * Prompts per second = prompts / (ms per op / 1000).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 6, time = 4)
public class TextTowerBench {

    @Param({"1", "16"})
    public int prompts;

    private TextTower tower;
    private long[][] ids;

    @Setup(Level.Trial)
    public void load() {
        TextConfig c = new TextConfig(49408, 77, 512, 12, 8, 2048, 1e-5, Architecture.Activation.QUICK_GELU, 512,
                49407);
        tower = new TextTower(TextWeights.random(c, BenchModels.WEIGHT_SEED));
        SplittableRandom rng = new SplittableRandom(1);
        ids = new long[prompts][77];
        for (long[] row : ids) {
            row[0] = 49406;
            for (int i = 1; i < 11; i++) {
                row[i] = rng.nextInt(49406);
            }
            row[11] = 49407;
        }
    }

    @Benchmark
    public INDArray textEmbeds() {
        return tower.textEmbeds(ids);
    }
}
