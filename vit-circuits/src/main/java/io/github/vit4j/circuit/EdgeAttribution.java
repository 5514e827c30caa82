package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.trace.Metric;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Edge attribution patching: every edge's score estimated from gradients, EAP (Syed et al. 2023) from one forward
 * and one backward per image (the corrupted run's, which a trace has anyway), EAP-IG (Hanna et al. 2024) from K.
 *
 * <p>{@code score(u → v) = (a_u(clean) − a_u(corrupt)) · ∂m/∂in_v}, summed over tokens and the hidden axis, the
 * gradient taken at the corrupted run (EAP) or averaged over K points of the path from the corrupted to the clean
 * input (EAP-IG, {@link EdgeMethod}); averaged over the images. It is the first-order term of the exact edge score
 * ({@link ExactEdges}), and of the metric's change when edge u → v alone carries the clean value of u.
 *
 * <p>The gradients of every input come from the model's one backward ({@link Vit#backward}), not from one per
 * input: {@code ∂m/∂in} of head h's q input is block l's LN1 backward of {@code ∂m/∂q[:, h] · W_Q,h} (head h's rows
 * of the fused qkv weight), and the same for k and v; of an MLP's input LN2's backward of {@code ∂m/∂ln2}; of the
 * output's input {@code ∂m/∂resid_post} of the last block. Since the residual stream is read only through these
 * inputs, the scores of a node's outgoing edges add up to the node's attribution-patching estimate
 * {@code Δa_u · ∂m/∂a_u} (vit-patching's {@code atp} with window 1: its attn and mlp cells, and its per-head map).
 *
 * <p>Metrics as in a trace ({@link Metric}): prob, logprob, logit-diff and logit differentiate their own function
 * of the logits; normalized differentiates p(y) and divides each image's scores by {@code p_clean − p_corrupt}.
 */
public final class EdgeAttribution {

    private final Vit vit;
    private final VitConfig config;
    private final CircuitGraph graph;
    private final NodeOutputs outputs;

    public EdgeAttribution(Vit vit) {
        this.vit = vit;
        this.config = vit.config();
        this.graph = CircuitGraph.of(config);
        this.outputs = new NodeOutputs(vit, graph);
    }

    /** The graph the scores index. */
    public CircuitGraph graph() {
        return graph;
    }

    /**
     * What a clean run must keep for edge scores, exact edge scores and circuit evaluation: {@code z} and
     * {@code mlp_out} at every layer and {@code blocks.0.resid_pre} (the nodes' outputs).
     */
    public static Keep keepForClean() {
        return Keep.kinds(Site.Kind.Z, Site.Kind.MLP_OUT).and(Keep.sites(Site.residPre(0)));
    }

    /**
     * What a corrupted run must keep: {@link #keepForClean}, what the backward needs ({@link Vit#keepForBackward}),
     * and {@code attn_out} (the shared prefixes of exact edge scores).
     */
    public static Keep keepForCorrupted() {
        return keepForClean().and(Vit.keepForBackward()).and(Keep.kinds(Site.Kind.ATTN_OUT));
    }

    /** {@link #score(Activations, Activations, int[], Metric, EdgeMethod, boolean)} without per-token scores. */
    public EdgeScores score(Activations clean, Activations corrupted, int[] targets, Metric metric,
                            EdgeMethod method) {
        return score(clean, corrupted, targets, metric, method, false);
    }

    /**
     * The score of every edge, averaged over the images of the runs.
     *
     * @param clean     the clean runs (batch B, from pixels), keeping {@link #keepForClean()}
     * @param corrupted the corrupted runs of the same images, keeping {@link #keepForCorrupted()}
     * @param targets   the class tracked for each image (B of them)
     * @param perToken  also keep each edge's score per token ({@code edges × tokens} doubles)
     * @throws IllegalArgumentException for runs of different batches, runs that did not keep what they must, or a
     *                                  metric that takes a softmax of a model without classifier
     */
    public EdgeScores score(Activations clean, Activations corrupted, int[] targets, Metric metric,
                            EdgeMethod method, boolean perToken) {
        Runs.check(config, clean, corrupted, targets, metric);
        int b = clean.batch();
        double[] scale = Runs.scales(config, clean, corrupted, targets, metric);
        Sums sums = new Sums(graph.size(), perToken ? graph.tokens() : 0);
        Objective objective = metric.objective(targets);
        if (method.kind() == EdgeMethod.Kind.EAP) {
            accumulate(sums, clean, corrupted, corrupted, objective, scale, 1);
        } else {
            INDArray from = corrupted.get(Site.residPre(0));                                        // [B, T, D]
            try (INDArray delta = clean.get(Site.residPre(0)).sub(from)) {
                for (int j = 0; j < method.steps(); j++) {
                    double alpha = (j + 0.5) / method.steps();
                    try (INDArray point = delta.mul(alpha).addi(from);
                         Activations run = vit.run(Input.residPre(0, point), Vit.keepForBackward())) {
                        accumulate(sums, clean, corrupted, run, objective, scale, 1.0 / method.steps());
                    }
                }
            }
        }
        return new EdgeScores(graph, method, sums.mean(b), perToken ? sums.meanPerToken(b) : null, b);
    }

    /** Adds {@code weight} × the scores whose gradients are taken at {@code at} (a run of the same B images). */
    private void accumulate(Sums sums, Activations clean, Activations corrupted, Activations at, Objective objective,
                            double[] scale, double weight) {
        Keep readers = Keep.kinds(Site.Kind.Q, Site.Kind.K, Site.Kind.V, Site.Kind.LN2)
                .and(Keep.sites(Site.residPost(config.layers() - 1)));
        try (Gradients g = vit.backward(at, objective, readers)) {
            for (int i = 0; i < clean.batch(); i++) {
                INDArray deltas = outputs.deltas(clean, corrupted, i);                              // [N_u, T, D]
                for (int l = 0; l < config.layers(); l++) {
                    INDArray grads = blockReaders(at, g, l, i);                                      // [3H + 1, T, D]
                    sums.add(graph, graph.readerStart(l), grads, deltas, weight * scale[i]);
                    NodeOutputs.free(grads);
                }
                INDArray out = NodeOutputs.image(g.get(Site.residPost(config.layers() - 1)), i);   // [1, T, D]
                sums.add(graph, graph.readers() - 1, out, deltas, weight * scale[i]);
                NodeOutputs.free(out);
                NodeOutputs.free(deltas);
            }
        }
    }

    /**
     * {@code [3H + 1, T, D]}: ∂m/∂in of block l's readers for image {@code row}: head h's q, k, v inputs at
     * {@code 3h + x}, the MLP's input last.
     */
    private INDArray blockReaders(Activations at, Gradients g, int l, int row) {
        VitWeights.Block w = vit.weights().blocks().get(l);
        double eps = config.layerNormEps();
        int h = config.heads();
        int t = config.tokens();
        INDArray dq = headRows(g.get(Site.q(l)), row);                                           // [H, T, d]
        INDArray dk = headRows(g.get(Site.k(l)), row);
        INDArray dv = headRows(g.get(Site.v(l)), row);
        INDArray dqkv = Nd4j.stack(1, dq, dk, dv).reshape(3L * h, t, config.headDim());           // [3H, T, d]
        INDArray dLn1 = outputs.heads(l).readBack(dqkv);                                          // [3H, T, D]
        INDArray residPre = NodeOutputs.image(at.get(Site.residPre(l)), row);                   // [1, T, D]
        INDArray heads = Norms.backward(dLn1, residPre, w.norm1(), eps);
        INDArray dLn2 = NodeOutputs.image(g.get(Site.ln2(l)), row);                              // [1, T, D]
        INDArray residMid = NodeOutputs.image(at.get(Site.residMid(l)), row);
        INDArray mlp = Norms.backward(dLn2, residMid, w.norm2(), eps);
        INDArray all = Nd4j.concat(0, heads, mlp);
        for (INDArray a : new INDArray[] {dq, dk, dv, dqkv, dLn1, residPre, heads, dLn2, residMid, mlp}) {
            NodeOutputs.free(a);
        }
        return all;
    }

    /** {@code [H, T, d]}: image {@code row} of a per-head site array {@code [B, H, T, d]}. */
    private static INDArray headRows(INDArray site, int row) {
        return site.get(NDArrayIndex.point(row), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all())
                .dup('c');
    }
}
