package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The forward pass of a pre-LN ViT, written so that every intermediate is a named {@link Site}.
 *
 * <p>Each block reads like the paper: {@code resid_mid = resid_pre + attn_out; resid_post = resid_mid + mlp_out}.
 * Every site passes through {@code Run.site} (or, in the CLS-row-only last block of a logits-only run,
 * {@code Run.clsSite}): it swaps in a {@link Substitution} if one is given for that site, and records the array the
 * run actually uses if the {@link Keep} asks for it. Site arrays are never written after they are produced
 * (new arrays, never {@code addi}), so one run's arrays can be handed to another. The arithmetic goes through
 * {@link Ops}, the one seam to the hardware.
 *
 * <p>A {@code Vit} holds its weights and its kernels (whose scratch memory is per thread); it is safe to use from
 * several threads at once.
 */
public final class Vit {

    /** The sites inside the attention module (between resid_pre and attn_out). */
    private static final Set<Site.Kind> ATTENTION = EnumSet.of(Site.Kind.LN1, Site.Kind.Q, Site.Kind.K, Site.Kind.V,
            Site.Kind.PATTERN, Site.Kind.Z);
    /** The sites inside the MLP module (between resid_mid and mlp_out). */
    private static final Set<Site.Kind> MLP = EnumSet.of(Site.Kind.LN2, Site.Kind.MLP_PRE, Site.Kind.MLP_POST);

    private final VitWeights weights;
    private final VitConfig config;
    private final Ops ops;

    /** A model on the kernels {@code -Dvit4j.kernels} selects ({@code cpu} by default, {@code portable} for CUDA). */
    public Vit(VitWeights weights) {
        this(weights, Ops.fromSystemProperty());
    }

    Vit(VitWeights weights, Ops ops) {
        this.weights = weights;
        this.config = weights.config();
        this.ops = ops;
    }

    public VitConfig config() {
        return config;
    }

    public VitWeights weights() {
        return weights;
    }

    /** A plain run from preprocessed pixels {@code [B, C, H, W]}, keeping every site. */
    public Activations run(INDArray pixels) {
        return run(Input.pixels(pixels), Keep.all(), Map.of());
    }

    /** A run keeping the sites {@code keep} selects. */
    public Activations run(Input input, Keep keep) {
        return run(input, keep, Map.of());
    }

    /**
     * A run from {@code input} in which each site of {@code substitutions} uses the substituted array instead of
     * the one computed. The returned activations hold the arrays actually used. A module (attention or MLP) whose
     * output a {@link Substitution.Whole} replaces, and inside which {@code keep} selects nothing, is not computed;
     * substitutions inside it are then never applied.
     *
     * @throws IllegalArgumentException for input of the wrong shape, or a substitution at a site this run never
     *                                  produces (a layer past the last, or before the input's start layer)
     */
    public Activations run(Input input, Keep keep, Map<Site, Substitution> substitutions) {
        checkInput(input);
        checkSubstitutions(input, substitutions);
        Run run = new Run(keep, substitutions, config, input.batch(), ops);
        INDArray resid;
        if (input instanceof Input.Pixels p) {
            resid = embed(run, p.pixels());
        } else {
            resid = run.callers(((Input.ResidPre) input).residPre());
        }
        boolean logitsOnly = keepsNothingOfTheLastBlock(keep);
        for (int l = input.startLayer(); l < config.layers(); l++) {
            resid = block(run, l, resid, logitsOnly && l == config.layers() - 1);
            run.release(resid);
        }
        head(run, resid);
        run.release(null);
        return new Activations(run.kept, input.batch(), input.startLayer(), run.owned(), substitutions,
                ops::release);
    }

    /** What a forward run must keep for {@link #backward}: the inputs of the operations whose derivative needs them. */
    public static Keep keepForBackward() {
        return Backward.KEEP;
    }

    /**
     * The backward pass: the gradient of {@code objective} at the run {@code forward} with respect to every site and
     * to the input pixels. {@code forward} must have kept {@link #keepForBackward()} (and the objective's site); its
     * substitutions are respected (a site replaced whole passes no gradient to what produced the original; a masked
     * one passes it where the mask kept the computed value).
     */
    public Gradients backward(Activations forward, Objective objective) {
        return backward(forward, objective, Keep.all());
    }

