package io.github.vit4j.model;

import io.github.vit4j.model.kernels.Ops;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One run of {@link Backward}, the twin of the forward's {@link FastRun}: the backward's site lookup, the gradients
 * that are zero, and the memory bookkeeping, so that {@code Backward} holds the derivatives alone.
 *
 * <p>A gradient in flight is a {@link Grad}: an array, or {@link Grad#ZERO} when it is zero everywhere. Nothing is
 * computed from a zero gradient ({@link #apply}, {@link #sum}, {@link #merge}): above the objective's site, and below
 * a site replaced or held whole, the backward does no arithmetic. A kept site whose gradient is zero holds zeros.
 *
 * <p>Every array the run makes is recorded; {@link #release} frees those that are neither kept nor share memory with
 * the gradient still flowing, once per block, so a backward keeping few sites holds about one block's arrays at a
 * time (the caller's and the forward's arrays are never freed).
 */
final class BackwardRun {

    /** A gradient in flight: an array, or {@link #ZERO} (zero everywhere, held by no array). */
    static final class Grad {

        /** The gradient that is zero everywhere: nothing downstream depends on the array. */
        static final Grad ZERO = new Grad(null);

        private final INDArray array;

        private Grad(INDArray array) {
            this.array = array;
        }

        boolean isZero() {
            return this == ZERO;
        }
    }

    /** An operation of three gradients' arrays into one, such as {@link Ops#mergeQkv}. */
    @FunctionalInterface
    interface Merge {
        INDArray apply(INDArray a, INDArray b, INDArray c);
    }

    private final VitConfig config;
    private final Ops ops;
    private final Activations forward;
    private final Objective objective;
    private final Keep keep;
    private final Map<Site, Substitution> substitutions;
    private final Map<Site, INDArray> held;
    private final int batch;
    private final int stop;
    private final Map<Site, INDArray> kept = new LinkedHashMap<>();
    /** Arrays this run made and has not freed. */
    private final List<INDArray> made = new ArrayList<>();

    /**
     * The bookkeeping of the backward of {@code objective} at the run {@code forward}, keeping the gradients of the
     * sites {@code keep} selects, with the elements where a mask of {@code held} is 1 held fixed.
     *
     * @throws IllegalArgumentException for a run that started after the last block, or a held mask at a site the
     *                                  run does not compute or of a shape that does not broadcast to it
     */
    BackwardRun(VitConfig config, Ops ops, Activations forward, Objective objective, Keep keep,
                Map<Site, INDArray> held) {
        this.config = config;
        this.ops = ops;
        this.forward = forward;
        this.objective = objective;
        this.keep = keep;
        this.substitutions = forward.substitutions();
        this.held = held;
        this.batch = forward.batch();
        RunChecks.absent("the objective", config, objective.site());
        if (objective.takesSoftmax()) {
            Vit.refuseSoftmax(config, "the objective " + objective, "use Objective.logit (a component of the"
                    + " output) or Objective.direction");
        }
        int start = forward.startLayer();
        if (start >= config.layers()) {
            throw new IllegalArgumentException("the run started at layer " + start + ", after the last block: only"
                    + " the head ran; start the forward at an earlier layer to differentiate");
        }
        checkHeld(start);
        this.stop = Math.max(start, lowestKeptLayer());
    }

    /** The array the forward run used at {@code site}, which the backward needs. */
    INDArray used(Site site) {
        if (!forward.has(site)) {
            throw new IllegalArgumentException("the backward needs " + site + " from the forward run, which did not"
                    + " keep it; run the forward with Vit.keepForBackward() (or Keep.all()), and keep the objective's"
                    + " site");
        }
        return forward.get(site);
    }

    /** The lowest block the backward computes: the run's first, or the lowest whose gradients anyone asked for. */
    int stopLayer() {
        return stop;
    }

    /**
     * Whether the backward enters the embedding: the run had pixels and the backward keeps {@code embed}, or
     * CLIP's {@code embed_ln} (whose gradient is block 0's resid_pre's, before the pre-norm).
     */
    boolean entersEmbedding() {
        return stop == 0 && forward.fromPixels() && keepsEmbedding();
    }

    /** Whether the backward goes on through the embedding to the input pixels. */
    boolean computesInput() {
        return stop == 0 && forward.fromPixels() && keep.keeps(Site.embed());
    }

    /**
     * At {@code site}, given {@code dUsed}, the gradient of the array the run used there: adds the objective's seed
     * if it is a function of this site, keeps the result if asked, and returns the gradient of the array the forward
     * produced there. That is the same, unless a {@link Substitution} replaced it (whole: zero; masked: only where
     * the mask kept the computed value), or unless the caller holds some of its elements fixed (zero at those).
     */
    Grad site(Site site, Grad dUsed) {
        Grad d = site.equals(objective.site()) ? sum(dUsed, made(objective.seed(used(site)))) : dUsed;
        if (keep.keeps(site)) {
            kept.put(site, d.isZero() ? Nd4j.zeros(DataType.FLOAT, site.shape(config, batch)) : d.array);
        }
        Substitution s = substitutions.get(site);
        if (d.isZero() || s instanceof Substitution.Whole) {
            return Grad.ZERO;
        }
        // on to the array produced here: where the run kept its own value, and where the caller does not hold it
        Grad passed = s == null ? d : notMasked(d, ((Substitution.Masked) s).mask());
        INDArray fixed = held.get(site);
        return fixed == null || passed.isZero() ? passed : notMasked(passed, fixed);
    }

    /** {@code derivative(g)}, or zero when {@code g} is zero. */
    Grad apply(Grad g, UnaryOperator<INDArray> derivative) {
        return g.isZero() ? Grad.ZERO : made(derivative.apply(g.array));
    }

    /** {@code a + b}. */
    Grad sum(Grad a, Grad b) {
        if (a.isZero() || b.isZero()) {
            return a.isZero() ? b : a;
        }
        return made(ops.add(a.array, b.array));
    }

    /** {@code merge(a, b, c)}, a zero one given as zeros of {@code shape}; zero when all three are. */
    Grad merge(Grad a, Grad b, Grad c, long[] shape, Merge merge) {
        if (a.isZero() && b.isZero() && c.isZero()) {
            return Grad.ZERO;
        }
        return made(merge.apply(orZeros(a, shape), orZeros(b, shape), orZeros(c, shape)));
    }

    /** Frees every array this run made that is neither kept nor shares memory with {@code live}. */
    void release(Grad live) {
        Set<DataBuffer> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.values().forEach(a -> inUse.add(Ops.bufferOf(a)));
        if (!live.isZero()) {
            inUse.add(Ops.bufferOf(live.array));
        }
        List<INDArray> free = new ArrayList<>();
        List<INDArray> still = new ArrayList<>();
        for (INDArray a : made) {
            (inUse.contains(Ops.bufferOf(a)) ? still : free).add(a);
        }
        ops.release(free);
        made.clear();
        made.addAll(still);
    }

    /**
     * The run's result: the kept gradients, and {@code dInput}, the input's gradient, when the backward went down to
     * it ({@link #computesInput}; zeros when a site replaced or held whole cut every path to the pixels).
     */
    Gradients gradients(double[] values, Grad dInput) {
        int start = forward.startLayer();
        if (!computesInput()) {
            String why = !forward.fromPixels()
                    ? "the run started at layer " + start + " from a resid_pre, so it has no input pixels; use"
                    + " get(Site.residPre(" + start + "))"
                    : "the backward stopped at layer " + stop + ", the lowest its Keep selected: keep Site.embed()"
                    + " (Keep.all() does) to have the input's gradient computed";
            return new Gradients(kept, null, values, start, why, ops::release);
        }
        INDArray input = dInput.isZero()
                ? Nd4j.zeros(DataType.FLOAT, batch, config.channels(), config.imageHeight(),
                        config.imageWidth())
                : dInput.array;
        return new Gradients(kept, input, values, start, "", ops::release);
    }

    /**
     * The lowest block whose gradients anyone asked for: 0 when {@code keep} selects {@code embed} or
     * {@code embed_ln} and the run had pixels (the input's gradient is computed when it selects {@code embed}, and
     * only then), else the lowest layer of a kept per-block site. Nothing below it is computed.
     */
    private int lowestKeptLayer() {
        if (forward.fromPixels() && keepsEmbedding()) {
            return 0;
        }
        for (int l = 0; l < config.layers(); l++) {
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock() && keep.keeps(Site.of(l, kind))) {
                    return l;
                }
            }
        }
        return config.layers();
    }

    /** Whether {@code keep} selects {@code embed}, or {@code embed_ln} of a model that has it. */
    private boolean keepsEmbedding() {
        return keep.keeps(Site.embed()) || (config.hasSite(Site.Kind.EMBED_LN) && keep.keeps(Site.embedLn()));
    }

    /** {@code d} where {@code mask} is 0, zero where it is 1: a new array, or zero when the mask is all 1. */
    private Grad notMasked(Grad d, INDArray mask) {
        INDArray open = mask.castTo(DataType.FLOAT).rsub(1.0);
        if (open.amaxNumber().doubleValue() == 0) {
            return Grad.ZERO;
        }
        return made(d.array.mul(open.broadcast(d.array.shape())));
    }

    private INDArray orZeros(Grad g, long[] shape) {
        return g.isZero() ? made(Nd4j.zeros(DataType.FLOAT, shape)).array : g.array;
    }

    /** Records {@code a} as made by this run (freed by {@link #release} once unused). */
    private Grad made(INDArray a) {
        made.add(a);
        return new Grad(a);
    }

    /** Every held mask belongs to a site this run computes and broadcasts to its shape. */
    private void checkHeld(int start) {
        for (Map.Entry<Site, INDArray> e : held.entrySet()) {
            Site site = e.getKey();
            RunChecks.absent("a held site", config, site);
            boolean embedding = site.kind() == Site.Kind.EMBED || site.kind() == Site.Kind.EMBED_LN;
            boolean computed = site.kind().perBlock() ? site.layer() >= start && site.layer() < config.layers()
                    : !embedding || forward.fromPixels();
            if (!computed) {
                throw new IllegalArgumentException("cannot hold " + site + " fixed: the run computes layers " + start
                        + ".." + (config.layers() - 1) + (forward.fromPixels() ? "" : " from a resid_pre"));
            }
            RunChecks.maskShape("held mask", site, e.getValue().shape(), site.shape(config, batch));
        }
    }
}
