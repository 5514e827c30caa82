package io.github.vit4j.bench.ort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PlainTimingTest {

    @Test
    void theMedianOfAnOddCountIsTheMiddleValueAndOfAnEvenCountTheMeanOfTheTwoMiddleOnes() {
        assertEquals(3.0, PlainTiming.median(new double[] {5, 1, 3}));
        assertEquals(2.5, PlainTiming.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void theResultIsOneJsonObjectWithEachRunAndItsMedianAndMean() {
        String json = PlainTiming.json(8, 2, new double[] {100, 110, 90});
        assertEquals("{\"batch\":8,\"threads\":2,\"median_ms\":100.000,\"mean_ms\":100.000,"
                + "\"ms\":[100.000,110.000,90.000]}", json);
    }

    @Test
    void thePixelsAreTheSeededGaussiansVitBenchDraws() {
        // BenchModels.pixelValues(config, batch, 1): SplittableRandom(1).nextGaussian() in order, as floats
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        float[] expected = {(float) rng.nextGaussian(), (float) rng.nextGaussian(), (float) rng.nextGaussian(),
            (float) rng.nextGaussian()};
        assertArrayEquals(expected, OrtPeer.pixels(new long[] {1, 1, 2, 2}, 1));
    }

    @Test
    void aBenchmarkWithoutAnOnnxFileSaysHowToGiveIt() {
        OrtBench bench = new OrtBench();
        bench.onnx = "";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bench::load);
        assertTrue(e.getMessage().contains("-p onnx=FILE"), e.getMessage());
    }
}
