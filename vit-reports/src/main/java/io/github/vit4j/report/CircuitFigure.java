package io.github.vit4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.CubicCurve2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jfree.chart.ui.Drawable;
import org.jfree.svg.SVGHints;

/**
 * The figure of a circuit: its nodes in layers ({@code input} at the bottom, one row per block with its heads and,
 * half a row higher since it reads them, its MLP; {@code logits} at the top) and its edges as curves from the top of
 * the upstream node to the port of the input they feed at the bottom of the downstream node ({@code q}, {@code k},
 * {@code v} of a head, side by side; {@code mlp}; {@code out} of the logits), each port named. An edge's width grows with |score| (the largest is
 * 8 px wide), its colour says the sign (red positive, blue negative, as the heatmaps' scale); a legend says
 * so. Nodes no edge touches are drawn faint, for orientation. Plain data in, so any edge scorer can draw with it.
 *
 * <p>In the SVG every node is an element with id {@code node:NAME} and every edge one with id
 * {@code edge:UPSTREAM:DOWNSTREAM:INPUT}, for tools and tests that read the figure back.
 */
public final class CircuitFigure {

    /** The width of the edge of largest |score|, in px. */
    static final float WIDEST = 8f;
    /** The width of an edge of score 0, in px. */
    static final float THINNEST = 0.6f;

    private static final Pattern HEAD = Pattern.compile("blocks\\.(\\d+)\\.head\\.(\\d+)");
    private static final Pattern MLP = Pattern.compile("blocks\\.(\\d+)\\.mlp");
    private static final Color POSITIVE = new Color(0xb2182b);
    private static final Color NEGATIVE = new Color(0x2166ac);
    private static final int NODE_W = 54;
    private static final int NODE_H = 22;
    private static final int COLUMN = 70;
    private static final int ROW = 78;
    private static final int LEFT = 80;
    private static final int TOP = 70;

    /**
     * One edge of a circuit: {@code upstream}'s output read by {@code downstream}'s {@code input}.
     *
     * @param upstream   {@code input}, {@code blocks.L.head.H} or {@code blocks.L.mlp}
     * @param downstream {@code blocks.L.head.H}, {@code blocks.L.mlp} or {@code logits}
     * @param input      {@code q}, {@code k}, {@code v} (a head's), {@code mlp} (an MLP's) or {@code out} (the
     *                   logits')
     * @param score      the edge's score (any sign; NaN is refused)
     */
    public record Edge(String upstream, String downstream, String input, double score) {

        /** @throws IllegalArgumentException for a null name or a NaN or infinite score */
        public Edge {
            if (upstream == null || downstream == null || input == null) {
                throw new IllegalArgumentException("an edge names its upstream node, its downstream node and the"
                        + " input it feeds, got " + upstream + " → " + downstream + " (" + input + ")");
            }
            if (!Double.isFinite(score)) {
                throw new IllegalArgumentException("edge " + upstream + " → " + downstream + " (" + input
                        + ") has score " + score + "; scores must be finite numbers");
            }
        }
    }

    private CircuitFigure() {
    }

    /**
     * The figure of a circuit of a model with {@code layers} blocks of {@code heads} heads.
     *
     * @param title     the figure's title (model, metric, how the edges were chosen)
     * @throws IllegalArgumentException for a node that is not one of the model's, an input that does not go with its
     *                                  downstream node, an edge that does not go upward (from an earlier layer) or
     *                                  one given twice
     */
    public static Figure of(List<Edge> edges, int layers, int heads, String title) {
        if (layers < 1 || heads < 1) {
            throw new IllegalArgumentException("a circuit figure needs at least one layer and one head, got " + layers
                    + " layers of " + heads + " heads");
        }
        Layout layout = new Layout(layers, heads);
        Set<String> seen = new HashSet<>();
        for (Edge e : edges) {
            layout.check(e);
            if (!seen.add(e.upstream() + ":" + e.downstream() + ":" + e.input())) {
                throw new IllegalArgumentException("edge " + e.upstream() + " → " + e.downstream() + " (" + e.input()
                        + ") is given twice; give each edge once, with its score");
            }
        }
        List<Edge> ordered = new ArrayList<>(edges);
        ordered.sort(Comparator.comparingDouble(e -> Math.abs(e.score())));      // strongest drawn last, on top
        int width = Math.max(LEFT + (heads + 1) * COLUMN + 40, 560);
        int height = TOP + (layers + 1) * ROW + NODE_H + 110;
        return new Figure(new Drawing(List.copyOf(ordered), layout, title == null ? "" : title, width, height),
                width, height);
    }

    /** Where every node is drawn, and which nodes and inputs exist. */
    private record Layout(int layers, int heads) {

