package io.github.vit4j.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The arrays one run produced (those its {@link Keep} selected), by site. Arrays are never written after the run
 * produced them, so they can be shared: handed to another run as a {@link Substitution} or an {@link Input}.
 */
public final class Activations {

    private final Map<Site, INDArray> arrays;
    private final int batch;
    private final int startLayer;

    Activations(Map<Site, INDArray> arrays, int batch, int startLayer) {
        this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
        this.batch = batch;
        this.startLayer = startLayer;
    }

    /**
     * The array of {@code site}.
     *
     * @throws IllegalArgumentException when the run did not keep it (or did not compute it: it started later)
     */
    public INDArray get(Site site) {
        INDArray a = arrays.get(site);
        if (a == null) {
            String why = site.kind().perBlock() && site.layer() < startLayer
                    ? "the run started at layer " + startLayer
                    : "the run's Keep did not select it; keep it with Keep.sites(" + site + ") or Keep.kinds("
                    + site.kind() + ")";
            throw new IllegalArgumentException("site " + site + " is not in this run: " + why);
        }
        return a;
    }

    /** Whether the run kept {@code site}. */
    public boolean has(Site site) {
        return arrays.containsKey(site);
    }

    /** The logits {@code [B, C]}, always kept. */
    public INDArray logits() {
        return get(Site.logits());
    }

    /** The kept sites in the order the run produced them. */
    public Set<Site> sites() {
        return arrays.keySet();
    }

    /** The kept arrays in the order the run produced them (unmodifiable). */
    public Map<Site, INDArray> arrays() {
        return arrays;
    }

    /**
     * Image {@code i} of the batch as a run of its own: every kept site as a contiguous {@code [1, …]} copy, so a
     * batched clean or corrupted run can be traced image by image.
     */
    public Activations image(int i) {
        if (i < 0 || i >= batch) {
            throw new IllegalArgumentException("image " + i + " is outside this run's batch of " + batch);
        }
        Map<Site, INDArray> one = new LinkedHashMap<>();
        for (Map.Entry<Site, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue();
            long[] shape = a.shape().clone();
            shape[0] = 1;
            one.put(e.getKey(), a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup('c')
                    .reshape(shape));
        }
        return new Activations(one, 1, startLayer);
    }

    /** Images in the batch. */
    public int batch() {
        return batch;
    }

    /** The first block the run computed. */
    public int startLayer() {
        return startLayer;
    }
}
