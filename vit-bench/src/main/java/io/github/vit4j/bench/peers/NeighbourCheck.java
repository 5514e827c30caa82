package io.github.vit4j.bench.peers;

import io.github.vit4j.bench.BenchModels;
import io.github.vit4j.bench.ort.OrtPeer;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Does vit4j slow down other native code in its JVM? ONNX Runtime ({@link OrtPeer}, the file {@code vit export
 * --onnx} writes) timed by a plain loop in a JVM that holds, by {@code mode}: {@code alone} nothing of vit4j (its
 * classes on the class path, none loaded); {@code loaded} vit4j after one ViT-B/16 forward, idle while ONNX Runtime
 * runs; {@code between} one vit4j forward before each timed ONNX Runtime run (a server running both, one request at a
 * time). One JSON object per call; run each mode in its own JVM, alternating (docs/performance.md, runs FP).
 *
 * <pre>java -cp benchmarks.jar io.github.vit4j.bench.peers.NeighbourCheck MODE FILE.onnx BATCH [WARMUP [RUNS]]</pre>
 */
public final class NeighbourCheck {

    private NeighbourCheck() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path onnx = Path.of(args[1]);
        int batch = Integer.parseInt(args[2]);
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 15;
        Vit vit = null;
        INDArray pixels = null;
        if (!mode.equals("alone")) {
            if (!mode.equals("loaded") && !mode.equals("between")) {
                throw new IllegalArgumentException("mode " + mode + "; use alone, loaded or between");
            }
            vit = new Vit(BenchModels.weights("vitB16"));
            pixels = BenchModels.pixels(vit.config(), batch, 1);
            forward(vit, pixels);
        }
        double[] ms = new double[runs];
        Map<String, Long> old = threadTicks();
        Map<String, Long> used = new TreeMap<>();
        try (OrtPeer peer = new OrtPeer(onnx, batch, 2)) {
            for (int i = 0; i < warmup + runs; i++) {
                if (mode.equals("between")) {
                    forward(vit, pixels);
                }
                Map<String, Long> before = i >= warmup ? threadTicks() : Map.of();
                long t0 = System.nanoTime();
                peer.logits();
                if (i >= warmup) {
                    ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
                    Map<String, Long> after = threadTicks();
                    after.forEach((t, n) -> used.merge(old.containsKey(t) ? t : "onnxruntime's", n - before.getOrDefault(t, 0L), Long::sum));
                }
            }
        }
        StringBuilder busy = new StringBuilder();
        used.forEach((t, n) -> {
            if (n > 0) {
                busy.append(busy.length() == 0 ? "" : ",").append('"').append(t).append("\":").append(n * 10);
            }
        });
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"batch\":%d,\"median_ms\":%.3f,\"ms\":%s,"
                + "\"cpu_ms_in_timed_runs\":{%s},\"threads_before\":%d,\"cpus_allowed\":\"%s\"}%n",
                mode, batch, sorted[runs / 2], Arrays.toString(ms), busy, old.size(), cpusAllowed());
    }

    /** CPU ticks (user + system, 1/100 s) of each thread of this process, by "tid name". */
    static Map<String, Long> threadTicks() throws IOException {
        Map<String, Long> ticks = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(t.getFileName() + " " + name, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return ticks;
    }

    /** This thread's CPU affinity as the kernel lists it. */
    static String cpusAllowed() throws IOException {
        return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list")).findFirst().orElse("?").replaceAll("\\s+", " ");
    }

    private static void forward(Vit vit, INDArray pixels) {
        try (Activations a = vit.run(Input.normalized(pixels), Keep.all())) {
            a.logits();
        }
    }
}
