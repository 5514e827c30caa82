package io.github.vit4j.circuit;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.ImageRuns;
import io.github.vit4j.trace.Metric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Circuit discovery over the first images of a source, in two passes over batches of clean and corrupted runs
 * (those of a trace: {@link ImageRuns}): first every edge's estimated score (EAP or EAP-IG, averaged over the
 * images), then, for the edges those scores choose, the exact scores of the top edges and the faithfulness curves
 * of both {@link Selection}s (each point a ratio of means over all images).
 */
public final class CircuitStudy {

    /**
     * A study's settings.
     *
     * @param corruption how inputs are corrupted (calibrated on the source's first 64 images if it needs it)
     * @param metric     what an edge's effect is measured in (the metric's default for the model: {@link
     *                   Metric#defaultFor})
     * @param method     eap or eap-ig:K
     * @param target     the class tracked
     * @param seed       seed of the corruption's randomness
     * @param batchSize  images per clean/corrupted batch
     * @param limit      the first {@code limit} images of the source (at most its size)
     * @param verifyTop  how many edges of largest |score| to patch exactly (0: none)
     * @param counts     the curve's points, in edges ({@link Circuits#defaultCounts} for the graph's size)
     */
    public record Options(Corruption corruption, Metric metric, EdgeMethod method, DatasetTrace.Target target,
                          long seed, int batchSize, int limit, int verifyTop, int[] counts) {
        public Options {
            if (corruption == null || metric == null || method == null || target == null) {
                throw new IllegalArgumentException("a circuit study needs a corruption, a metric, a method and a"
                        + " target, got " + corruption + ", " + metric + ", " + method + ", " + target);
            }
            if (batchSize <= 0 || limit <= 0 || verifyTop < 0) {
                throw new IllegalArgumentException("batch size " + batchSize + " and limit " + limit + " must be"
                        + " positive and verifyTop " + verifyTop + " at least 0");
            }
            counts = counts.clone();
        }

        @Override
        public int[] counts() {
            return counts.clone();
        }
    }

    /**
     * What a study found.
     *
     * @param scores     every edge's estimated score, averaged over the images
     * @param verified   the {@code verifyTop} edges of largest |score|, largest first
     * @param exact      their exact scores, averaged over the images, in the same order
     * @param curves     the faithfulness curves, {@link Selection#TOP} then {@link Selection#GREEDY}
     * @param corruption the corruption as calibrated
     * @param images     the images studied
     */
    public record Result(EdgeScores scores, List<Edge> verified, double[] exact, List<FaithfulnessCurve> curves,
                         Corruption corruption, int images) {

        /**
         * The smallest greedy circuit of the curve whose faithfulness reaches {@code faithfulness} (the largest
         * point's if none does): its curve point, and its edges after pruning, in the graph's order.
         */
        public Circuit circuit(double faithfulness) {
            FaithfulnessCurve greedy = curves.get(Selection.GREEDY.ordinal());
            int point = greedy.kept().length - 1;
            for (int p = 0; p < greedy.kept().length; p++) {
                if (greedy.faithfulness()[p] >= faithfulness) {
                    point = p;
                    break;
                }
            }
            int[] order = scores.order(Selection.GREEDY);
            BitSet chosen = new BitSet();
            for (int i = 0; i < Math.min(greedy.chosen()[point], order.length); i++) {
                chosen.set(order[i]);
            }
            BitSet kept = scores.graph().connected(chosen);
            List<Edge> edges = new ArrayList<>();
            for (int e = kept.nextSetBit(0); e >= 0; e = kept.nextSetBit(e + 1)) {
                edges.add(scores.graph().edge(e));
            }
            return new Circuit(edges, greedy.faithfulness()[point]);
        }
    }

    /**
     * A circuit a study kept.
     *
     * @param edges        its edges, in the graph's order
     * @param faithfulness its faithfulness over the study's images
     */
    public record Circuit(List<Edge> edges, double faithfulness) {
    }

    private final Vit vit;
    private final Preprocessing preprocessing;
    private final ImageSource source;
    private final Options options;