    /** {@link #backward(Activations, Objective)} keeping only the gradients of the sites {@code keep} selects. */
    public Gradients backward(Activations forward, Objective objective, Keep keep) {
        return Backward.run(weights, ops, forward, objective, keep);
    }

    /**
     * A forward run keeping what the backward needs, then the backward: {@code objective}'s gradient at
     * {@code input} (with {@code substitutions}) for every site and the input.
     */
    public Gradients gradients(Input input, Map<Site, Substitution> substitutions, Objective objective) {
        Keep need = keepForBackward().and(Keep.sites(objective.site()));
        try (Activations forward = run(input, need, substitutions)) {
            return backward(forward, objective);
        }
    }

    /** Patch embedding, CLS token and position embeddings: pixels {@code [B, C, H, W]} → resid_pre of block 0. */
    private INDArray embed(Run run, INDArray pixels) {
        int b = (int) pixels.size(0);
        int n = config.patches();
        int d = config.hiddenSize();
        INDArray patches = ops.patchify(pixels, config.patchSize());                              // [B·N, C·p·p]
        INDArray embed = run.site(Site.embed(),
                ops.linear(patches, weights.patchEmbed()).reshape(b, n, d));                      // [B, N, D]
        ops.release(List.of(patches));
        return ops.prependClsAddPos(embed, weights.clsToken(), weights.posEmbed());             // [B, T, D]
    }

    /**
     * One pre-LN block, timm's two lines: {@code x = x + attn(ln1(x)); x = x + mlp(ln2(x))}. The attention and the MLP
     * are computed only if their output is used: a run that replaces {@code attn_out} (or {@code mlp_out}) whole and
     * keeps nothing inside it skips that module, as its result could not change anything.
     *
     * <p>{@code clsOnly}, for the last block of a run that keeps nothing of it: the head reads only the CLS token, so
     * once every token's k and v exist, only the CLS row is computed (about a quarter of the block's work). The same
     * sites in the same order, restricted to the CLS row (T' = 1; else T' = T); substitutions there use their CLS row.
     */
    private INDArray block(Run run, int l, INDArray input, boolean clsOnly) {
        INDArray residPre = run.site(Site.of(l, Site.Kind.RESID_PRE), input);                    // [B, T, D]
        INDArray attnOut = run.module(Site.of(l, Site.Kind.ATTN_OUT), ATTENTION,
                () -> attention(run, l, residPre, clsOnly), clsOnly);                             // [B, T', D]
        INDArray residMid = run.site(Site.of(l, Site.Kind.RESID_MID),
                ops.add(clsOnly ? clsRow(residPre, 1) : residPre, attnOut), clsOnly);             // [B, T', D]
        INDArray mlpOut = run.module(Site.of(l, Site.Kind.MLP_OUT), MLP,
                () -> mlp(run, l, residMid, clsOnly), clsOnly);                                   // [B, T', D]
        return run.site(Site.of(l, Site.Kind.RESID_POST), ops.add(residMid, mlpOut), clsOnly);   // [B, T', D]
    }

