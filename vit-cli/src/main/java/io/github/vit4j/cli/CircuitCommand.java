package io.github.vit4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.vit4j.circuit.CircuitStudy;
import io.github.vit4j.circuit.CircuitGraph;
import io.github.vit4j.circuit.Circuits;
import io.github.vit4j.circuit.Edge;
import io.github.vit4j.circuit.EdgeMethod;
import io.github.vit4j.circuit.EdgeScores;
import io.github.vit4j.circuit.FaithfulnessCurve;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.Metric;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit circuit}: edge attribution patching over a dataset, exact checks of the top edges, faithfulness. */
@Command(name = "circuit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Circuit discovery (EAP, Syed et al. 2023; EAP-IG, Hanna et al. 2024) over the first N images: "
                + "score every edge of the graph of heads and MLPs (upstream node → a later node's q, k, v, mlp or out "
                + "input) as (a_u(clean) − a_u(corrupt)) · ∂metric/∂input at the corrupted run, averaged over the "
                + "images; patch the --verify-top N edges of largest |score| exactly; and evaluate circuits of growing "
                + "size (edges outside the circuit carry the corrupted run's values) as faithfulness (m(circuit) − "
                + "m(corrupt)) / (m(clean) − m(corrupt)).",
            "Writes to --out: edges.csv (upstream,downstream,input,score,exact: one row per edge; exact only for the "
                    + "verified edges), faithfulness.csv (selection,chosen,kept,faithfulness: top = the edges of "
                    + "largest |score|, greedy = grown from the output and pruned to input-to-output paths) and "
                    + "circuit.json (the settings, the smallest greedy circuit reaching 80%% faithfulness, the curves "
                    + "and their areas); circuit.svg and circuit.png (that circuit, layered, edge width by |score|, "
                    + "red positive, blue negative), faithfulness.svg and faithfulness.png (both curves, their areas "
                    + "in the legend) and report.html (a page with both figures and the circuit's edges).",
            "The options --images, --limit, --corruption, --metric, --label, --seed and --batch are those of vit "
                    + "trace. With no arguments: the CIFAR-10 model of ../shared on its first 16 test images, "
                    + "grayscale."},
        footer = {"", "Examples:", "  vit circuit", "  vit circuit --limit 64 --method eap-ig:5 --verify-top 50 --out colour"})
final class CircuitCommand implements Callable<Integer> {

