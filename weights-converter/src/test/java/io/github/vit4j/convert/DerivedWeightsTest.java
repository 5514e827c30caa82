package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.convert.DerivedWeights.Recipe;
import io.github.vit4j.convert.DerivedWeights.RowScaled;
import io.github.vit4j.convert.DerivedWeights.Rows;
import io.github.vit4j.convert.DerivedWeights.Transposed;
import io.github.vit4j.convert.DerivedWeights.ZeroRowsFirst;
import io.github.vit4j.convert.DerivedWeights.Zeros;
import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Each recipe on numbers small enough to check with a pencil. */
class DerivedWeightsTest {

    @TempDir
    Path dir;

    WeightsFile file(Map<String, INDArray> tensors, Map<String, Recipe> recipes) throws IOException {
        return DerivedWeights.of(Safetensors.open(SafetensorsFiles.write(dir.resolve("w.safetensors"), tensors)),
                recipes);
    }

    @Test
    void layerScaleMultipliesEachRowOfTheWeightAndTheBiasByItsFactor() throws IOException {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("l.0.dense.weight", Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}}));
        t.put("l.0.dense.bias", Nd4j.createFromArray(0.5f, -1f));
        t.put("l.0.gamma", Nd4j.createFromArray(10f, 100f));
        try (WeightsFile f = file(t, Map.of(
                "blocks.{i}.proj.weight", new RowScaled("l.{i}.dense.weight", "l.{i}.gamma"),
                "blocks.{i}.proj.bias", new RowScaled("l.{i}.dense.bias", "l.{i}.gamma")))) {
            // diag(10, 100) · [[1, 2], [3, 4]] = [[10, 20], [300, 400]];  (10, 100) ⊙ (0.5, −1) = (5, −100)
            assertArrayEquals(new float[] {10, 20, 300, 400}, f.load("blocks.0.proj.weight").data().asFloat());
            assertArrayEquals(new float[] {5, -100}, f.load("blocks.0.proj.bias").data().asFloat());
            assertEquals(Set.of("blocks.0.proj.weight", "blocks.0.proj.bias"), f.names(), "the sources are used up");
        }
    }

    @Test
    void aFusedQkvSplitsIntoItsFirstThirdAndTheTwoThirdsAfter() throws IOException {
        INDArray inProj = Nd4j.createFromArray(new float[][] {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}});
        try (WeightsFile f = file(Map.of("in_proj_weight", inProj), Map.of(
                "q", new Rows("in_proj_weight", 0, 1, 3), "kv", new Rows("in_proj_weight", 1, 3, 3)))) {
            assertArrayEquals(new long[] {2, 2}, f.shape("q"));
            assertArrayEquals(new float[] {1, 1, 2, 2}, f.load("q").data().asFloat());
            assertArrayEquals(new long[] {4, 2}, f.shape("kv"));
            assertArrayEquals(new float[] {3, 3, 4, 4, 5, 5, 6, 6}, f.load("kv").data().asFloat());
        }
    }

    @Test
    void aProjectionIsTransposedAMissingBiasIsZeroAndPositionsGetZeroRowsOnTop() throws IOException {
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("visual.proj", Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}));       // [D 2, P 3]
        t.put("conv.weight", Nd4j.ones(3, 1, 2, 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
        t.put("pos_embed", Nd4j.createFromArray(new float[][][] {{{7, 8}, {9, 10}}}));       // [1, 2, 2]
        try (WeightsFile f = file(t, Map.of("proj.weight", new Transposed("visual.proj"),
                "conv.bias", new Zeros("conv.weight"), "pos_embed", new ZeroRowsFirst("pos_embed", 1)))) {
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, f.load("proj.weight").data().asFloat());
            assertArrayEquals(new float[] {0, 0, 0}, f.load("conv.bias").data().asFloat());
            assertArrayEquals(new long[] {3, 2}, f.shape("pos_embed"));
            assertArrayEquals(new float[] {0, 0, 7, 8, 9, 10}, f.load("pos_embed").data().asFloat());
            assertTrue(f.names().contains("conv.weight"), "a zero bias leaves its weight to be read");
        }
    }

    @Test
    void aScaleOfTheWrongLengthIsRefusedNamingBothTensors() throws IOException {
        Map<String, INDArray> t = Map.of("w", Nd4j.ones(3, 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT),
                "gamma", Nd4j.createFromArray(1f, 2f));
        try (WeightsFile f = file(t, Map.of("scaled", new RowScaled("w", "gamma")))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.shape("scaled"));
            assertTrue(e.getMessage().contains("cannot make scaled from gamma [2]: expected one factor per row of w"
                    + " [3, 2]"), e.getMessage());
        }
    }
}