        /** The row of a node: 0 for input, L + 1 for block L, layers + 1 for logits; −1 for no node. */
        int row(String node) {
            if (node.equals("input")) {
                return 0;
            }
            if (node.equals("logits")) {
                return layers + 1;
            }
            Matcher h = HEAD.matcher(node);
            if (h.matches() && Integer.parseInt(h.group(1)) < layers && Integer.parseInt(h.group(2)) < heads) {
                return Integer.parseInt(h.group(1)) + 1;
            }
            Matcher m = MLP.matcher(node);
            if (m.matches() && Integer.parseInt(m.group(1)) < layers) {
                return Integer.parseInt(m.group(1)) + 1;
            }
            return -1;
        }

        /** The centre x of a node. */
        double x(String node) {
            Matcher h = HEAD.matcher(node);
            if (h.matches()) {
                return LEFT + Integer.parseInt(h.group(2)) * COLUMN + NODE_W / 2.0;
            }
            if (MLP.matcher(node).matches()) {
                return LEFT + heads * COLUMN + NODE_W / 2.0;
            }
            return LEFT + heads * COLUMN / 2.0 + NODE_W / 2.0;                      // input, logits: centred
        }

        /** The centre y of a row's nodes (row 0 at the bottom). */
        double y(int row) {
            return TOP + (layers + 1 - row) * ROW + NODE_H / 2.0;
        }

        /** The centre y of a node: its row's, half a row higher for an MLP (it reads its own layer's heads). */
        double y(String node) {
            return y(row(node)) - (MLP.matcher(node).matches() ? ROW / 2.0 : 0);
        }

        /** The x of a downstream node's port for {@code input}: q, k, v side by side on a head. */
        double portX(String node, String input) {
            double offset = switch (input) {
                case "q" -> -NODE_W / 3.0;
                case "v" -> NODE_W / 3.0;
                default -> 0;
            };
            return x(node) + offset;
        }

        void check(Edge e) {
            int up = row(e.upstream());
            int down = row(e.downstream());
            if (up < 0 || e.upstream().equals("logits")) {
                throw new IllegalArgumentException("edge upstream node " + e.upstream() + " is not one of a "
                        + layers + "-layer, " + heads + "-head model's: expected input, blocks.L.head.H or"
                        + " blocks.L.mlp");
            }
            if (down < 1 || e.downstream().equals("input")) {
                throw new IllegalArgumentException("edge downstream node " + e.downstream() + " is not one of a "
                        + layers + "-layer, " + heads + "-head model's: expected blocks.L.head.H, blocks.L.mlp or"
                        + " logits");
            }
            boolean head = HEAD.matcher(e.downstream()).matches();
            boolean fits = head ? Set.of("q", "k", "v").contains(e.input())
                    : e.downstream().equals("logits") ? e.input().equals("out") : e.input().equals("mlp");
            if (!fits) {
                throw new IllegalArgumentException("edge " + e.upstream() + " → " + e.downstream() + " feeds input "
                        + e.input() + ", expected " + (head ? "q, k or v" : e.downstream().equals("logits") ? "out"
                        : "mlp") + " for that node");
            }
            boolean upward = down > up || (down == up && MLP.matcher(e.downstream()).matches()
                    && HEAD.matcher(e.upstream()).matches());
            if (!upward) {
                throw new IllegalArgumentException("edge " + e.upstream() + " → " + e.downstream() + " does not go"
                        + " from an earlier node to a later one");
            }
        }

