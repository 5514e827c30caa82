package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.Metric;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.TreeSet;

/**
 * Circuit evaluation (Hanna et al. 2024) and faithfulness. A circuit is a set of edges of the {@link CircuitGraph}
 * (a {@link BitSet} over its edge indices). Evaluating it runs the clean input in which an edge inside the circuit
 * carries its upstream node's output from this run and an edge outside it the node's output from the corrupted run:
 * {@code in_v = Σ_kept a_u(this run) + Σ_other a_u(corrupt)} (plus the constants). All edges kept gives the clean
 * run, none the corrupted one, and a circuit must connect the input to the output to do anything.
 *
 * <p>Faithfulness {@code = (m(circuit) − m(corrupt)) / (m(clean) − m(corrupt))}, each m averaged over the images
 * first (a ratio of means, so that images whose corruption changes little do not dominate), with the metric's
 * changes as {@link Metric#effect} measures them.
 */
public final class Circuits {

    private final VitConfig config;
    private final CircuitGraph graph;
    private final EdgeRuns runs;

    public Circuits(Vit vit) {
        this.config = vit.config();
        this.graph = CircuitGraph.of(config);
        this.runs = new EdgeRuns(vit, graph, new NodeOutputs(vit, graph));
    }

    /** The graph the circuits are sets of edges of. */
    public CircuitGraph graph() {
        return graph;
    }

    /**
     * {@code [circuit][image]}: {@code m(circuit) − m(corrupt)} for each circuit and image (as {@link Metric#effect}
     * measures it).
     *
     * @param clean     the clean runs, keeping {@link EdgeAttribution#keepForClean()}
     * @param corrupted the corrupted runs, keeping {@link EdgeAttribution#keepForCorrupted()}
     */
    public double[][] effects(Activations clean, Activations corrupted, int[] targets, Metric metric,
                              List<BitSet> circuits) {
        List<BitSet> outside = new ArrayList<>();
        for (BitSet c : circuits) {
            BitSet o = new BitSet(graph.size());
            o.set(0, graph.size());
            o.andNot(c);
            outside.add(o);
        }
        return effects(clean, corrupted, clean, corrupted, targets, metric, outside);
    }

    /**
     * {@code [set][image]}: the effect of runs of {@code input} whose edges in {@code fixed.get(s)} carry
     * {@code reference}'s outputs.
     */
    double[][] effects(Activations clean, Activations corrupted, Activations input, Activations reference,
                       int[] targets, Metric metric, List<BitSet> fixed) {
        Runs.check(config, clean, corrupted, targets, metric);
        int b = clean.batch();
        double[][] out = new double[fixed.size()][b];
        int perRun = runs.rowsPerRun();
        int total = fixed.size() * b;
        for (int first = 0; first < total; first += perRun) {
            int n = Math.min(perRun, total - first);
            int[] images = new int[n];
            BitSet[] sets = new BitSet[n];
            for (int r = 0; r < n; r++) {
                images[r] = (first + r) % b;
                sets[r] = fixed.get((first + r) / b);
            }
            try (var logits = runs.logits(input, reference, images, sets)) {
                for (int r = 0; r < n; r++) {
                    int i = images[r];
                    out[(first + r) / b][i] = metric.effect(Runs.row(clean, i), Runs.row(corrupted, i),
                            logits.getRow(r).toFloatVector(), targets[i]);
                }
            }
        }
        return out;
    }

    /** The faithfulness of each circuit over the images of the runs. */
    public double[] faithfulness(Activations clean, Activations corrupted, int[] targets, Metric metric,
                                 List<BitSet> circuits) {
        double[][] effects = effects(clean, corrupted, targets, metric, circuits);
        double full = 0;
        for (int i = 0; i < clean.batch(); i++) {
            full += metric.effect(Runs.row(clean, i), Runs.row(corrupted, i), Runs.row(clean, i), targets[i]);
        }
        double[] f = new double[circuits.size()];
        for (int c = 0; c < f.length; c++) {
            double sum = 0;
            for (double e : effects[c]) {
                sum += e;
            }
            f[c] = sum / full;
        }
        return f;
    }

    /**
     * The faithfulness curve of the circuits that {@code selection} chooses from {@code scores}, one point per
     * count of {@code counts} (edges taken from the selection's order; see {@link #defaultCounts}).
     */
    public FaithfulnessCurve curve(Activations clean, Activations corrupted, int[] targets, Metric metric,
                                   EdgeScores scores, Selection selection, int[] counts) {
        int[] order = scores.order(selection);
        List<BitSet> circuits = new ArrayList<>();
        int[] kept = new int[counts.length];
        for (int p = 0; p < counts.length; p++) {
            if (counts[p] < 0 || counts[p] > graph.size()) {
                throw new IllegalArgumentException("a curve point of " + counts[p] + " edges; the graph has "
                        + graph.size() + " (counts run from 0 to it)");
            }
            BitSet c = new BitSet(graph.size());
            for (int i = 0; i < counts[p]; i++) {
                c.set(order[i]);
            }
            BitSet circuit = selection == Selection.GREEDY ? graph.connected(c) : c;
            circuits.add(circuit);
            kept[p] = circuit.cardinality();
        }
        double[] f = faithfulness(clean, corrupted, targets, metric, circuits);
        return new FaithfulnessCurve(selection, graph.size(), counts, kept, f,
                FaithfulnessCurve.area(kept, f, graph.size()));
    }

    /** Curve points: 0, 1, 2, 5, 10, 20, 50, … below the graph's size, and the whole graph. */
    public static int[] defaultCounts(int totalEdges) {
        TreeSet<Integer> counts = new TreeSet<>();
        counts.add(0);
        for (long scale = 1; scale < totalEdges; scale *= 10) {
            for (int m : new int[] {1, 2, 5}) {
                if (scale * m < totalEdges) {
                    counts.add((int) (scale * m));
                }
            }
        }
        counts.add(totalEdges);
        return counts.stream().mapToInt(Integer::intValue).toArray();
    }
}
