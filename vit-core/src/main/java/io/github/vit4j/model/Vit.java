package io.github.vit4j.model;

import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.model.kernels.Ops;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward pass users call: {@link ReferenceForward} (read that first) with shortcuts, held equal to it site by
 * site ({@code VitEqualsReferenceForwardTest}).
 *
 * <p>The shortcuts are decided before the run starts ({@code Shortcuts}): a module (attention or MLP) whose output a
 * {@link Substitution.Whole} replaces, and inside which the {@link Keep} selects nothing, is not computed; and the last
 * block of a run that keeps nothing of it computes only its CLS row once every token's k and v exist, since the head
 * reads nothing else. During the run, {@link FastRun} looks substitutions up where each site is produced, as the
 * reference does, and frees the arrays the run neither keeps nor still needs. Site arrays are never written after
 * they are produced (new arrays, never {@code addi}), so one run's arrays can be handed to another. The arithmetic
 * goes through the kernels of a {@link KernelSet}, the one seam to the hardware.
 *
 * <p>A {@code Vit} holds its weights and its kernels (whose scratch memory is per thread); it is safe to use from
 * several threads at once.
 */
public final class Vit {

    private final VitWeights weights;
    private final VitConfig config;
    private final Architecture arch;
    private final TokenTable table;
    /** CLIP's projection as a bias-free linear map, built once; null without one. */
    private final VitWeights.Linear projection;
    private final KernelSet kernels;
    private final Ops ops;

    /**
     * A model on the kernel set {@link KernelSet#configured()} picks: the fastest this machine runs, unless
     * {@code -Dvit4j.kernels} names one.
     *
     * @see #Vit(VitWeights, KernelSet)
     */
    public Vit(VitWeights weights) {
        this(weights, KernelSet.configured());
    }

    /**
     * A model on the given kernel set. The weights are read, never written, and must not be written by anyone once a
     * run used them: the oneDNN kernels keep a packed copy of each weight matrix (for another model, build another
     * {@code VitWeights} with new arrays).
     *
     * @throws IllegalArgumentException for a kernel set that does not run here ({@link KernelSet#runsHere()})
     */
    public Vit(VitWeights weights, KernelSet kernels) {
        this.weights = weights;
        this.config = weights.config();
        this.arch = config.architecture();
        this.table = TokenTable.of(weights);
        this.projection = arch.projection() > 0 ? HeadSteps.projection(weights) : null;
        this.kernels = Objects.requireNonNull(kernels, "kernels: name one, e.g. KernelSet.configured()");
        this.ops = kernels.ops();
    }

    public VitConfig config() {
        return config;
    }

    public VitWeights weights() {
        return weights;
    }

    /** The kernel set this model runs on. */
    public KernelSet kernels() {
        return kernels;
    }

    /**
     * The logits {@code [B, C]} of a plain run: the cheap path, keeping no other site (the last block computes only
     * its CLS row). A new array the caller owns.
     *
     * @throws IllegalArgumentException for input of the wrong shape
     */
    public INDArray logits(Input input) {
        try (Activations run = run(input, Keep.logitsOnly())) {
            return run.logits().dup('c');
        }
    }

    /**
     * What the model predicts for {@code input}: {@link #logits}, their probabilities and each image's top classes,
     * named by the config's labels.
     *
     * @throws IllegalArgumentException for a model without a classifier ({@link Architecture.Head#NONE}: a softmax of
     *                                  its embedding means nothing), or input of the wrong shape
     */
    public Predictions classify(Input input) {
        refuseSoftmax(config, "Vit.classify", "use Vit.embed for the embedding, or ZeroShot to classify it against"
                + " text prompts (CLIP, SigLIP)");
        try (Activations run = run(input, Keep.logitsOnly())) {
            return Predictions.of(run.logits(), config.labels());       // which copies them: no dup of our own
        }
    }