        /** Every node of the model, bottom row first. */
        List<String> nodes() {
            List<String> nodes = new ArrayList<>();
            nodes.add("input");
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    nodes.add("blocks." + l + ".head." + h);
                }
                nodes.add("blocks." + l + ".mlp");
            }
            nodes.add("logits");
            return nodes;
        }
    }

    /** The drawing itself, on any Graphics2D (the SVG's and the PNG's). */
    private record Drawing(List<Edge> edges, Layout layout, String title, int width, int height) implements Drawable {

        @Override
        public void draw(Graphics2D g2, Rectangle2D area) {
            g2.setColor(Color.WHITE);
            g2.fill(area);
            g2.setColor(Color.BLACK);
            g2.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g2.drawString(title, 12, 22);
            double largest = edges.stream().mapToDouble(e -> Math.abs(e.score())).max().orElse(0);
            Set<String> touched = new HashSet<>();
            Set<String> ports = new HashSet<>();
            for (Edge e : edges) {
                touched.add(e.upstream());
                touched.add(e.downstream());
                ports.add(e.downstream() + ":" + e.input());
            }
            rowLabels(g2);
            for (Edge e : edges) {
                edge(g2, e, largest);
            }
            for (String node : layout.nodes()) {
                node(g2, node, touched.contains(node));
            }
            g2.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
            g2.setColor(Color.DARK_GRAY);
            for (String port : ports) {
                int colon = port.lastIndexOf(':');
                String node = port.substring(0, colon);
                String input = port.substring(colon + 1);
                double y = layout.y(node) + NODE_H / 2.0 + 10;
                centred(g2, input, layout.portX(node, input), y);
            }
            legend(g2, largest);
        }

        private void rowLabels(Graphics2D g2) {
            g2.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g2.setColor(Color.GRAY);
            for (int l = 0; l < layout.layers(); l++) {
                g2.drawString("layer " + l, 12, (float) layout.y(l + 1) + 4);
            }
        }

        private void edge(Graphics2D g2, Edge e, double largest) {
            float w = largest == 0 ? THINNEST
                    : (float) (THINNEST + (WIDEST - THINNEST) * Math.abs(e.score()) / largest);
            Color c = e.score() >= 0 ? POSITIVE : NEGATIVE;
            g2.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 190));
            g2.setStroke(new BasicStroke(w, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            double x1 = layout.x(e.upstream());
            double y1 = layout.y(e.upstream()) - NODE_H / 2.0;
            double x2 = layout.portX(e.downstream(), e.input());
            double y2 = layout.y(e.downstream()) + NODE_H / 2.0;
            double bend = Math.max(20, (y1 - y2) / 2);
            g2.setRenderingHint(SVGHints.KEY_ELEMENT_ID, "edge:" + e.upstream() + ":" + e.downstream() + ":"
                    + e.input());
            g2.draw(new CubicCurve2D.Double(x1, y1, x1, y1 - bend, x2, y2 + bend, x2, y2));
        }

        private void node(Graphics2D g2, String node, boolean inCircuit) {
            double x = layout.x(node);
            double y = layout.y(node);
            boolean wide = node.equals("input") || node.equals("logits");
            double w = wide ? NODE_W * 1.6 : NODE_W;
            RoundRectangle2D box = new RoundRectangle2D.Double(x - w / 2, y - NODE_H / 2.0, w, NODE_H, 8, 8);
            g2.setColor(inCircuit ? new Color(0xfff2cc) : new Color(0xf4f4f4));
            g2.setRenderingHint(SVGHints.KEY_ELEMENT_ID, "node:" + node);
            g2.fill(box);
            g2.setStroke(new BasicStroke(inCircuit ? 1.4f : 0.6f));
            g2.setColor(inCircuit ? Color.BLACK : Color.LIGHT_GRAY);
            g2.draw(box);
            g2.setFont(new Font(Font.SANS_SERIF, inCircuit ? Font.BOLD : Font.PLAIN, 10));
            g2.setColor(inCircuit ? Color.BLACK : Color.GRAY);
            centred(g2, label(node), x, y + 4);
        }

        /** A node's short label: {@code input}, {@code logits}, {@code a3.1} (head 1 of layer 3), {@code m3}. */
        private static String label(String node) {
            Matcher h = HEAD.matcher(node);
            if (h.matches()) {
                return "a" + h.group(1) + "." + h.group(2);
            }
            Matcher m = MLP.matcher(node);
            return m.matches() ? "m" + m.group(1) : node;
        }

        private void legend(Graphics2D g2, double largest) {
            float y = height - 70;
            g2.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g2.setColor(Color.BLACK);
            if (edges.isEmpty()) {
                g2.drawString("no edges: the circuit is empty", 12, y);
                return;
            }
            int x = 12;
            for (boolean positive : new boolean[] {true, false}) {
                g2.setColor(positive ? POSITIVE : NEGATIVE);
                g2.setStroke(new BasicStroke(WIDEST / 2));
                g2.draw(new Line2D.Double(x, y - 4, x + 28, y - 4));
                g2.setColor(Color.BLACK);
                String text = positive ? "positive score" : "negative score";
                g2.drawString(text, x + 34, y);
                x += 44 + g2.getFontMetrics().stringWidth(text);
            }
            x = 12;
            y += 20;
            for (double fraction : new double[] {1, 0.5, 0.1}) {
                g2.setColor(Color.DARK_GRAY);
                g2.setStroke(new BasicStroke((float) (THINNEST + (WIDEST - THINNEST) * fraction)));
                g2.draw(new Line2D.Double(x, y - 4, x + 28, y - 4));
                g2.setColor(Color.BLACK);
                String text = "|score| " + String.format(Locale.ROOT, "%.3g", largest * fraction);
                g2.drawString(text, x + 34, y);
                x += 44 + g2.getFontMetrics().stringWidth(text);
            }
            g2.drawString("width ∝ |score| · ports: q k v of head aL.H, mlp of MLP mL, out of the logits · "
                    + edges.size() + " edges", 12, y + 20);
        }

        private static void centred(Graphics2D g2, String text, double x, double y) {
            FontMetrics fm = g2.getFontMetrics();
            g2.drawString(text, (float) (x - fm.stringWidth(text) / 2.0), (float) y);
        }
    }
}
