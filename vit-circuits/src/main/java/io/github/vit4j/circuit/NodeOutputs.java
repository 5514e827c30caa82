package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The upstream nodes' outputs a_u of one image of a run, stacked in the graph's upstream order: {@code [N_u, T, D]},
 * row 0 {@code blocks.0.resid_pre}, then per block its heads' outputs ({@code z[:, h] · W_O,hᵀ}) and its
 * {@code mlp_out}. The run must have kept resid_pre of block 0, z and mlp_out.
 */
final class NodeOutputs {

    private final CircuitGraph graph;
    private final List<HeadWeights> heads;

    NodeOutputs(Vit vit, CircuitGraph graph) {
        this.graph = graph;
        this.heads = new ArrayList<>();
        vit.weights().blocks().forEach(b -> heads.add(HeadWeights.of(b, graph.heads())));
    }

    HeadWeights heads(int layer) {
        return heads.get(layer);
    }

    /** {@code [N_u, T, D]}: a_u(clean) − a_u(corrupted) of image {@code row} of both runs. */
    INDArray deltas(Activations clean, Activations corrupted, int row) {
        try (INDArray a = outputs(clean, row)) {
            return outputs(corrupted, row).rsubi(a);
        }
    }

    /** {@code [1, T, D]}: a_u(clean) − a_u(corrupted) of one upstream node u, for image {@code row}. */
    INDArray delta(Activations clean, Activations corrupted, Node u, int row) {
        try (INDArray a = output(clean, u, row)) {
            return output(corrupted, u, row).rsubi(a);
        }
    }

    /** {@code [1, T, D]}: a_u of one upstream node u, for image {@code row} of {@code run}. */
    INDArray output(Activations run, Node u, int row) {
        return switch (u.kind()) {
            case INPUT -> image(run.get(Site.residPre(0)), row);
            case MLP -> image(run.get(Site.mlpOut(u.layer())), row);
            case HEAD -> {
                INDArray z = run.get(Site.z(u.layer())).get(NDArrayIndex.interval(row, row + 1),
                        NDArrayIndex.interval(u.head(), u.head() + 1), NDArrayIndex.all(), NDArrayIndex.all());
                INDArray w = heads.get(u.layer()).write();                                            // [H, d, D]
                INDArray zh = z.dup('c').reshape(z.size(2), z.size(3));                               // [T, d]
                INDArray out = zh.mmul(w.get(NDArrayIndex.point(u.head()), NDArrayIndex.all(), NDArrayIndex.all()));
                yield out.reshape(1, out.size(0), out.size(1));
            }
            case LOGITS -> throw new IllegalArgumentException("the output writes to nothing; it has no output");
        };
    }

    /** {@code [N_u, T, D]}: a_u of image {@code row} of {@code run}. */
    INDArray outputs(Activations run, int row) {
        List<INDArray> parts = new ArrayList<>();
        parts.add(image(run.get(Site.residPre(0)), row));                                        // [1, T, D]
        for (int l = 0; l < graph.layers(); l++) {
            INDArray z = image(run.get(Site.z(l)), row);                                           // [1, H, T, d]
            INDArray out = heads.get(l).outputs(z);                                                 // [1, H, T, D]
            z.close();
            parts.add(out.reshape(out.size(1), out.size(2), out.size(3)));                          // [H, T, D]
            parts.add(image(run.get(Site.mlpOut(l)), row));                                         // [1, T, D]
        }
        INDArray stacked = Nd4j.concat(0, parts.toArray(INDArray[]::new));
        parts.forEach(NodeOutputs::free);
        return stacked;
    }

    /**
     * Gives the memory of {@code a} back now rather than when the garbage collector runs (ND4J's off-heap arrays
     * would otherwise pile up over a dataset): the whole buffer, when {@code a} is a view of one.
     */
    static void free(INDArray a) {
        if (a != null && !a.wasClosed()) {
            org.nd4j.linalg.api.buffer.DataBuffer d = a.data().originalDataBuffer() != null
                    ? a.data().originalDataBuffer() : a.data();
            if (d.closeable() && !d.wasClosed()) {
                d.close();
            }
        }
    }

    /** Image {@code row} of a batched site array, keeping a batch axis of 1: a new array. */
    static INDArray image(INDArray batched, int row) {
        return batched.get(NDArrayIndex.interval(row, row + 1)).dup('c');
    }
}