    public CircuitStudy(Vit vit, Preprocessing preprocessing, ImageSource source, Options options) {
        this.vit = vit;
        this.preprocessing = preprocessing;
        this.source = source;
        this.options = options;
        options.metric().checkFits(vit.config());
    }

    /**
     * Runs the study.
     *
     * @param imagesDone called after each batch of each pass with the images done in all passes so far (of
     *                   2 × the images studied)
     */
    public Result run(IntConsumer imagesDone) throws IOException {
        int n = Math.min(options.limit(), source.size());
        Corruption corruption = calibrated();
        ImageRuns runs = new ImageRuns(vit, preprocessing, source, corruption, options.target(), options.seed(),
                options.batchSize());
        EdgeAttribution eap = new EdgeAttribution(vit);
        EdgeScores[] mean = new EdgeScores[1];                          // the running average over the batches
        int[] done = {0};
        runs.forEachBatch(0, n, EdgeAttribution.keepForClean(), EdgeAttribution.keepForCorrupted(),
                (first, clean, corrupted, targets) -> {
                    EdgeScores batch = eap.score(clean, corrupted, targets, options.metric(), options.method());
                    mean[0] = mean[0] == null ? batch : mean[0].plus(batch);
                    done[0] += targets.length;
                    imagesDone.accept(done[0]);
                });
        EdgeScores scores = mean[0];
        List<Edge> verified = scores.top(options.verifyTop());
        Circuits circuits = new Circuits(vit);
        List<BitSet> chosen = new ArrayList<>();
        List<int[]> kept = new ArrayList<>();
        for (Selection s : Selection.values()) {
            int[] order = scores.order(s);
            int[] k = new int[options.counts().length];
            for (int p = 0; p < k.length; p++) {
                BitSet c = new BitSet();
                for (int i = 0; i < Math.min(options.counts()[p], order.length); i++) {
                    c.set(order[i]);
                }
                BitSet circuit = s == Selection.GREEDY ? circuits.graph().connected(c) : c;
                chosen.add(circuit);
                k[p] = circuit.cardinality();
            }
            kept.add(k);
        }
        ExactEdges exactEdges = new ExactEdges(vit);
        double[] exact = new double[verified.size()];
        double[] effects = new double[chosen.size()];
        double[] full = {0};
        runs.forEachBatch(0, n, EdgeAttribution.keepForClean(), EdgeAttribution.keepForCorrupted(),
                (first, clean, corrupted, targets) -> {
                    double[] e = exactEdges.scores(clean, corrupted, targets, options.metric(), verified);
                    for (int i = 0; i < e.length; i++) {
                        exact[i] += e[i] * targets.length / n;
                    }
                    double[][] c = circuits.effects(clean, corrupted, targets, options.metric(), chosen);
                    for (int i = 0; i < c.length; i++) {
                        for (double v : c[i]) {
                            effects[i] += v;
                        }
                    }
                    for (int i = 0; i < targets.length; i++) {
                        float[] logits = Runs.row(clean, i);
                        full[0] += options.metric().effect(logits, Runs.row(corrupted, i), logits, targets[i]);
                    }
                    done[0] += targets.length;
                    imagesDone.accept(done[0]);
                });
        List<FaithfulnessCurve> curves = new ArrayList<>();
        int points = options.counts().length;
        for (int s = 0; s < Selection.values().length; s++) {
            double[] f = new double[points];
            for (int p = 0; p < points; p++) {
                f[p] = effects[s * points + p] / full[0];
            }
            curves.add(new FaithfulnessCurve(Selection.values()[s], scores.graph().size(), options.counts(),
                    kept.get(s), f, FaithfulnessCurve.area(kept.get(s), f, scores.graph().size())));
        }
        return new Result(scores, verified, exact, curves, corruption, n);
    }

    private Corruption calibrated() throws IOException {
        Corruption c = options.corruption();
        if (!c.needsCalibration()) {
            return c;
        }
        int count = Math.min(source.size(), DatasetTrace.CALIBRATION_IMAGES);
        ImageSource.Batch sample = source.read(0, count, preprocessing);
        return c.calibrate(vit.run(sample.input(), Keep.sites(Site.embed())));
    }
}
