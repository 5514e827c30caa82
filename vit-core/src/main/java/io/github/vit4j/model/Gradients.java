package io.github.vit4j.model;

import io.github.vit4j.image.Preprocessing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of a backward pass, shaped like {@link Activations} and keyed by the same {@link Site}s: the gradient
 * of an {@link Objective} with respect to every kept site (the total derivative, with everything downstream of the
 * site computed from it), and with respect to the run's input pixels. Row i of every array is image i's own
 * gradient (images never mix). Arrays are never written after the pass produced them.
 *
 * <p>A site that the forward replaced (a {@link Substitution}) has the gradient of the array actually used there;
 * gradient flows on to what produced the original only where the substitution kept the computed value. Sites
 * whose gradient is zero because nothing downstream depends on them (above the objective's site, or inside a module
 * whose output was replaced whole) hold zeros.
 *
 * <p>Like {@link Activations}, closing is optional and gives the arrays' memory back for reuse.
 */
public final class Gradients implements AutoCloseable {

    private final Map<Site, INDArray> arrays;
    private final INDArray input;
    private final double[] values;
    private final int startLayer;
    private final String whyNoInput;
    private final Consumer<Collection<INDArray>> release;
    private volatile boolean closed;

    /**
     * @param input      the gradient w.r.t. the normalised pixels, or {@code null} for a run that started from a
     *                   {@code resid_pre} or a backward that stopped above the embedding
     * @param whyNoInput when {@code input} is null, why (the message of {@link #input()})
     * @param values each image's objective value
     */
    Gradients(Map<Site, INDArray> arrays, INDArray input, double[] values, int startLayer, String whyNoInput,
              Consumer<Collection<INDArray>> release) {
        this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
        this.input = input;
        this.values = values.clone();
        this.startLayer = startLayer;
        this.whyNoInput = whyNoInput;
        this.release = release;
    }

    /**
     * ∂objective/∂site, of the site's shape.
     *
     * @throws IllegalArgumentException when the backward did not keep it, or the run did not compute it
     */
    public INDArray get(Site site) {
        checkOpen();
        INDArray a = arrays.get(site);
        if (a == null) {
            String why = site.kind().perBlock() && site.layer() < startLayer
                    ? "the run started at layer " + startLayer
                    : "the backward's Keep did not select it; pass Keep.all() or a Keep naming it to Vit.backward";
            throw new IllegalArgumentException("no gradient for site " + site + ": " + why);
        }
        return a;
    }

    /** Whether a gradient of {@code site} was kept. */
    public boolean has(Site site) {
        checkOpen();
        return arrays.containsKey(site);
    }

    /** The sites with a gradient, top of the network first (the order the backward produced them). */
    public Set<Site> sites() {
        return arrays.keySet();
    }

    /** The kept gradients by site (unmodifiable). */
    public Map<Site, INDArray> arrays() {
        checkOpen();
        return arrays;
    }

    /**
     * ∂objective/∂(the model's input) {@code [B, C, H, W]}: the normalised pixels the run was given. Computed when
     * the backward's {@link Keep} selects {@code embed} ({@link Keep#all()} does): a backward keeping only higher
     * sites stops at the lowest of them.
     *
     * @throws IllegalArgumentException for a run that started from a {@code resid_pre} (it had no pixels), or a
     *                                  backward whose Keep did not select {@code embed}
     */
    public INDArray input() {
        checkOpen();
        return Optional.ofNullable(input).orElseThrow(() -> new IllegalArgumentException(whyNoInput));
    }

    /**
     * ∂objective/∂pixels in [0, 1] {@code [B, C, H, W]} at the model's size: {@link #input()} through the
     * preprocessing's per-channel {@code (x − mean) / std}, i.e. divided by std. What a saliency map shows.
     */
    public INDArray pixels(Preprocessing preprocessing) {
        return preprocessing.pixelGradient(input());
    }

    /** Each image's value of the objective at the run. */
    public double[] values() {
        return values.clone();
    }

    /** The objective of the batch: the sum of {@link #values()}. */
    public double value() {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /** Gives the arrays' memory back for reuse; afterwards nothing taken from here may be used. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<INDArray> all = new ArrayList<>(arrays.values());
        if (input != null) {
            all.add(input);
        }
        release.accept(all);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("these gradients are closed: their memory was given back for reuse;"
                    + " take what you need before closing them");
        }
    }
}