    /**
     * The images' embeddings {@code [B, E]} ({@link Embedding}: the pooled vector, or the CLS row of
     * {@code ln_final} for a model without a pooling step; or the projected one): a run keeping that one site and no
     * other. A new float32 array the caller owns, C order.
     *
     * @throws IllegalArgumentException for input of the wrong shape, or {@link Embedding#PROJECTED} on a model
     *                                  without a projection (naming its architecture)
     */
    public INDArray embed(Input input, Embedding kind) {
        Site site = kind.site(config);
        boolean clsRowAlone = site.kind() == Site.Kind.LN_FINAL;     // only its CLS row is read
        try (Activations run = run(input, Keep.sites(site), Map.of(), clsRowAlone)) {
            INDArray kept = run.get(site);
            return site.kind() == Site.Kind.LN_FINAL ? HeadSteps.row(kept, 0) : kept.dup('c');  // [B, E]
        }
    }

    /**
     * A run keeping the sites {@code keep} selects: {@link Keep#logitsOnly()} for the logits alone (or
     * {@link #logits}), {@link Keep#all()} for every site (about 160 MB per ViT-B/16 image).
     */
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
     *                                  produces (a layer past the last, or before the input's start layer), or a
     *                                  {@code keep} naming a per-block site at a layer past the last
     */
    public Activations run(Input input, Keep keep, Map<Site, Substitution> substitutions) {
        return run(input, keep, substitutions, false);
    }

    /**
     * {@link #run(Input, Keep, Map)}; with {@code lnFinalClsRow} a kept {@code ln_final} may be its CLS row alone
     * {@code [B, 1, D]}, so that keeping it leaves the last block's CLS-only shortcut on ({@link #embed}).
     */
    Activations run(Input input, Keep keep, Map<Site, Substitution> substitutions, boolean lnFinalClsRow) {
        RunChecks.input(config, input);
        RunChecks.substitutions(config, input, substitutions);
        RunChecks.keep(config, keep);
        Shortcuts shortcuts = Shortcuts.of(config, input.startLayer(), keep, substitutions, lnFinalClsRow);
        FastRun run = new FastRun(keep, substitutions, config, input.batch(), shortcuts.clsOnlyLayer(), ops);
        INDArray resid = input instanceof Input.Pixels p ? embed(run, p.pixels())
                : run.callers(((Input.ResidPre) input).residPre());                            // [B, T, D]
        for (int l = input.startLayer(); l < config.layers(); l++) {
            resid = block(run, shortcuts, l, resid);                                             // [B, T', D]
            run.release(resid);
        }
        ReferenceForward.head(run, ops, weights, projection, resid);             // CLS-only: resid [B, 1, D]
        run.release(null);
        return new Activations(run.kept(), input.batch(), input.startLayer(),
                input instanceof Input.Pixels, run.owned(), substitutions,
                ops::release);
    }

    /**
     * Refuses {@code who}, which takes a softmax of the output, on a model without a classifier, saying what to use
     * {@code instead}.
     */
    static void refuseSoftmax(VitConfig config, String who, String instead) {
        if (config.architecture().head() == Architecture.Head.NONE) {
            throw new IllegalArgumentException(who + " takes a softmax over classes, but this model has no classifier"
                    + " (architecture " + config.architecture() + "): its output is its " + config.classes()
                    + "-wide embedding, over which a softmax means nothing; " + instead);
        }
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

    /**
     * {@link #backward(Activations, Objective)} keeping only the gradients of the sites {@code keep} selects. Nothing
     * below the lowest kept site is computed: the input's gradient only when {@code keep} selects {@code embed}.
     */
    public Gradients backward(Activations forward, Objective objective, Keep keep) {
        return backward(forward, objective, keep, Map.of());
    }

    /**
     * {@link #backward(Activations, Objective, Keep)} with some sites' elements held fixed: where a mask of
     * {@code held} is 1 (a mask broadcasts to its site's shape as a {@link Substitution#masked} mask does), the
     * element is treated as an input of the run. Its gradient is recorded, and nothing flows past it to what
     * produced it. The gradients are then partial derivatives with every held element fixed: what the first-order
     * change of restoring several sites at once is made of (attribution patching of a window of layers), where a
     * total derivative would count what one restored site passes through another at both.
     */
    public Gradients backward(Activations forward, Objective objective, Keep keep, Map<Site, INDArray> held) {
        RunChecks.keep(config, keep);
        Map<Site, INDArray> masks = new LinkedHashMap<>();
        held.forEach((site, mask) -> {
            if (site == null || mask == null) {
                throw new IllegalArgumentException("a held site needs a site and a mask, got " + site + " → " + mask);
            }
            masks.put(site, mask);
        });
        return Backward.run(weights, table, ops, forward, objective, keep, masks);
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
    private INDArray embed(FastRun run, INDArray pixels) {
        int b = (int) pixels.size(0);
        int n = config.patches();
        int d = config.hiddenSize();
        INDArray patches = ops.patchify(pixels, config.patchSize());                             // [B·N, C·p·p]
        INDArray embed = run.site(Site.embed(),
                ops.linear(patches, weights.patchEmbed()).reshape(b, n, d));                     // [B, N, D]
        ops.release(List.of(patches));
        INDArray tokens = ops.prependAddPos(embed, table.prefix(), table.positions());          // [B, T, D]
        if (arch.embedNorm()) {
            INDArray unnormed = run.made(tokens);
            tokens = run.site(Site.embedLn(),
                    ops.layerNorm(unnormed, weights.extras().embedNorm(), config.layerNormEps())); // [B, T, D]
        }
        return tokens;
    }

    /**
     * One pre-LN block, timm's two lines: {@code x = x + attn(ln1(x)); x = x + mlp(ln2(x))}, with the run's
     * shortcuts: a skipped module's output is its substitution; in a CLS-only block everything from the queries on is
     * the CLS row alone (T' = 1; else T' = T).
     */
    private INDArray block(FastRun run, Shortcuts shortcuts, int l, INDArray input) {
        boolean clsOnly = l == shortcuts.clsOnlyLayer();
        INDArray residPre = run.site(Site.residPre(l), input);                                  // [B, T, D]
        INDArray attnOut = shortcuts.skips(Site.attnOut(l)) ? run.skipped(Site.attnOut(l))
                : run.site(Site.attnOut(l), attention(run, l, residPre, clsOnly));              // [B, T', D]
        INDArray residMid = run.site(Site.residMid(l),
                ops.add(clsOnly ? FastRun.clsRow(residPre, Site.Kind.RESID_PRE) : residPre, attnOut));  // [B, T', D]
        INDArray mlpOut = shortcuts.skips(Site.mlpOut(l)) ? run.skipped(Site.mlpOut(l))
                : run.site(Site.mlpOut(l), mlp(run, l, residMid));                               // [B, T', D]
        return run.site(Site.residPost(l), ops.add(residMid, mlpOut));                          // [B, T', D]
    }

    /**
     * Multi-head self-attention of block l: resid_pre {@code [B, T, D]} → attn_out {@code [B, T', D]}. {@code
     * clsOnly}: every token's k and v, the CLS query's row of everything after.
     */
    private INDArray attention(FastRun run, int l, INDArray residPre, boolean clsOnly) {
        VitWeights.Block w = weights.blocks().get(l);
        int b = (int) residPre.size(0);
        int t = config.tokens();
        int d = config.hiddenSize();
        int h = config.heads();
        INDArray ln1 = run.site(Site.ln1(l), ops.layerNorm(residPre, w.norm1(), config.layerNormEps())); // [B, T, D]
        INDArray qkv = ops.qkv(ln1.reshape(b * t, d), w.qkv());                                  // [B·T, 3D] scratch
        INDArray allQ = ops.head(qkv, 0, b, h);                                                  // [B, H, T, d]
        INDArray q = run.site(Site.q(l), clsOnly ? FastRun.clsRow(allQ, Site.Kind.Q) : allQ);    // [B, H, T', d]
        INDArray k = run.site(Site.k(l), ops.head(qkv, 1, b, h));                               // [B, H, T, d]
        INDArray v = run.site(Site.v(l), ops.head(qkv, 2, b, h));                               // [B, H, T, d]
        INDArray scores = ops.scores(q, k, 1.0 / Math.sqrt(config.headDim()));                  // [B, H, T', T] scratch
        INDArray pattern = run.site(Site.pattern(l),
                ops.softmax(scores));                                                            // [B, H, T', T]
        INDArray z = run.site(Site.z(l), ops.mix(pattern, v));                                  // [B, H, T', d]
        INDArray heads = ops.mergeHeads(z);                                                      // [B·T', D] scratch
        return ops.linear(heads, w.proj()).reshape(b, q.size(2), d);                             // [B, T', D]
    }

    /** The MLP of block l: resid_mid {@code [B, T', D]} → mlp_out {@code [B, T', D]}. */
    private INDArray mlp(FastRun run, int l, INDArray residMid) {
        VitWeights.Block w = weights.blocks().get(l);
        int b = (int) residMid.size(0);
        int t = (int) residMid.size(1);
        int d = config.hiddenSize();
        int m = config.mlpSize();
        INDArray ln2 = run.site(Site.ln2(l), ops.layerNorm(residMid, w.norm2(), config.layerNormEps())); // [B, T', D]
        INDArray mlpPost;
        if (run.observes(Site.mlpPre(l))) {
            INDArray mlpPre = run.site(Site.mlpPre(l),
                    ops.linear(ln2.reshape(b * t, d), w.fc1()).reshape(b, t, m));                // [B, T', M]
            mlpPost = run.site(Site.mlpPost(l), ops.activation(mlpPre, arch.activation()));     // [B, T', M]
        } else {                                       // mlp_pre unobserved: the activation inside fc1's product
            mlpPost = run.site(Site.mlpPost(l), ops.linearActivation(ln2.reshape(b * t, d), w.fc1(),
                    arch.activation()).reshape(b, t, m));                                        // [B, T', M]
        }
        return ops.linear(mlpPost.reshape(b * t, m), w.fc2()).reshape(b, t, d);                  // [B, T', D]
    }

    /**
     * The shortcuts of one run, decided before it starts.
     *
     * @param skipped      the module outputs whose module is not computed: replaced whole, nothing inside kept
     * @param clsOnlyLayer the block computed for its CLS row alone (the last, when the run keeps nothing of it nor
     *                     ln_final, unless only ln_final's CLS row is read), or −1
     */
    private record Shortcuts(Set<Site> skipped, int clsOnlyLayer) {

        static Shortcuts of(VitConfig config, int start, Keep keep, Map<Site, Substitution> substitutions,
                            boolean lnFinalClsRow) {
            Set<Site> skipped = new HashSet<>();
            for (int l = start; l < config.layers(); l++) {
                for (Site.Module module : List.of(Site.Module.ATTENTION, Site.Module.MLP)) {
                    Site output = Site.of(l, module.output());
                    boolean whole = substitutions.get(output) instanceof Substitution.Whole;
                    if (whole && !keepsAny(keep, l, kind -> kind.module() == module)) {
                        skipped.add(output);
                    }
                }
            }
            int last = config.layers() - 1;
            boolean readsClsAlone = config.architecture().pooling() == Architecture.Pooling.CLS;
            boolean clsOnly = readsClsAlone && start <= last && (lnFinalClsRow || !keep.keeps(Site.lnFinal()))
                    && !keepsAny(keep, last, Site.Kind::perBlock);
            return new Shortcuts(skipped, clsOnly ? last : -1);
        }

        /** Whether {@code keep} selects a site of block l of one of the per-block kinds {@code kinds} accepts. */
        private static boolean keepsAny(Keep keep, int l, Predicate<Site.Kind> kinds) {
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock() && kinds.test(kind) && keep.keeps(Site.of(l, kind))) {
                    return true;
                }
            }
            return false;
        }

        boolean skips(Site output) {
            return skipped.contains(output);
        }
    }
}
