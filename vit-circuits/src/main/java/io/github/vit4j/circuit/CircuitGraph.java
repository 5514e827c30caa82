package io.github.vit4j.circuit;

import io.github.vit4j.model.VitConfig;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The graph whose edges a circuit is made of, as in TransformerLens's and ViT-Prisma's EAP: nodes are the input,
 * every attention head, every MLP and the output ({@link Node}); an edge joins every node u to every later node v's
 * input ({@link EdgeInput}: a head's q, k and v inputs are three inputs, since each reads the residual stream
 * through its own share of the block's LayerNorm and projection). The residual stream is read only through these
 * inputs, and it is the sum of what the nodes before the reader wrote, so the input of node v is
 * {@code Σ_u a_u} over its upstream nodes u, plus constants.
 *
 * <p>Sizes: {@code 1 + L(H + 1)} upstream nodes, {@code L(3H + 1) + 1} inputs, and {@code Σ_l [3H(1 + l(H + 1)) +
 * 1 + l(H + 1) + H] + 1 + L(H + 1)} edges: 479 for the CIFAR-10 model of ../shared (4 × 4 heads), 2 845 for
 * DeiT-tiny (12 × 3), 32 491 for ViT-B/16 (12 × 12).
 *
 * <p>The constants: each block's attention output bias b_O is folded into that block's MLP node (its output
 * {@code mlp_out + b_O}), so that a block's heads and MLP add up to what the block adds to the stream; LayerNorm
 * and bias terms of the input are the input node's. A constant is the same in the clean and the corrupted run, so
 * where it is folded changes no score, no exact edge score and no circuit's metric: in every one of them a node's
 * input is the corrupted (or clean) run's input plus differences of node outputs, in which the constants cancel.
 *
 * <p>Every family vit4j runs has this graph: CLS, distillation and register tokens are tokens like the patches
 * (scores are summed over all of them); CLIP's LayerNorm before the blocks belongs to the input node
 * ({@code input} is {@code embed_ln}'s output, which is {@code blocks.0.resid_pre}), and its LayerNorm on the
 * pooled CLS row, like DINOv2's patch mean or SigLIP's attention probe, belongs to the output, which reads the last
 * {@code resid_post}. DINOv2's layer scale is folded into the output projections when the weights are loaded, so
 * a head's output is already scaled.
 */
public final class CircuitGraph {

    private final int layers;
    private final int heads;
    private final int tokens;
    private final int[] offsets;                   // offsets[r]: the index of reader r's first edge; then the total

    private CircuitGraph(int layers, int heads, int tokens) {
        this.layers = layers;
        this.heads = heads;
        this.tokens = tokens;
        int readers = readers();
        this.offsets = new int[readers + 1];
        long total = 0;
        for (int r = 0; r < readers; r++) {
            offsets[r] = (int) total;
            total += upstreamCount(r);
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a model of " + layers + " layers × " + heads + " heads has more"
                        + " than " + Integer.MAX_VALUE + " edges; CircuitGraph indexes edges by int: trace heads"
                        + " with vit-patching instead");
            }
        }
        offsets[readers] = (int) total;
    }

    /** The graph of a model of this config. */
    public static CircuitGraph of(VitConfig config) {
        return new CircuitGraph(config.layers(), config.heads(), config.tokens());
    }

    /** The number of edges. */
    public int size() {
        return offsets[readers()];
    }

    /** The model's blocks. */
    public int layers() {
        return layers;
    }

    /** The model's heads per block. */
    public int heads() {
        return heads;
    }

    /** The model's tokens (every token, CLS and the others before the patches first). */
    public int tokens() {
        return tokens;
    }

    /**
     * Every edge, in index order: by downstream input in forward order (block 0's head 0 q, k, v, head 1 q, …, its
     * MLP, block 1, …, the output), then by upstream node in forward order (input, block 0's heads, its MLP, …).
     */
    public List<Edge> edges() {
        return new AbstractList<>() {
            @Override
            public Edge get(int i) {
                return edge(i);
            }

            @Override
            public int size() {
                return CircuitGraph.this.size();
            }
        };
    }

    /** The edge of index {@code i}. */
    public Edge edge(int i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("edge " + i + " of a graph of " + size() + " edges");
        }
        int r = readerOf(i);
        Node down = downstream(r);
        return new Edge(upstream(i - offsets[r]), down, input(r));
    }

    /**
     * The index of {@code edge} in {@link #edges()}.
     *
     * @throws IllegalArgumentException for an edge of a larger model
     */
    public int indexOf(Edge edge) {
        checkNode(edge.upstream());
        checkNode(edge.downstream());
        return offsets[reader(edge.downstream(), edge.input())] + upstreamIndex(edge.upstream());
    }

    /** The upstream nodes in forward order: the input, then per block its heads and its MLP. */
    public List<Node> upstreamNodes() {
        List<Node> nodes = new ArrayList<>();
        for (int u = 0; u < upstreamNodeCount(); u++) {
            nodes.add(upstream(u));
        }
        return nodes;
    }

    /**
     * The edges of {@code kept} that lie on a path from the input to the output through kept edges: an edge outside
     * every such path changes nothing in a circuit's evaluation (its downstream node's output reaches the output only
     * through edges outside the circuit, or its upstream node reads only corrupted inputs).
     */
    public BitSet connected(BitSet kept) {
        int nodes = upstreamNodeCount() + 1;                          // upstream nodes, then the output
        boolean[] fromInput = new boolean[nodes];
        fromInput[0] = true;
        for (int r = 0; r < readers(); r++) {
            int v = readerNode(r);
            for (int u = 0; u < upstreamCount(r); u++) {
                fromInput[v] |= fromInput[u] && kept.get(offsets[r] + u);
            }
        }
        boolean[] toOutput = new boolean[nodes];
        toOutput[nodes - 1] = true;
        for (int r = readers() - 1; r >= 0; r--) {
            int v = readerNode(r);
            for (int u = 0; u < upstreamCount(r); u++) {
                toOutput[u] |= toOutput[v] && kept.get(offsets[r] + u);
            }
        }
        BitSet out = new BitSet(size());
        for (int r = 0; r < readers(); r++) {
            int v = readerNode(r);
            for (int u = 0; u < upstreamCount(r); u++) {
                if (kept.get(offsets[r] + u) && fromInput[u] && toOutput[v]) {
                    out.set(offsets[r] + u);
                }
            }
        }
        return out;
    }

    // Index arithmetic. Upstream node u: 0 the input, 1 + l(H + 1) + h head h of block l, 1 + l(H + 1) + H its MLP.
    // Reader r (a downstream input): l(3H + 1) + 3h + x for input x ∈ {q, k, v} of head h of block l,
    // l(3H + 1) + 3H for block l's MLP, L(3H + 1) for the output.

    int upstreamNodeCount() {
        return 1 + layers * (heads + 1);
    }

    int readers() {
        return layers * (3 * heads + 1) + 1;
    }

    /** The readers of block l's attention and MLP come first at {@code readerStart(l)}; the output at L's. */
    int readerStart(int layer) {
        return layer * (3 * heads + 1);
    }

    /** How many upstream nodes reader r reads: those before it (upstream indices 0 .. count − 1). */
    int upstreamCount(int r) {
        if (r == readers() - 1) {
            return upstreamNodeCount();
        }
        int l = r / (3 * heads + 1);
        boolean mlp = r % (3 * heads + 1) == 3 * heads;
        return 1 + l * (heads + 1) + (mlp ? heads : 0);
    }

    int offset(int r) {
        return offsets[r];
    }

    int upstreamIndex(Node n) {
        return switch (n.kind()) {
            case INPUT -> 0;
            case HEAD -> 1 + n.layer() * (heads + 1) + n.head();
            case MLP -> 1 + n.layer() * (heads + 1) + heads;
            case LOGITS -> throw new IllegalArgumentException("the output writes to nothing; it is no upstream node");
        };
    }

    Node upstream(int u) {
        if (u == 0) {
            return Node.input();
        }
        int l = (u - 1) / (heads + 1);
        int h = (u - 1) % (heads + 1);
        return h == heads ? Node.mlp(l) : Node.head(l, h);
    }

    int reader(Node downstream, EdgeInput input) {
        return switch (downstream.kind()) {
            case HEAD -> readerStart(downstream.layer()) + 3 * downstream.head() + input.ordinal();
            case MLP -> readerStart(downstream.layer()) + 3 * heads;
            case LOGITS -> readers() - 1;
            case INPUT -> throw new IllegalArgumentException("the input reads nothing");
        };
    }

    Node downstream(int r) {
        if (r == readers() - 1) {
            return Node.logits();
        }
        int l = r / (3 * heads + 1);
        int i = r % (3 * heads + 1);
        return i == 3 * heads ? Node.mlp(l) : Node.head(l, i / 3);
    }

    EdgeInput input(int r) {
        if (r == readers() - 1) {
            return EdgeInput.OUT;
        }
        int i = r % (3 * heads + 1);
        return i == 3 * heads ? EdgeInput.MLP : EdgeInput.values()[i % 3];
    }

    /** The reader of edge i. */
    int readerOf(int i) {
        int lo = 0;
        int hi = readers() - 1;
        while (lo < hi) {                                 // the last r with offsets[r] <= i
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The node index (as in {@link #connected}: upstream nodes, then the output) of reader r's node. */
    private int readerNode(int r) {
        Node n = downstream(r);
        return n.kind() == Node.Kind.LOGITS ? upstreamNodeCount() : upstreamIndex(n);
    }

    private void checkNode(Node n) {
        boolean fits = switch (n.kind()) {
            case INPUT, LOGITS -> true;
            case HEAD -> n.layer() < layers && n.head() < heads;
            case MLP -> n.layer() < layers;
        };
        if (!fits) {
            throw new IllegalArgumentException("node " + n + " is not in this graph of " + layers + " layers × "
                    + heads + " heads");
        }
    }
}
