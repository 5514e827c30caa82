package io.github.vit4j.circuit;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.Metric;

/** The checks every computation on a clean and a corrupted run makes, and the metric's per-image scale. */
final class Runs {

    private Runs() {
    }

    /**
     * Refuses runs of different batches, a target count that is not the batch, runs that did not keep what they
     * must, and a metric that does not fit the model.
     */
    static void check(VitConfig config, Activations clean, Activations corrupted, int[] targets, Metric metric) {
        int b = clean.batch();
        if (corrupted.batch() != b || targets.length != b) {
            throw new IllegalArgumentException("clean batch " + b + ", corrupted batch " + corrupted.batch() + " and "
                    + targets.length + " targets: give one corrupted run and one target per clean image");
        }
        metric.checkFits(config);
        checkKept(config, clean, "clean", EdgeAttribution.keepForClean(), "keepForClean");
        checkKept(config, corrupted, "corrupted", EdgeAttribution.keepForCorrupted(), "keepForCorrupted");
    }

    /** Each image's factor on its metric's changes: 1/(p_clean − p_corrupt) for normalized, else 1. */
    static double[] scales(VitConfig config, Activations clean, Activations corrupted, int[] targets,
                           Metric metric) {
        double[] s = new double[clean.batch()];
        for (int i = 0; i < s.length; i++) {
            if (metric == Metric.NORMALIZED) {
                double pc = Metric.probability(row(clean, i), targets[i]);
                double pk = Metric.probability(row(corrupted, i), targets[i]);
                s[i] = 1 / (pc - pk);
            } else {
                s[i] = 1;
            }
        }
        return s;
    }

    /** Image i's logits. */
    static float[] row(Activations run, int i) {
        return run.logits().getRow(i).toFloatVector();
    }

    /** Refuses a run that did not keep a per-block site of {@code keep}. */
    private static void checkKept(VitConfig config, Activations run, String which, Keep keep, String method) {
        for (int l = 0; l < config.layers(); l++) {
            for (Site.Kind k : Site.Kind.values()) {
                if (k.perBlock() && keep.keeps(Site.of(l, k)) && !run.has(Site.of(l, k))) {
                    throw new IllegalArgumentException("the " + which + " run did not keep " + Site.of(l, k)
                            + "; run it from pixels keeping EdgeAttribution." + method + "()");
                }
            }
        }
    }
}
