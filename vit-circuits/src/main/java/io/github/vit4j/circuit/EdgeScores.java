package io.github.vit4j.circuit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * Estimated edge scores averaged over images: {@code score[e]} for edge e of {@link #graph()} (in its index order),
 * the metric's estimated change when edge e alone carries the clean run's value, summed over tokens. Optionally the
 * same per token ({@code [edge][token]}, tokens in the model's order: CLS and the other tokens before the patches
 * first), which sums over tokens to the score.
 */
public final class EdgeScores {

    private final CircuitGraph graph;
    private final EdgeMethod method;
    private final double[] scores;
    private final double[][] perToken;
    private final int images;

    EdgeScores(CircuitGraph graph, EdgeMethod method, double[] scores, double[][] perToken, int images) {
        this.graph = graph;
        this.method = method;
        this.scores = scores;
        this.perToken = perToken;
        this.images = images;
    }

    /** The graph the scores index. */
    public CircuitGraph graph() {
        return graph;
    }

    /** How the scores were estimated. */
    public EdgeMethod method() {
        return method;
    }

    /** The number of images averaged. */
    public int images() {
        return images;
    }

    /** Every edge's score, in the graph's edge order (a copy). */
    public double[] scores() {
        return scores.clone();
    }

    /** The score of {@code edge}. */
    public double score(Edge edge) {
        return scores[graph.indexOf(edge)];
    }

    /** Whether per-token scores were computed. */
    public boolean hasPerToken() {
        return perToken != null;
    }

    /**
     * {@code [token]}: edge {@code edge}'s score per token.
     *
     * @throws IllegalStateException when the scores were computed without per-token scores
     */
    public double[] perToken(Edge edge) {
        if (perToken == null) {
            throw new IllegalStateException("these edge scores have no per-token scores; compute them with"
                    + " EdgeAttribution.score(..., true)");
        }
        return perToken[graph.indexOf(edge)].clone();
    }

    /** The indices of the edges, largest |score| first (ties: lower index first). */
    public int[] byMagnitude() {
        return IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.comparingDouble((Integer e) -> -Math.abs(scores[e])).thenComparingInt(e -> e))
                .mapToInt(Integer::intValue).toArray();
    }

    /** The {@code n} edges of largest |score|, largest first. */
    public List<Edge> top(int n) {
        List<Edge> out = new ArrayList<>();
        int[] order = byMagnitude();
        for (int i = 0; i < Math.min(n, order.length); i++) {
            out.add(graph.edge(order[i]));
        }
        return out;
    }

    /**
     * These scores and {@code other}'s (of other images, the same graph and method) as one average, weighted by
     * their image counts.
     */
    public EdgeScores plus(EdgeScores other) {
        if (other.graph.size() != graph.size() || !other.method.equals(method)
                || other.hasPerToken() != hasPerToken()) {
            throw new IllegalArgumentException("edge scores of " + other.graph.size() + " edges (" + other.method
                    + (other.hasPerToken() ? ", per token" : "") + ") cannot be averaged with scores of "
                    + graph.size() + " edges (" + method + (hasPerToken() ? ", per token" : "")
                    + "); give scores of the same model, method and per-token setting");
        }
        int n = images + other.images;
        double a = (double) images / n;
        double b = (double) other.images / n;
        double[] s = new double[scores.length];
        for (int e = 0; e < s.length; e++) {
            s[e] = a * scores[e] + b * other.scores[e];
        }
        double[][] t = null;
        if (perToken != null) {
            t = new double[perToken.length][];
            for (int e = 0; e < t.length; e++) {
                t[e] = new double[perToken[e].length];
                for (int p = 0; p < t[e].length; p++) {
                    t[e][p] = a * perToken[e][p] + b * other.perToken[e][p];
                }
            }
        }
        return new EdgeScores(graph, method, s, t, n);
    }

    /**
     * Every edge index in the order {@code selection} takes them: by |score| ({@link Selection#TOP}), or greedily
     * from the output ({@link Selection#GREEDY}: the largest |score| among the edges into the output or into a node
     * an earlier edge leaves).
     */
    public int[] order(Selection selection) {
        if (selection == Selection.TOP) {
            return byMagnitude();
        }
        double[] s = scores;
        PriorityQueue<Integer> candidates = new PriorityQueue<>((a, b) -> {
            int c = Double.compare(Math.abs(s[b]), Math.abs(s[a]));
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<List<Integer>> into = new ArrayList<>();                   // per upstream node: the edges into it
        for (int u = 0; u < graph.upstreamNodeCount(); u++) {
            into.add(new ArrayList<>());
        }
        for (int e = 0; e < graph.size(); e++) {
            Node v = graph.edge(e).downstream();
            if (v.kind() == Node.Kind.LOGITS) {
                candidates.add(e);
            } else {
                into.get(graph.upstreamIndex(v)).add(e);
            }
        }
        boolean[] reached = new boolean[graph.upstreamNodeCount()];
        int[] order = new int[graph.size()];
        int n = 0;
        while (!candidates.isEmpty()) {
            int e = candidates.poll();
            order[n++] = e;
            int u = graph.upstreamIndex(graph.edge(e).upstream());
            if (!reached[u]) {
                reached[u] = true;
                candidates.addAll(into.get(u));
            }
        }
        return order;
    }

}
