package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.trace.Metric;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Exact edge scores, what edge attribution patching estimates: the corrupted run with edge u → v's input replaced,
 * {@code in_v := in_v(corrupt) + (a_u(clean) − a_u(corrupt))} (a_u from the unpatched clean and corrupted runs),
 * and everything after v recomputed as usual; the score is {@code m(that run) − m(corrupt)}, as a trace's
 * {@link Metric#effect} measures it, averaged over the images.
 *
 * <p>On the substitution machinery, no hooks: the patched input is its own array, normalised by the block's
 * LayerNorm and projected by the downstream head's own rows of the weights, and the run substitutes the result
 * for that head's rows of {@code q}, {@code k} or {@code v} (a masked substitution), for {@code ln2} (an MLP's
 * input) or starts from it (the output's input, the last {@code resid_post}). Each patched run resumes at the
 * downstream node's block from the corrupted run's {@code resid_pre} there (the prefix before v is shared; an
 * MLP's run reuses the corrupted {@code attn_out}, skipping its block's attention), and the edges into one block
 * run together as the rows of batched runs of up to {@link #MAX_ROWS} rows (one row per edge and image).
 */
public final class ExactEdges {

    /** Rows of one patched run: edges × images into the same block run together up to this many. */
    static final int MAX_ROWS = 32;

    private final Vit vit;
    private final VitConfig config;
    private final CircuitGraph graph;
    private final NodeOutputs outputs;
    private final Circuits circuits;

    public ExactEdges(Vit vit) {
        this.vit = vit;
        this.config = vit.config();
        this.graph = CircuitGraph.of(config);
        this.outputs = new NodeOutputs(vit, graph);
        this.circuits = new Circuits(vit);
    }

    /**
     * The exact score of each edge of {@code edges}, averaged over the images of the runs.
     *
     * @param clean     the clean runs (batch B), keeping {@link EdgeAttribution#keepForClean()}
     * @param corrupted the corrupted runs of the same images, keeping {@link EdgeAttribution#keepForCorrupted()}
     * @param targets   the class tracked per image
     * @return one score per edge, in the order given
     */
    public double[] scores(Activations clean, Activations corrupted, int[] targets, Metric metric, List<Edge> edges) {
        double[][] perImage = perImage(clean, corrupted, targets, metric, edges);
        double[] mean = new double[edges.size()];
        for (int e = 0; e < mean.length; e++) {
            for (double v : perImage[e]) {
                mean[e] += v / perImage[e].length;
            }
        }
        return mean;
    }

    /**
     * {@code [image]}: {@code m − m(corrupt)} of the corrupted run in which every edge of {@code edges} (a set of
     * the graph's edge indices) carries its upstream node's clean output: {@code in_v := in_v(this run) +
     * Σ_{u → v in edges} (a_u(clean) − a_u(this run))}. For one edge this is its exact score (the nodes before v are
     * the corrupted run's); for every edge of the graph each node reads its clean input and the run is the clean
     * run; for none it is the corrupted run.
     */
    public double[] patchedSet(Activations clean, Activations corrupted, int[] targets, Metric metric, BitSet edges) {
        return circuits.effects(clean, corrupted, corrupted, clean, targets, metric, List.of(edges))[0];
    }

    /** {@code [edge][image]}: the exact score of each edge for each image. */
    public double[][] perImage(Activations clean, Activations corrupted, int[] targets, Metric metric,
                               List<Edge> edges) {
        return perImage(clean, corrupted, targets, metric, edges, 1);
    }

    /**
     * {@code [edge][image]} with the patch scaled: {@code in_v := in_v(corrupt) + factor · (a_u(clean) −
     * a_u(corrupt))} (factor 1: the exact score; a small factor and its negative: a central difference).
     */
    double[][] perImage(Activations clean, Activations corrupted, int[] targets, Metric metric, List<Edge> edges,
                        double factor) {
        Runs.check(config, clean, corrupted, targets, metric);
        edges.forEach(graph::indexOf);                                                 // refuses foreign edges
        int b = clean.batch();
        double[][] out = new double[edges.size()][b];
        Map<Integer, List<Integer>> byBlock = new LinkedHashMap<>();   // 2l: block l's heads, 2l + 1 its MLP, 2L
        for (int e = 0; e < edges.size(); e++) {
            Node v = edges.get(e).downstream();
            int block = v.kind() == Node.Kind.LOGITS ? 2 * config.layers() : 2 * v.layer()
                    + (v.kind() == Node.Kind.MLP ? 1 : 0);
            byBlock.computeIfAbsent(block, k -> new ArrayList<>()).add(e);
        }
        for (List<Integer> group : byBlock.values()) {
            List<int[]> rows = new ArrayList<>();                                              // {edge, image}
            for (int e : group) {
                for (int i = 0; i < b; i++) {
                    rows.add(new int[] {e, i});
                }
            }
            for (int first = 0; first < rows.size(); first += MAX_ROWS) {
                List<int[]> chunk = rows.subList(first, Math.min(rows.size(), first + MAX_ROWS));
                try (INDArray logits = patched(clean, corrupted, edges, chunk, factor)) {
                    for (int r = 0; r < chunk.size(); r++) {
                        int e = chunk.get(r)[0];
                        int i = chunk.get(r)[1];
                        out[e][i] = metric.effect(Runs.row(clean, i), Runs.row(corrupted, i),
                                logits.getRow(r).toFloatVector(), targets[i]);
                    }
                }
            }
        }
        return out;
    }

    /** The logits {@code [R, C]} of one batched patched run, a row per {edge, image} of {@code rows}. */
    private INDArray patched(Activations clean, Activations corrupted, List<Edge> edges, List<int[]> rows,
                             double factor) {
        Node v = edges.get(rows.get(0)[0]).downstream();
        INDArray[] patchedInputs = new INDArray[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            Edge edge = edges.get(rows.get(r)[0]);
            int image = rows.get(r)[1];
            Site read = switch (v.kind()) {
                case HEAD -> Site.residPre(v.layer());
                case MLP -> Site.residMid(v.layer());
                case LOGITS -> Site.residPost(config.layers() - 1);
                case INPUT -> throw new IllegalStateException("the input reads nothing");
            };
            INDArray delta = outputs.delta(clean, corrupted, edge.upstream(), image);             // [1, T, D]
            INDArray base = NodeOutputs.image(corrupted.get(read), image);
            patchedInputs[r] = delta.muli(factor).addi(base);
            NodeOutputs.free(base);
        }
        INDArray in = patchedInputs.length == 1 ? patchedInputs[0] : Nd4j.concat(0, patchedInputs); // [R, T, D]
        for (int r = 0; r < patchedInputs.length && patchedInputs.length > 1; r++) {
            NodeOutputs.free(patchedInputs[r]);
        }
        if (v.kind() == Node.Kind.LOGITS) {
            try (Activations run = vit.run(Input.residPre(config.layers(), in), Keep.logitsOnly())) {
                return run.logits().dup();
            } finally {
                NodeOutputs.free(in);
            }
        }
        int l = v.layer();
        INDArray start = rowsOf(corrupted.get(Site.residPre(l)), rows);                         // [R, T, D]
        VitWeights.Block w = vit.weights().blocks().get(l);
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        if (v.kind() == Node.Kind.MLP) {
            subs.put(Site.ln2(l), Substitution.whole(Norms.forward(in, w.norm2(), config.layerNormEps())));
            subs.put(Site.attnOut(l), Substitution.whole(rowsOf(corrupted.get(Site.attnOut(l)), rows)));
        } else {
            headInputs(in, edges, rows, l, w, subs);
        }
        // keeping the last resid_post turns off the last block's CLS-row shortcut, whose q is one row
        try (Activations run = vit.run(Input.residPre(l, start), Keep.sites(Site.residPost(config.layers() - 1)),
                subs)) {
            return run.logits().dup();
        } finally {
            NodeOutputs.free(in);
            NodeOutputs.free(start);
            subs.values().forEach(ExactEdges::free);
        }
    }

    /** Frees the caller's arrays of a substitution once its run is done. */
    private static void free(Substitution s) {
        if (s instanceof Substitution.Whole w) {
            NodeOutputs.free(w.array());
        } else if (s instanceof Substitution.Masked m) {
            NodeOutputs.free(m.source());
            NodeOutputs.free(m.mask());
        }
    }

    /**
     * For rows into heads of block l: each row's patched input through LN1 and its head's rows of W_q, W_k or W_v,
     * substituted for that head's rows of q, k or v (masked: every other head and row keeps its own).
     */
    private void headInputs(INDArray in, List<Edge> edges, List<int[]> rows, int l, VitWeights.Block w,
                            Map<Site, Substitution> subs) {
        int n = rows.size();
        int h = config.heads();
        int t = config.tokens();
        int d = config.headDim();
        INDArray ln = Norms.forward(in, w.norm1(), config.layerNormEps());                        // [R, T, D]
        HeadWeights hw = outputs.heads(l);
        INDArray[] sources = new INDArray[3];
        INDArray[] masks = new INDArray[3];
        for (int x = 0; x < 3; x++) {
            sources[x] = Nd4j.zeros(DataType.FLOAT, n, h, t, d);
            masks[x] = Nd4j.zeros(DataType.FLOAT, n, h, 1, 1);
        }
        for (int r = 0; r < n; r++) {
            Edge edge = edges.get(rows.get(r)[0]);
            int head = edge.downstream().head();
            int x = edge.input().ordinal();
            int reader = 3 * head + x;
            INDArray rowLn = ln.get(NDArrayIndex.point(r), NDArrayIndex.all(), NDArrayIndex.all());        // [T, D]
            INDArray projected = rowLn.mmul(hw.read().get(NDArrayIndex.point(reader), NDArrayIndex.all(),
                    NDArrayIndex.all()).transpose())
                    .addiRowVector(hw.readBias().getRow(reader));                                           // [T, d]
            sources[x].get(NDArrayIndex.point(r), NDArrayIndex.point(head), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(projected);
            NodeOutputs.free(projected);
            masks[x].putScalar(new long[] {r, head, 0, 0}, 1f);
        }
        NodeOutputs.free(ln);
        Site[] sites = {Site.q(l), Site.k(l), Site.v(l)};
        for (int x = 0; x < 3; x++) {
            if (masks[x].sumNumber().doubleValue() > 0) {
                subs.put(sites[x], Substitution.masked(sources[x], masks[x]));
            } else {
                NodeOutputs.free(sources[x]);
                NodeOutputs.free(masks[x]);
            }
        }
    }

    /** The rows' images of a batched site array, stacked: {@code [R, …]}. */
    private static INDArray rowsOf(INDArray batched, List<int[]> rows) {
        INDArray[] parts = new INDArray[rows.size()];
        for (int r = 0; r < parts.length; r++) {
            int i = rows.get(r)[1];
            parts[r] = batched.get(NDArrayIndex.interval(i, i + 1));
        }
        return parts.length == 1 ? parts[0].dup('c') : Nd4j.concat(0, parts);        // always a new array
    }
}