    /**
     * Multi-head self-attention of block l on its input {@code [B, T, D]}: attn_out {@code [B, T', D]}, every
     * intermediate a site. {@code clsOnly}: every token's k and v, the CLS query's row of everything after.
     */
    private INDArray attention(Run run, int l, INDArray residPre, boolean clsOnly) {
        VitWeights.Block w = weights.blocks().get(l);
        int b = (int) residPre.size(0);
        int t = config.tokens();
        int d = config.hiddenSize();
        int h = config.heads();
        INDArray ln1 = run.site(Site.of(l, Site.Kind.LN1),
                ops.layerNorm(residPre, w.norm1(), config.layerNormEps()));                      // [B, T, D]
        INDArray qkv = ops.qkv(ln1.reshape(b * t, d), w.qkv());                                   // [B·T, 3D] scratch
        INDArray allQ = ops.head(qkv, 0, b, h);                                                   // [B, H, T, d]
        INDArray q = run.site(Site.of(l, Site.Kind.Q), clsOnly ? clsRow(allQ, 2) : allQ, clsOnly); // [B, H, T', d]
        INDArray k = run.site(Site.of(l, Site.Kind.K), ops.head(qkv, 1, b, h));                   // [B, H, T, d]
        INDArray v = run.site(Site.of(l, Site.Kind.V), ops.head(qkv, 2, b, h));                   // [B, H, T, d]
        INDArray scores = ops.scores(q, k);                                                       // [B, H, T', T] scratch
        INDArray pattern = run.site(Site.of(l, Site.Kind.PATTERN),
                ops.softmax(scores, 1.0 / Math.sqrt(config.headDim())), clsOnly);                 // [B, H, T', T]
        INDArray z = run.site(Site.of(l, Site.Kind.Z), ops.mix(pattern, v), clsOnly);             // [B, H, T', d]
        INDArray heads = ops.mergeHeads(z);                                                       // [B·T', D] scratch
        return ops.linear(heads, w.proj()).reshape(b, clsOnly ? 1 : t, d);                        // [B, T', D]
    }

    /**
     * The MLP of block l on its input {@code [B, T', D]}: mlp_out, every intermediate a site. {@code clsOnly}: the
     * input is the CLS row alone (T' = 1) of a logits-only last block.
     */
    private INDArray mlp(Run run, int l, INDArray residMid, boolean clsOnly) {
        VitWeights.Block w = weights.blocks().get(l);
        int b = (int) residMid.size(0);
        int t = (int) residMid.size(1);
        int d = config.hiddenSize();
        int m = config.mlpSize();
        INDArray ln2 = run.site(Site.of(l, Site.Kind.LN2),
                ops.layerNorm(residMid, w.norm2(), config.layerNormEps()), clsOnly);              // [B, T', D]
        INDArray mlpPre = run.site(Site.of(l, Site.Kind.MLP_PRE),
                ops.linear(ln2.reshape(b * t, d), w.fc1()).reshape(b, t, m), clsOnly);            // [B, T', M]
        INDArray mlpPost = run.site(Site.of(l, Site.Kind.MLP_POST), ops.gelu(mlpPre), clsOnly);   // [B, T', M]
        return ops.linear(mlpPost.reshape(b * t, m), w.fc2()).reshape(b, t, d);                   // [B, T', D]
    }

    /** Whether {@code keep} asks for no site of the last block and not for ln_final: then only CLS matters there. */
    private boolean keepsNothingOfTheLastBlock(Keep keep) {
        if (keep.keeps(Site.lnFinal())) {
            return false;
        }
        for (Site.Kind kind : Site.Kind.values()) {
            if (kind.perBlock() && keep.keeps(Site.of(config.layers() - 1, kind))) {
                return false;
            }
        }
        return true;
    }

    /** The CLS row (token 0) of {@code a} along its token axis, as a view {@code [.., 1, ..]}. */
    static INDArray clsRow(INDArray a, int tokenAxis) {
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        for (int i = 0; i < index.length; i++) {
            index[i] = i == tokenAxis ? NDArrayIndex.interval(0, 1) : NDArrayIndex.all();
        }
        return a.get(index);
    }

    /** The token axis of a site's array: 2 for {@code [B, H, T, …]} sites, else 1. */
    static int tokenAxis(Site.Kind kind) {
        return kind == Site.Kind.Q || kind == Site.Kind.K || kind == Site.Kind.V || kind == Site.Kind.Z
                || kind == Site.Kind.PATTERN ? 2 : 1;
    }

    /** Final LayerNorm and the linear head on the CLS token. */
    private void head(Run run, INDArray resid) {
        int b = (int) resid.size(0);
        INDArray lnFinal = run.site(Site.lnFinal(),
                ops.layerNorm(resid, weights.norm(), config.layerNormEps()));                     // [B, T, D]
        INDArray cls = clsRow(lnFinal, 1).reshape(b, config.hiddenSize());                        // [B, D]
        run.site(Site.logits(), ops.linear(cls, weights.head()));                                 // [B, C]
    }

