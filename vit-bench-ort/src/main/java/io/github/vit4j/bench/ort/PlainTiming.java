package io.github.vit4j.bench.ort;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * ONNX Runtime timed the way its users time it, without JMH: {@code warmup} runs, then {@code runs} runs each timed
 * with {@link System#nanoTime()}, in a JVM of its own. Prints one JSON object: the batch, the threads, each run's
 * milliseconds and their median and mean. The check on {@link OrtBench}: on a quiet machine its figure is within
 * a few per cent of this one.
 *
 * <pre>java -cp ort-benchmarks.jar io.github.vit4j.bench.ort.PlainTiming FILE.onnx BATCH [THREADS [WARMUP [RUNS]]]</pre>
 */
public final class PlainTiming {

    private PlainTiming() {
    }

    public static void main(String[] args) throws OrtException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: PlainTiming FILE.onnx BATCH [THREADS=2 [WARMUP=10 [RUNS=30]]]");
        }
        Path onnx = Path.of(args[0]);
        int batch = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        double[] ms = new double[runs];
        try (OrtPeer peer = new OrtPeer(onnx, batch, threads)) {
            for (int i = 0; i < warmup; i++) {
                peer.logits();
            }
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                peer.logits();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        System.out.println(json(batch, threads, ms));
    }

    /** The result object: {@code {"batch":…,"threads":…,"median_ms":…,"mean_ms":…,"ms":[…]}}. */
    static String json(int batch, int threads, double[] ms) {
        StringBuilder runs = new StringBuilder();
        for (double m : ms) {
            runs.append(runs.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", m));
        }
        return String.format(Locale.ROOT, "{\"batch\":%d,\"threads\":%d,\"median_ms\":%.3f,\"mean_ms\":%.3f,\"ms\":[%s]}",
                batch, threads, median(ms), Arrays.stream(ms).average().orElse(Double.NaN), runs);
    }

    /** The median: the middle value, or the mean of the two middle ones. */
    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
