package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

/**
 * Dataset examples for a neuron (Olah et al. 2017): the top-k images of a dataset, ranked by the neuron's largest
 * value over their patch tokens, and the top-k (image, patch) pairs. The images run in batches of {@code batch};
 * ties keep the earlier image (and patch) first.
 *
 * <p>Where it misleads: the top of the distribution is not the neuron's typical behaviour (most neurons are
 * polysemantic below their top examples), and the dataset decides what can be found.
 *
 * @param site   the site, per block and without heads (e.g. {@code Site.mlpPost(3)})
 * @param neuron the neuron, a coordinate of the site's last axis
 * @param k      how many images and patches to keep, ≥ 1
 * @param batch  the most images per forward, ≥ 1
 */
public record DatasetExamples(Site site, int neuron, int k, int batch) {

    public DatasetExamples {
        if (site == null || !site.kind().perBlock() || site.kind().hasHeads()) {
            throw new IllegalArgumentException("dataset examples need a per-block site with one vector per token "
                    + "(e.g. blocks.3.mlp_post), got " + site);
        }
        if (neuron < 0 || k < 1) {
            throw new IllegalArgumentException("neuron must be ≥ 0 and k ≥ 1, got neuron " + neuron + " and k " + k);
        }
        PixelModel.checkBatch(batch);
    }

    /** The top 9 images and patches, 32 images per forward. */
    public static DatasetExamples of(Site site, int neuron) {
        return new DatasetExamples(site, neuron, 9, 32);
    }

    /**
     * One example: the image's index in its source, the patch (0 .. N − 1, token {@code P + patch} after the
     * model's P = {@code VitConfig.prefixTokens()} tokens before the patches: CLS, distillation token, registers) and the value.
     */
    public record Example(int image, int patch, double activation) {
    }

    /** The top images (each at its best patch) and top patches, both by decreasing activation. */
    public record Result(List<Example> images, List<Example> patches) {
    }

    /** The examples among the first {@code limit} images of {@code source}. */
    public Result of(Vit vit, ImageSource source, Preprocessing preprocessing, int limit) throws IOException {
        return of(vit, source, preprocessing, limit, done -> { });
    }

    /** As {@link #of(Vit, ImageSource, Preprocessing, int)}, telling {@code progress} the images done after each batch. */
    public Result of(Vit vit, ImageSource source, Preprocessing preprocessing, int limit, IntConsumer progress)
            throws IOException {
        int n = Math.min(limit, source.size());
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be ≥ 1 image, got " + limit);
        }
        int t = vit.config().tokens();
        int first = vit.config().prefixTokens();
        int patchCount = vit.config().patches();
        Comparator<Example> order = Comparator.comparingDouble(Example::activation)
                .thenComparing(Comparator.comparingInt(Example::image).reversed())
                .thenComparing(Comparator.comparingInt(Example::patch).reversed());
        PriorityQueue<Example> images = new PriorityQueue<>(order);                // the weakest kept on top
        PriorityQueue<Example> patches = new PriorityQueue<>(order);
        for (int from = 0; from < n; from += batch) {
            ImageSource.Batch b = source.read(from, Math.min(batch, n - from), preprocessing);
            try (Activations run = vit.run(b.input(), Keep.sites(site))) {
                Row a = new Row(PixelModel.floats(run.get(site)), (int) run.get(site).size(2));
                if (neuron >= a.width) {
                    throw new IllegalArgumentException("neuron " + neuron + " is outside " + site + "'s " + a.width
                            + " (0.." + (a.width - 1) + ")");
                }
                for (int i = 0; i < b.size(); i++) {
                    Example best = null;
                    for (int p = 0; p < patchCount; p++) {
                        Example e = new Example(b.index(i), p, a.values[(i * t + first + p) * a.width + neuron]);
                        keep(patches, e, order);
                        if (best == null || e.activation() > best.activation()) {
                            best = e;
                        }
                    }
                    keep(images, best, order);
                }
            }
            progress.accept(Math.min(n, from + batch));
        }
        return new Result(sorted(images, order), sorted(patches, order));
    }

    private record Row(float[] values, int width) {
    }

    private void keep(PriorityQueue<Example> top, Example e, Comparator<Example> order) {
        if (top.size() < k) {
            top.add(e);
        } else if (order.compare(e, top.peek()) > 0) {
            top.poll();
            top.add(e);
        }
    }

    private static List<Example> sorted(PriorityQueue<Example> top, Comparator<Example> order) {
        List<Example> list = new ArrayList<>(top);
        list.sort(order.reversed());
        return List.copyOf(list);
    }
}
