package io.github.vit4j.circuit;

/**
 * Faithfulness over circuits of growing size: point i is the circuit of the first {@code chosen[i]} edges of the
 * selection's order, {@code kept[i]} edges after its pruning, and its faithfulness
 * {@code (m(circuit) − m(corrupt)) / (m(clean) − m(corrupt))}, each m the mean over the images (1 = the whole
 * model's behaviour, 0 = the corrupted run's).
 *
 * @param selection    how the edges were chosen
 * @param totalEdges   the graph's edges
 * @param chosen       the edges taken from the order, per point
 * @param kept         the edges of the circuit evaluated, per point (= chosen for {@link Selection#TOP})
 * @param faithfulness per point
 * @param area         the area under faithfulness against {@code kept / totalEdges}, by the trapezoid rule over
 *                     the points (from the first point to the last; 1 for a circuit as faithful as the model at
 *                     every size)
 */
public record FaithfulnessCurve(Selection selection, int totalEdges, int[] chosen, int[] kept, double[] faithfulness,
                                double area) {

    public FaithfulnessCurve {
        if (chosen.length != kept.length || kept.length != faithfulness.length) {
            throw new IllegalArgumentException("a curve needs as many counts as faithfulness values, got "
                    + chosen.length + ", " + kept.length + " and " + faithfulness.length);
        }
        chosen = chosen.clone();
        kept = kept.clone();
        faithfulness = faithfulness.clone();
    }

    /** The trapezoid area under faithfulness against {@code kept / total}, points in the order given. */
    static double area(int[] kept, double[] faithfulness, int total) {
        double a = 0;
        for (int i = 1; i < kept.length; i++) {
            a += (kept[i] - kept[i - 1]) / (double) total * (faithfulness[i] + faithfulness[i - 1]) / 2;
        }
        return a;
    }

    @Override
    public int[] chosen() {
        return chosen.clone();
    }

    @Override
    public int[] kept() {
        return kept.clone();
    }

    @Override
    public double[] faithfulness() {
        return faithfulness.clone();
    }
}