    private void checkInput(Input input) {
        if (input instanceof Input.Pixels p) {
            long[] want = {p.batch(), config.channels(), config.imageSize(), config.imageSize()};
            if (!Arrays.equals(want, p.pixels().shape())) {
                throw new IllegalArgumentException("expected pixels " + Arrays.toString(want) + " but got "
                        + Arrays.toString(p.pixels().shape()) + "; this model takes " + config.channels()
                        + "-channel " + config.imageSize() + "×" + config.imageSize()
                        + " images (resize with the model's Preprocessing)");
            }
        } else {
            Input.ResidPre r = (Input.ResidPre) input;
            if (r.layer() > config.layers()) {
                throw new IllegalArgumentException("cannot resume at layer " + r.layer() + ": the model has "
                        + config.layers() + " layers (0.." + (config.layers() - 1) + ", or " + config.layers()
                        + " for the head alone)");
            }
            long[] want = Site.residPre(0).shape(config, r.batch());
            if (!Arrays.equals(want, r.residPre().shape())) {
                throw new IllegalArgumentException("expected resid_pre " + Arrays.toString(want) + " but got "
                        + Arrays.toString(r.residPre().shape()) + "; is it from a run of this model?");
            }
        }
        INDArray a = input instanceof Input.Pixels p ? p.pixels() : ((Input.ResidPre) input).residPre();
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("input is " + a.dataType()
                    + "; the forward pass is float32: castTo(DataType.FLOAT)");
        }
    }

    private void checkSubstitutions(Input input, Map<Site, Substitution> substitutions) {
        for (Site s : substitutions.keySet()) {
            if (s.kind().perBlock() && s.layer() >= config.layers()) {
                throw new IllegalArgumentException("substitution at " + s + " but the model has only "
                        + config.layers() + " layers (0.." + (config.layers() - 1) + ")");
            }
            boolean before = s.kind() == Site.Kind.EMBED ? input.startLayer() > 0
                    : s.kind().perBlock() && s.layer() < input.startLayer();
            if (before) {
                throw new IllegalArgumentException("substitution at " + s + " is never used: the run starts at layer "
                        + input.startLayer() + "; start from an earlier layer's resid_pre");
            }
        }
    }

    /**
     * The state of one run: which sites to swap, which arrays it has kept, and the arrays it produced that it neither
     * keeps nor still needs. Those it frees as soon as the block that used them is done, so that a run keeping few
     * sites reuses warm memory instead of leaving every intermediate to the garbage collector (fresh pages cost more
     * than the arithmetic here). Arrays it did not produce (the caller's input and substitutions) are never freed.
     */
    private static final class Run {
        final Keep keep;
        final Map<Site, Substitution> substitutions;
        final Map<Site, INDArray> kept = new LinkedHashMap<>();
        private final VitConfig config;
        private final int batch;
        private final Ops ops;
        private final List<INDArray> freed = new ArrayList<>();
        private final Set<INDArray> keptArrays = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<INDArray> callers = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<INDArray> unkept = Collections.newSetFromMap(new IdentityHashMap<>());

        Run(Keep keep, Map<Site, Substitution> substitutions, VitConfig config, int batch, Ops ops) {
            this.ops = ops;
            this.keep = keep;
            this.config = config;
            this.batch = batch;
            this.substitutions = substitutions;
        }

        /** The array the run uses at {@code site}: the substituted one if any, else {@code produced}; kept if asked. */
        INDArray site(Site site, INDArray produced) {
            Substitution s = substitutions.get(site);
            INDArray used = s == null ? produced : applied(s, site, produced);
            keepIfAsked(site, used);
            if (!callers.contains(produced)) {
                unkept.add(produced);
            }
            return used;
        }

        /** {@code s} applied: the caller's array for a whole substitution, else a new array of this run's. */
        private INDArray applied(Substitution s, Site site, INDArray produced) {
            INDArray used = s.apply(site, produced);
            if (s instanceof Substitution.Whole) {
                return callers(used);
            }
            unkept.add(used);                                      // a masked mix: freed like a produced array
            return used;
        }

        /** {@link #site}, or {@link #clsSite} if {@code clsOnly}. */
        INDArray site(Site site, INDArray produced, boolean clsOnly) {
            return clsOnly ? clsSite(site, produced) : site(site, produced);
        }

        /**
         * The output {@code out} of a module (attention or MLP) whose inner sites are of the kinds {@code inside}:
         * {@code compute} is not called if a {@link Substitution.Whole} replaces {@code out} and no inner site is
         * kept, since nothing else reads them. {@code clsOnly}: the CLS row of a logits-only last block.
         */
        INDArray module(Site out, Set<Site.Kind> inside, Supplier<INDArray> compute, boolean clsOnly) {
            if (!replacedWhole(out, inside)) {
                return site(out, compute.get(), clsOnly);
            }
            INDArray whole = wholeChecked(out);
            INDArray used = callers(clsOnly ? clsRow(whole, tokenAxis(out.kind())) : whole);
            keepIfAsked(out, used);
            return used;
        }

        private boolean replacedWhole(Site out, Set<Site.Kind> inside) {
            if (!(substitutions.get(out) instanceof Substitution.Whole)) {
                return false;
            }
            for (Site.Kind kind : inside) {
                if (keep.keeps(Site.of(out.layer(), kind))) {
                    return false;
                }
            }
            return true;
        }

        /** The array of the whole substitution at {@code site}, checked against the site's shape and type. */
        private INDArray wholeChecked(Site site) {
            return checked(site, ((Substitution.Whole) substitutions.get(site)).array());
        }

        /** {@code given}, if it has the site's full shape in this run and is float32; else a message naming both. */
        private INDArray checked(Site site, INDArray given) {
            long[] want = site.shape(config, batch);
            if (!Arrays.equals(want, given.shape())) {
                throw new IllegalArgumentException("substitution for " + site + " has shape "
                        + Arrays.toString(given.shape()) + " but the run produces " + Arrays.toString(want)
                        + "; is it from a run of the same model with the same batch size?");
            }
            if (given.dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("substitution for " + site + " is " + given.dataType()
                        + " but the run is FLOAT; cast it with castTo(DataType.FLOAT)");
            }
            return given;
        }

        private void keepIfAsked(Site site, INDArray used) {
            if (keep.keeps(site)) {
                kept.put(site, used);
                keptArrays.add(used);
            }
        }

        /**
         * {@link #site} for the CLS-row arrays of a logits-only last block: a substitution there uses its own CLS
         * row (its shape is checked against the full site first, as everywhere else).
         */
        INDArray clsSite(Site site, INDArray producedCls) {
            Substitution s = substitutions.get(site);
            if (s == null) {
                return site(site, producedCls);
            }
            int axis = tokenAxis(site.kind());
            Substitution cls;
            if (s instanceof Substitution.Whole whole) {
                checked(site, whole.array());
                cls = Substitution.whole(clsRow(whole.array(), axis));
            } else {
                Substitution.Masked masked = (Substitution.Masked) s;
                checked(site, masked.source());
                INDArray mask = masked.mask().rank() > axis && masked.mask().size(axis) > 1
                        ? clsRow(masked.mask(), axis) : masked.mask();
                cls = Substitution.masked(clsRow(masked.source(), axis), mask);
            }
            INDArray used = applied(cls, site, producedCls);
            unkept.add(producedCls);
            return used;
        }

        /** The kept arrays this run produced (not the caller's input or substitutions): what closing them frees. */
        Set<INDArray> owned() {
            Set<INDArray> owned = Collections.newSetFromMap(new IdentityHashMap<>());
            for (INDArray a : kept.values()) {
                if (!callers.contains(a)) {
                    owned.add(a);
                }
            }
            return owned;
        }

        /** Marks {@code a} as the caller's: never freed by the run. */
        INDArray callers(INDArray a) {
            callers.add(a);
            return a;
        }

        /** Frees the memory of every array this run produced and does not keep, except {@code live}. */
        void release(INDArray live) {
            for (Iterator<INDArray> it = unkept.iterator(); it.hasNext(); ) {
                INDArray a = it.next();
                if (a == live) {
                    continue;
                }
                it.remove();
                if (!keptArrays.contains(a)) {
                    freed.add(a);
                }
            }
            ops.release(freed);
            freed.clear();
        }
    }
}
