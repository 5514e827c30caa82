package io.github.vit4j.model;

import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The arrays one run produced (those its {@link Keep} selected), by site. Arrays are never written after the run
 * produced them, so they can be shared: handed to another run as a {@link Substitution} or an {@link Input}.
 *
 * <p>Closing is optional: {@link #close()} gives the memory of the arrays the run produced back to the library, which
 * reuses it for the next run's arrays (a ViT-B/16 forward at batch 1 ran 14% faster so; docs/performance.md). Arrays of the caller's that the
 * run used (its input, its substitutions) are never touched. Left open, the arrays are freed by the garbage
 * collector as usual.
 */
public final class Activations implements AutoCloseable {

    private final Map<Site, INDArray> arrays;
    private final int batch;
    private final int startLayer;
    private final boolean fromPixels;
    private final Set<INDArray> owned;
    private final Map<Site, Substitution> substitutions;
    private final Consumer<Collection<INDArray>> release;
    private volatile boolean closed;

    /**
     * @param substitutions the substitutions the run was given (the backward pass needs them: a substituted site cuts
     *                      or masks the gradient that flows to what produced it)
     */
    Activations(Map<Site, INDArray> arrays, int batch, int startLayer, boolean fromPixels, Set<INDArray> owned,
                Map<Site, Substitution> substitutions, Consumer<Collection<INDArray>> release) {
        this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
        this.batch = batch;
        this.startLayer = startLayer;
        this.fromPixels = fromPixels;
        this.owned = owned;
        this.substitutions = Map.copyOf(substitutions);
        this.release = release;
    }

    /**
     * Gives the memory of the arrays this run produced back for reuse. Afterwards neither this object nor any array
     * taken from it (or a view of one) may be used: {@link #get} refuses, and an array kept elsewhere would see other
     * data. That includes other runs that borrowed its arrays: a patched run's activations hold the corrupted run's
     * {@code resid_pre} and the patches' source arrays themselves, so close those runs only after the patched ones
     * are done with. Closing twice, or from two threads, gives back once.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        release.accept(owned);
        owned.clear();
    }

    /**
     * The array of {@code site}.
     *
     * @throws IllegalArgumentException when the run did not keep it (or did not compute it: it started later)
     */
    public INDArray get(Site site) {
        checkOpen();
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
        checkOpen();
        return arrays;
    }

    /**
     * Image {@code i} of the batch as a run of its own: every kept site as a contiguous {@code [1, …]} copy, so a
     * batched clean or corrupted run can be traced image by image.
     */
    public Activations image(int i) {
        checkOpen();
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
        Set<INDArray> copies = Collections.newSetFromMap(new IdentityHashMap<>());
        copies.addAll(one.values());
        Map<Site, Substitution> mine = new LinkedHashMap<>();
        substitutions.forEach((site, s) -> mine.put(site, imageOf(s, i)));
        return new Activations(one, 1, startLayer, fromPixels, copies, mine, release);
    }

    /** Image {@code i}'s part of a substitution: row i of every array whose batch axis is the run's (not 1). */
    private Substitution imageOf(Substitution s, int i) {
        if (s instanceof Substitution.Whole w) {
            return Substitution.whole(row(w.array(), i));
        }
        Substitution.Masked m = (Substitution.Masked) s;
        return Substitution.masked(row(m.source(), i), row(m.mask(), i));
    }

    private INDArray row(INDArray a, int i) {
        if (a.size(0) != batch || batch == 1) {
            return a;
        }
        long[] shape = a.shape().clone();
        shape[0] = 1;
        return a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup('c').reshape(shape);
    }

    /** Whether the run started from pixels (else from a {@code resid_pre}, even of layer 0: it had no pixels). */
    boolean fromPixels() {
        return fromPixels;
    }

    /** The substitutions the run was given, by site (what the backward pass must respect). */
    Map<Site, Substitution> substitutions() {
        return substitutions;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("these activations are closed: their memory was given back for reuse;"
                    + " take what you need before closing them");
        }
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
