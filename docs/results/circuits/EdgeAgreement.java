import io.github.vit4j.circuit.CircuitGraph;
import io.github.vit4j.circuit.Edge;
import io.github.vit4j.circuit.EdgeAttribution;
import io.github.vit4j.circuit.EdgeMethod;
import io.github.vit4j.circuit.ExactEdges;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.explain.SanityCheck;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.ImageRuns;
import io.github.vit4j.trace.Metric;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The study of issue 22 (docs/results.md, "Circuits"): per image, every edge's EAP, EAP-IG:K and exact score under a
 * corruption; then, on the N edges of largest mean |exact| score, Spearman's rank correlation of each estimate's
 * mean with the exact mean, with a 95% percentile bootstrap CI over images (2000 resamples, seed 1).
 *
 * <p>Run from the repository root after {@code ./mvnw -q -pl vit-cli -am package -DskipTests}:
 * <pre>
 * source ./nd4j-env.sh
 * java -Xmx1g -cp vit-cli/target/vit.jar docs/results/circuits/EdgeAgreement.java \
 *     ../shared/models/simplevit-cifar10/hf cifar10:../shared/data/cifar10/test_batch_first1017.bin \
 *     128 grayscale logprob 4 200 docs/results/circuits/cifar10
 * </pre>
 * Arguments: model, images, image count, corruption, metric, EAP-IG steps K, top N, output folder. Writes
 * {@code per_image_top.csv} (image,edge,eap,eap_ig,exact for the top N edges; edge as in edges_mean.csv; 0.8 MB for
 * the study, so not kept in the repository: this program writes it again),
 * {@code edges_mean.csv} (every edge's three means), {@code agreement.csv} (estimate,edges,spearman,ci_low,ci_high)
 * and {@code nodes.csv} (each upstream node's summed outgoing scores).
 */
public class EdgeAgreement {

    public static void main(String[] args) throws Exception {
        Pretrained pretrained = ModelLoader.load(Path.of(args[0]));
        ImageSource source = ImageSource.parse(args[1]);
        int n = Math.min(Integer.parseInt(args[2]), source.size());
        Corruption corruption = Corruption.parse(args[3]);
        Metric metric = Metric.parse(args[4]);
        EdgeMethod ig = EdgeMethod.eapIg(Integer.parseInt(args[5]));
        int top = Integer.parseInt(args[6]);
        Path out = Path.of(args[7]);
        Files.createDirectories(out);
        Vit vit = new Vit(pretrained.weights());
        CircuitGraph graph = CircuitGraph.of(vit.config());
        int edges = graph.size();
        List<Edge> all = graph.edges();
        double[][] eap = new double[n][];
        double[][] eapIg = new double[n][];
        double[][] exact = new double[n][edges];
        ImageRuns runs = new ImageRuns(vit, pretrained.preprocessing(), source, corruption,
                DatasetTrace.Target.TRUE_LABEL, 0, 8);
        EdgeAttribution attribution = new EdgeAttribution(vit);
        ExactEdges exactEdges = new ExactEdges(vit);
        long t0 = System.nanoTime();
        runs.forEachBatch(0, n, EdgeAttribution.keepForClean(), EdgeAttribution.keepForCorrupted(),
                (first, clean, corrupted, targets) -> {
                    double[][] x = exactEdges.perImage(clean, corrupted, targets, metric, all);
                    for (int i = 0; i < targets.length; i++) {
                        try (var c = clean.image(i); var k = corrupted.image(i)) {
                            int[] t = {targets[i]};
                            eap[first + i] = attribution.score(c, k, t, metric, EdgeMethod.eap()).scores();
                            eapIg[first + i] = attribution.score(c, k, t, metric, ig).scores();
                        }
                        for (int e = 0; e < edges; e++) {
                            exact[first + i][e] = x[e][i];
                        }
                    }
                    System.err.printf(Locale.ROOT, "%d/%d images, %.0f s%n", first + targets.length, n,
                            (System.nanoTime() - t0) / 1e9);
                });
        int[] all0 = IntStream.range(0, n).toArray();
        double[] meanExact = mean(exact, all0);
        double[] meanEap = mean(eap, all0);
        double[] meanIg = mean(eapIg, all0);
        Integer[] order = IntStream.range(0, edges).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(e -> -Math.abs(meanExact[e])));
        int[] chosen = Arrays.stream(order).limit(top).mapToInt(Integer::intValue).toArray();
        int[] every = IntStream.range(0, edges).toArray();

        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("edges_mean.csv"))) {
            w.write("edge,upstream,downstream,input,eap,eap_ig,exact\n");
            for (int e = 0; e < edges; e++) {
                Edge edge = all.get(e);
                w.write(String.format(Locale.ROOT, "%d,%s,%s,%s,%.6g,%.6g,%.6g%n", e, edge.upstream().name(),
                        edge.downstream().name(), edge.input().label(), meanEap[e], meanIg[e], meanExact[e]));
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("per_image_top.csv"))) {
            w.write("image,edge,eap,eap_ig,exact\n");
            for (int i = 0; i < n; i++) {
                for (int e : chosen) {
                    w.write(String.format(Locale.ROOT, "%d,%d,%.4g,%.4g,%.4g%n", i, e, eap[i][e], eapIg[i][e],
                            exact[i][e]));
                }
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("agreement.csv"))) {
            w.write("estimate,edges,images,spearman,ci_low,ci_high\n");
            for (String name : List.of("eap", "eap_ig")) {
                double[][] est = name.equals("eap") ? eap : eapIg;
                for (int[] set : List.of(chosen, every)) {
                    double rho = spearman(mean(est, all0), meanExact, set);
                    double[] ci = bootstrap(est, exact, set, n);
                    String line = String.format(Locale.ROOT, "%s,%s,%d,%.4f,%.4f,%.4f%n", name,
                            set.length == edges ? "all " + edges : "top " + top + " by |exact|", n, rho, ci[0],
                            ci[1]);
                    w.write(line);
                    System.out.print(line);
                }
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("nodes.csv"))) {
            w.write("node,eap,eap_ig,exact\n");
            List<String> names = new ArrayList<>();
            for (Edge edge : all) {
                if (!names.contains(edge.upstream().name())) {
                    names.add(edge.upstream().name());
                }
            }
            for (String name : names) {
                double a = 0;
                double b = 0;
                double c = 0;
                for (int e = 0; e < edges; e++) {
                    if (all.get(e).upstream().name().equals(name)) {
                        a += meanEap[e];
                        b += meanIg[e];
                        c += meanExact[e];
                    }
                }
                w.write(String.format(Locale.ROOT, "%s,%.6g,%.6g,%.6g%n", name, a, b, c));
            }
        }
        System.err.printf(Locale.ROOT, "done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** The mean over the images {@code rows} (with repeats) of each edge's score. */
    static double[] mean(double[][] perImage, int[] rows) {
        double[] m = new double[perImage[0].length];
        for (int r : rows) {
            for (int e = 0; e < m.length; e++) {
                m[e] += perImage[r][e] / rows.length;
            }
        }
        return m;
    }

    /** 95% percentile interval of Spearman's rho over 2000 resamples of the images (seed 1). */
    static double[] bootstrap(double[][] est, double[][] exact, int[] set, int n) {
        SplittableRandom random = new SplittableRandom(1);
        double[] rho = new double[2000];
        for (int b = 0; b < rho.length; b++) {
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) {
                rows[i] = random.nextInt(n);
            }
            rho[b] = spearman(mean(est, rows), mean(exact, rows), set);
        }
        Arrays.sort(rho);
        return new double[] {rho[(int) (0.025 * rho.length)], rho[(int) (0.975 * rho.length) - 1]};
    }

    /** Spearman's rho of x and y over the indices {@code set} (vit-explain's, ties at their mean rank). */
    static double spearman(double[] x, double[] y, int[] set) {
        return SanityCheck.spearman(Arrays.stream(set).mapToDouble(i -> x[i]).toArray(),
                Arrays.stream(set).mapToDouble(i -> y[i]).toArray());
    }
}