    /** The faithfulness the circuit of circuit.json reaches: the smallest greedy circuit of the curve that does. */
    static final double CIRCUIT_FAITHFULNESS = 0.8;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Mixin
    RunsOptions runs;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "16",
            description = "Study the first N images (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--method", paramLabel = "M", defaultValue = "eap",
            description = "eap: gradients at the corrupted run | eap-ig[:K]: averaged over K points between the "
                    + "corrupted and the clean input (eap-ig alone: K = 5) (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--verify-top", paramLabel = "N", defaultValue = "20",
            description = "Patch the N edges of largest |score| exactly, averaged over the images: edges.csv's exact "
                    + "column (default: ${DEFAULT-VALUE}).")
    int verifyTop;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "circuit-out",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter outText = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Corruption corruptionSpec = runs.parsedCorruption();
        EdgeMethod methodChoice = EdgeMethod.parse(method);
        DatasetTrace.Target target = runs.target();
        runs.givenMetric();                                         // a typo fails before the model is loaded
        ImagesOption.positive("--limit", limit);
        int batch = runs.checkedBatch();
        if (verifyTop < 0) {
            throw new IllegalArgumentException("--verify-top must be >= 0, got " + verifyTop);
        }
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        VitConfig config = vit.config();
        Metric metricChoice = runs.metricFor(config);
        ImageSource source = images.open();
        if (target == DatasetTrace.Target.TRUE_LABEL) {
            source.checkLabelsFit(config.classes(), "study with --label clean-top1 (the clean run's top class)");
        }
        int n = Math.min(limit, source.size());
        int edges = CircuitGraph.of(config).size();
        CircuitStudy.Options options = new CircuitStudy.Options(corruptionSpec, metricChoice, methodChoice, target,
                runs.seed, batch, n, Math.min(verifyTop, edges), Circuits.defaultCounts(edges));
        long t0 = System.nanoTime();
        CircuitStudy.Result result;
        try (Progress progress = Progress.start("circuit", 2 * n, err)) {
            progress.update(0);                                    // nothing done before: a study does not resume
            result = new CircuitStudy(vit, pretrained.preprocessing(), source, options).run(progress::update);
        }
        Files.createDirectories(out);
        writeEdges(result);
        writeCurves(result);
        CircuitStudy.Circuit circuit = result.circuit(CIRCUIT_FAITHFULNESS);
        writeJson(result, circuit, config, metricChoice);
        List<String> written = new ArrayList<>(List.of("edges.csv", "faithfulness.csv", "circuit.json"));
        written.addAll(CircuitReport.write(out, result, circuit, config.layers(), config.heads(),
                notes(result, metricChoice)));
        print(result, metricChoice, (System.nanoTime() - t0) / 1e9, written, outText);
        return 0;
    }

    /** {@code edges.csv}: every edge, in the graph's order, with its exact score where it was verified. */
    private void writeEdges(CircuitStudy.Result result) throws IOException {
        EdgeScores scores = result.scores();
        Map<Edge, Double> exact = new HashMap<>();
        for (int i = 0; i < result.verified().size(); i++) {
            exact.put(result.verified().get(i), result.exact()[i]);
        }
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("edges.csv"))) {
            w.write("upstream,downstream,input,score,exact\n");
            double[] s = scores.scores();
            for (int e = 0; e < s.length; e++) {
                Edge edge = scores.graph().edge(e);
                Double x = exact.get(edge);
                w.write(edge.upstream().name() + "," + edge.downstream().name() + "," + edge.input().label() + ","
                        + s[e] + "," + (x == null ? "" : x.toString()) + "\n");
            }
        }
    }

    /** {@code faithfulness.csv}: one row per point of each curve. */
    private void writeCurves(CircuitStudy.Result result) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("faithfulness.csv"))) {
            w.write("selection,chosen,kept,faithfulness\n");
            for (FaithfulnessCurve c : result.curves()) {
                for (int p = 0; p < c.kept().length; p++) {
                    w.write(c.selection().label() + "," + c.chosen()[p] + "," + c.kept()[p] + ","
                            + c.faithfulness()[p] + "\n");
                }
            }
        }
    }

    /** {@code circuit.json}: the settings, the circuit kept, and the curves. */
    private void writeJson(CircuitStudy.Result result, CircuitStudy.Circuit kept, VitConfig config, Metric metricUsed)
            throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model.location());
        settings.put("images", images.spec());
        settings.put("images_studied", result.images());
        settings.put("corruption", result.corruption().describe());
        settings.put("metric", metricUsed.label());
        settings.put("method", result.scores().method().label());
        settings.put("label", runs.label);
        settings.put("seed", runs.seed);
        settings.put("batch", runs.batch);
        settings.put("verify_top", result.verified().size());
        json.put("settings", settings);
        json.put("verified", Map.of("edges", result.verified().size(), "same_sign", sameSign(result)));
        json.put("graph", Map.of("layers", config.layers(), "heads", config.heads(),
                "edges", result.scores().graph().size()));
        List<Map<String, Object>> edges = new ArrayList<>();
        for (Edge edge : kept.edges()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("upstream", edge.upstream().name());
            m.put("downstream", edge.downstream().name());
            m.put("input", edge.input().label());
            m.put("score", result.scores().score(edge));
            edges.add(m);
        }
        Map<String, Object> circuit = new LinkedHashMap<>();
        circuit.put("selection", "greedy");
        circuit.put("faithfulness", kept.faithfulness());
        circuit.put("target_faithfulness", CIRCUIT_FAITHFULNESS);
        circuit.put("edges", edges);
        json.put("circuit", circuit);
        List<Map<String, Object>> curves = new ArrayList<>();
        for (FaithfulnessCurve c : result.curves()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("selection", c.selection().label());
            m.put("area", c.area());
            m.put("chosen", c.chosen());
            m.put("kept", c.kept());
            m.put("faithfulness", c.faithfulness());
            curves.add(m);
        }
        json.put("faithfulness", curves);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("circuit.json").toFile(),
                json);
    }

    /** How many verified edges' estimate and exact score have the same sign. */
    private static int sameSign(CircuitStudy.Result result) {
        int same = 0;
        for (int i = 0; i < result.verified().size(); i++) {
            same += Math.signum(result.scores().score(result.verified().get(i))) == Math.signum(result.exact()[i])
                    ? 1 : 0;
        }
        return same;
    }

    /** What was studied, for the report page and the faithfulness plot. */
    private List<String> notes(CircuitStudy.Result result, Metric metricUsed) throws IOException {
        return List.of(String.format(Locale.ROOT, "%s on %s of %s, %s", model.shortName(),
                        TerminalText.count(result.images(), "image"), images.spec(), result.corruption().describe()),
                String.format(Locale.ROOT, "metric %s, label %s, method %s; %d edges in the graph",
                        metricUsed.label(), runs.label, result.scores().method().label(),
                        result.scores().graph().size()));
    }

    private void print(CircuitStudy.Result result, Metric metricUsed, double seconds, List<String> written,
                       PrintWriter outText) {
        outText.printf(Locale.ROOT, "%s on %s, %s (%s, %s): %d edges%n", result.scores().method().label(),
                TerminalText.count(result.images(), "image"), TerminalText.escape(result.corruption().describe()),
                metricUsed.label(), runs.label, result.scores().graph().size());
        outText.printf(Locale.ROOT, "%-18s %-18s %-5s %10s %10s%n", "upstream", "downstream", "input", "score",
                "exact");
        for (int i = 0; i < Math.min(10, result.verified().size()); i++) {
            Edge e = result.verified().get(i);
            outText.printf(Locale.ROOT, "%-18s %-18s %-5s %10.4f %10.4f%n", e.upstream().name(),
                    e.downstream().name(), e.input().label(), result.scores().score(e), result.exact()[i]);
        }
        if (!result.verified().isEmpty()) {
            outText.printf(Locale.ROOT, "%s and exact patching agree in sign on %d of the %s%n",
                    result.scores().method().label(), sameSign(result),
                    TerminalText.count(result.verified().size(), "verified edge"));
        }
        for (FaithfulnessCurve c : result.curves()) {
            outText.printf(Locale.ROOT, "faithfulness (%s): area %.3f%n", c.selection().label(), c.area());
        }
        outText.printf(Locale.ROOT, "studied in %.1f s; wrote to %s: %s%n", seconds, out, String.join(", ", written));
        outText.flush();
    }
}
