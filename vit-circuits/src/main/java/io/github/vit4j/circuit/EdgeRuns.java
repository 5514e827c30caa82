package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
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
 * Runs in which every edge either carries its upstream node's output from the run itself or from a fixed reference
 * run: each node's input is its own array, {@code in_v = resid(this run) + Σ_{u → v fixed} (a_u(reference) −
 * a_u(this run))}, where the run's own residual stream is the sum of its own node outputs (plus the constants).
 * Circuit evaluation runs the clean input with the reference the corrupted run and the edges outside the circuit
 * fixed; exact patching of a set of edges runs the corrupted input with the reference the clean run and the set
 * fixed (a single edge: {@link ExactEdges}'s definition).
 *
 * <p>A node's input depends on what the nodes before it output in this same run, so the run goes node group by
 * node group: block l's heads (a forward resumed at block l from the run's {@code resid_pre}, with block l's
 * q, k and v substituted whole, each head's rows computed from its own inputs), then block l's MLP (resumed again,
 * its attention's output reused so that attention is skipped, {@code ln2} substituted), then the output (a run from
 * the last {@code resid_post} with the output's input). Every later module is skipped (its output substituted by
 * zeros): 2L + 1 short runs cost about one forward. Rows are independent: any mix of images and edge sets runs as
 * one batch. Every temporary is freed at once (a curve over a dataset makes thousands of these runs).
 */
final class EdgeRuns {

    private final Vit vit;
    private final VitConfig config;
    private final CircuitGraph graph;
    private final NodeOutputs outputs;

    EdgeRuns(Vit vit, CircuitGraph graph, NodeOutputs outputs) {
        this.vit = vit;
        this.config = vit.config();
        this.graph = graph;
        this.outputs = outputs;
    }

    /** How many rows one batch of these runs should hold: about 256 MB of node-output differences at most. */
    int rowsPerRun() {
        long perRow = (long) graph.upstreamNodeCount() * config.tokens() * config.hiddenSize() * 4;
        return (int) Math.max(1, Math.min(32, (256L << 20) / perRow));
    }

    /**
     * The logits {@code [R, C]}: row r runs image {@code images[r]} of {@code input} with the edges of
     * {@code fixed[r]} carrying {@code reference}'s outputs (of the same image).
     */
    INDArray logits(Activations input, Activations reference, int[] images, BitSet[] fixed) {
        int rows = images.length;
        int layers = config.layers();
        int t = config.tokens();
        int dModel = config.hiddenSize();
        INDArray diffs = Nd4j.zeros(DataType.FLOAT, rows, graph.upstreamNodeCount(), (long) t * dModel);
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, rows, t, dModel);
        INDArray resid = rowsOf(input.get(Site.residPre(0)), images);                           // [R, T, D]
        setDiff(diffs, 0, rowsOf(reference.get(Site.residPre(0)), images).subi(resid));
        for (int l = 0; l < layers; l++) {
            INDArray[] attention = heads(l, resid, diffs, fixed, reference, images, zeros);      // attn_out, resid_mid
            INDArray next = mlp(l, resid, attention[0], attention[1], diffs, fixed, reference, images, zeros);
            free(resid, attention[0], attention[1]);
            resid = next;
        }
        INDArray out = corrected(resid, diffs, fixed, graph.readers() - 1, 1).reshape(rows, t, dModel);
        try (Activations run = vit.run(Input.residPre(layers, out), Keep.logitsOnly())) {
            return run.logits().dup();
        } finally {
            free(out, resid, diffs, zeros);
        }
    }

    /**
     * Block l's heads, each from its own inputs: sets their differences in {@code diffs} and returns block l's
     * {@code attn_out} and {@code resid_mid} of this run.
     */
    private INDArray[] heads(int l, INDArray resid, INDArray diffs, BitSet[] fixed, Activations reference,
                             int[] images, INDArray zeros) {
        int rows = images.length;
        int heads = config.heads();
        int t = config.tokens();
        int dModel = config.hiddenSize();
        HeadWeights hw = outputs.heads(l);
        INDArray in = corrected(resid, diffs, fixed, graph.readerStart(l), 3 * heads);            // [R, 3H, T, D]
        INDArray lnRows = Norms.forward(in.reshape((long) rows * 3 * heads, t, dModel),
                vit.weights().blocks().get(l).norm1(), config.layerNormEps());
        INDArray ln = lnRows.reshape(rows, 3L * heads, t, dModel).permute(1, 0, 2, 3).dup('c'); // [3H, R, T, D]
        INDArray qkv = hw.project(ln).reshape(heads, 3, rows, t, config.headDim());            // [H, 3, R, T, d]
        free(in, lnRows, ln);
        Map<Site, Substitution> subs = skipAfter(l, zeros);
        Site[] sites = {Site.q(l), Site.k(l), Site.v(l)};
        List<INDArray> made = new ArrayList<>(List.of(qkv));
        for (int x = 0; x < 3; x++) {
            INDArray part = qkv.get(NDArrayIndex.all(), NDArrayIndex.point(x), NDArrayIndex.all(),
                    NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2, 3).dup('c');           // [R, H, T, d]
            subs.put(sites[x], Substitution.whole(part));
            made.add(part);
        }
        subs.put(Site.mlpOut(l), Substitution.whole(zeros));
        try (Activations run = vit.run(Input.residPre(l, resid), Keep.sites(Site.z(l), Site.attnOut(l),
                Site.residMid(l), Site.residPost(config.layers() - 1)), subs)) {
            INDArray zRef = rowsOf(reference.get(Site.z(l)), images);
            INDArray own = hw.outputs(run.get(Site.z(l)));                                         // [R, H, T, D]
            INDArray ref = hw.outputs(zRef);
            for (int h = 0; h < heads; h++) {
                INDArray diff = ref.get(NDArrayIndex.all(), NDArrayIndex.point(h))
                        .sub(own.get(NDArrayIndex.all(), NDArrayIndex.point(h)));
                setDiff(diffs, graph.upstreamIndex(Node.head(l, h)), diff);
            }
            free(zRef, own, ref);
            return new INDArray[] {run.get(Site.attnOut(l)).dup('c'), run.get(Site.residMid(l)).dup('c')};
        } finally {
            made.forEach(EdgeRuns::free);
        }
    }

    /**
     * Block l's MLP from its own input, attention skipped (its output reused): sets its difference in
     * {@code diffs} and returns block l's {@code resid_post} of this run.
     */
    private INDArray mlp(int l, INDArray resid, INDArray attnOut, INDArray residMid, INDArray diffs, BitSet[] fixed,
                         Activations reference, int[] images, INDArray zeros) {
        int first = graph.readerStart(l) + 3 * config.heads();
        INDArray in = corrected(residMid, diffs, fixed, first, 1)
                .reshape(images.length, config.tokens(), config.hiddenSize());                     // [R, T, D]
        INDArray ln2 = Norms.forward(in, vit.weights().blocks().get(l).norm2(), config.layerNormEps());
        Map<Site, Substitution> subs = skipAfter(l, zeros);
        subs.put(Site.attnOut(l), Substitution.whole(attnOut));
        subs.put(Site.ln2(l), Substitution.whole(ln2));
        try (Activations run = vit.run(Input.residPre(l, resid), Keep.sites(Site.mlpOut(l), Site.residPost(l),
                Site.residPost(config.layers() - 1)), subs)) {
            setDiff(diffs, graph.upstreamIndex(Node.mlp(l)),
                    rowsOf(reference.get(Site.mlpOut(l)), images).subi(run.get(Site.mlpOut(l))));
            return run.get(Site.residPost(l)).dup('c');
        } finally {
            free(in, ln2);
        }
    }

    /**
     * {@code [R, n, T, D]}: the inputs of readers {@code first .. first + n − 1} (all of one block, reading the same
     * upstream nodes but the MLP), {@code resid} plus each row's fixed edges' differences.
     */
    private INDArray corrected(INDArray resid, INDArray diffs, BitSet[] fixed, int first, int n) {
        int rows = (int) resid.size(0);
        int c = graph.upstreamCount(first + n - 1);
        float[] weights = new float[rows * n * c];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                int offset = graph.offset(first + j);
                for (int u = 0; u < graph.upstreamCount(first + j); u++) {
                    if (fixed[r].get(offset + u)) {
                        weights[(r * n + j) * c + u] = 1f;
                    }
                }
            }
        }
        INDArray w = Nd4j.create(weights, new long[] {rows, n, c}, 'c');
        INDArray read = diffs.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c), NDArrayIndex.all()).dup('c');
        INDArray sum = Nd4j.matmul(w, read);                                                    // [R, n, T·D]
        long[] shape = {rows, n, resid.size(1), resid.size(2)};
        INDArray base = resid.reshape(rows, 1, resid.size(1), resid.size(2)).broadcast(shape);
        INDArray out = sum.reshape(shape).addi(base);
        free(w, read, base);
        return out;
    }

    /** Substitutions that skip every module of the blocks after block l: their outputs replaced by zeros. */
    private Map<Site, Substitution> skipAfter(int l, INDArray zeros) {
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        for (int m = l + 1; m < config.layers(); m++) {
            subs.put(Site.attnOut(m), Substitution.whole(zeros));
            subs.put(Site.mlpOut(m), Substitution.whole(zeros));
        }
        return subs;
    }

    /** Writes {@code diff} {@code [R, T, D]} as upstream node u's difference, then frees it. */
    private static void setDiff(INDArray diffs, int u, INDArray diff) {
        diffs.get(NDArrayIndex.all(), NDArrayIndex.point(u), NDArrayIndex.all())
                .assign(diff.reshape(diff.size(0), diffs.size(2)));
        free(diff);
    }

    private static void free(INDArray... arrays) {
        for (INDArray a : arrays) {
            NodeOutputs.free(a);
        }
    }

    /** The rows' images of a batched site array, stacked: {@code [R, …]}, a new array. */
    static INDArray rowsOf(INDArray batched, int[] images) {
        INDArray[] parts = new INDArray[images.length];
        for (int r = 0; r < parts.length; r++) {
            parts[r] = batched.get(NDArrayIndex.interval(images[r], images[r] + 1));
        }
        return parts.length == 1 ? parts[0].dup('c') : Nd4j.concat(0, parts);        // always a new array
    }
}
