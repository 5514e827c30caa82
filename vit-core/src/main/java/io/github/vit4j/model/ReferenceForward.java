package io.github.vit4j.model;

import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.model.kernels.Ops;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The forward pass of a pre-LN ViT as the paper writes it: every site computed, in order, one line each. Read this
 * first; {@link Vit}, the fast path users call, computes the same sites with shortcuts and is tested equal to it
 * ({@code VitEqualsReferenceForwardTest}). The backward pass mirrors these methods, bottom-up.
 *
 * <p>Every site passes through {@code Run.site}, where it is produced: the array of a {@link Substitution} for that
 * site is used instead if there is one, and the array used is recorded if the {@link Keep} asks for it. Nothing is
 * skipped and nothing is freed early. Site arrays are never written after they are produced.
 *
 * <p>The arithmetic is that of the plain kernels ({@link KernelSet#PLAIN}: one ND4J operation per step, every result
 * a new array, nothing reused, the weights read at every run) unless another kernel set is given; on those,
 * {@code qkv}, {@code scores} and {@code mergeHeads} return scratch memory, each consumed here before the next call
 * of the same operation. {@link #backward} differentiates a run on the same kernels.
 */
public final class ReferenceForward {

    private final VitWeights weights;
    private final VitConfig config;
    private final Architecture arch;
    private final TokenTable table;
    /** CLIP's projection as a bias-free linear map, built once; null without one. */
    private final VitWeights.Linear projection;
    private final KernelSet kernels;
    private final Ops ops;
    private final Encoder encoder;

    /** The reference forward on the plain kernels, whatever {@code -Dvit4j.kernels} says (that is {@link Vit}'s). */
    public ReferenceForward(VitWeights weights) {
        this(weights, KernelSet.PLAIN);
    }

    /**
     * The reference forward on the given kernel set: the paper's lines on a fast set's arithmetic.
     *
     * @throws IllegalArgumentException for a kernel set that does not run here ({@link KernelSet#runsHere()})
     */
    public ReferenceForward(VitWeights weights, KernelSet kernels) {
        this.weights = weights;
        this.config = weights.config();
        this.arch = config.architecture();
        this.table = TokenTable.of(weights);
        this.projection = arch.projection() > 0 ? HeadSteps.projection(weights) : null;
        this.kernels = Objects.requireNonNull(kernels, "kernels: name one, e.g. KernelSet.PLAIN");
        this.ops = kernels.ops();
        this.encoder = new Encoder(ops, weights.blocks(), config.heads(), config.layerNormEps(), arch.activation(),
                false);
    }

    /** The kernel set this reference runs on: {@link KernelSet#PLAIN} unless the constructor was given another. */
    public KernelSet kernels() {
        return kernels;
    }

    /** A run keeping the sites {@code keep} selects. */
    public Activations run(Input input, Keep keep) {
        return run(input, keep, Map.of());
    }

    /**
     * A run from {@code input} in which each site of {@code substitutions} uses the substituted array instead of
     * the one computed; the returned activations hold the arrays actually used.
     *
     * @throws IllegalArgumentException for input of the wrong shape, a substitution at a site this run never
     *                                  produces, or one of the wrong shape or type, or a {@code keep} naming a
     *                                  per-block site at a layer past the last
     */
    public Activations run(Input input, Keep keep, Map<Site, Substitution> substitutions) {
        RunChecks.input(config, input);
        RunChecks.substitutions(config, input, substitutions);
        RunChecks.keep(config, keep);
        Run run = new Run(keep, substitutions);
        INDArray resid = input instanceof Input.Pixels p ? embed(run, p.pixels())
                : ((Input.ResidPre) input).residPre();                                          // [B, T, D]
        for (int l = input.startLayer(); l < config.layers(); l++) {
            resid = block(run, encoder, l, resid);                                               // [B, T, D]
        }
        head(run, ops, weights, projection, resid);
        Set<INDArray> owned = run.owned();
        if (input instanceof Input.ResidPre r) {
            owned.remove(r.residPre());
        }
        return new Activations(run.kept(), input.batch(), input.startLayer(),
                input instanceof Input.Pixels, owned, substitutions, ops::release);
    }

    /**
     * The backward pass of a run of this reference, on its kernels: {@code objective}'s gradient at the run
     * {@code forward} for every site and the input, as {@link Vit#backward(Activations, Objective)} computes it on
     * the model's. {@code forward} must have kept {@link Vit#keepForBackward()} and the objective's site.
     *
     * @throws IllegalArgumentException for a run that did not keep what the backward needs
     */
    public Gradients backward(Activations forward, Objective objective) {
        return Backward.run(weights, table, ops, forward, objective, Keep.all(), Map.of());
    }

    /**
     * Patch embedding, the tokens before the patches (CLS, distillation, registers) and position embeddings, then
     * CLIP's LayerNorm: pixels {@code [B, C, H, W]} → resid_pre of block 0.
     */
    private INDArray embed(Run run, INDArray pixels) {
        int b = (int) pixels.size(0);
        int n = config.patches();
        int d = config.hiddenSize();
        INDArray patches = ops.patchify(pixels, config.patchSize());                             // [B·N, C·p·p]
        INDArray embed = run.site(Site.embed(),
                ops.linear(patches, weights.patchEmbed()).reshape(b, n, d));                     // [B, N, D]
        INDArray tokens = ops.prependAddPos(embed, table.prefix(), table.positions());          // [B, T, D]
        if (arch.embedNorm()) {
            tokens = run.site(Site.embedLn(),
                    ops.layerNorm(tokens, weights.extras().embedNorm(), config.layerNormEps()));  // [B, T, D]
        }
        return tokens;
    }

    /**
     * How one tower runs its blocks (the image tower here, CLIP's text tower in {@link TextTower}): the kernels, the
     * blocks' weights, the head count, LayerNorm's epsilon, the MLP's activation, and whether attention is causal
     * (each token attends to itself and the tokens before it: the text tower).
     */
    record Encoder(Ops ops, List<VitWeights.Block> blocks, int heads, double eps, Architecture.Activation activation,
                   boolean causal) {
    }

    /** One pre-LN block, timm's two lines: {@code x = x + attn(ln1(x)); x = x + mlp(ln2(x))}. */
    static INDArray block(Run run, Encoder e, int l, INDArray input) {
        Ops ops = e.ops();
        INDArray residPre = run.site(Site.residPre(l), input);                                  // [B, T, D]
        INDArray attnOut = run.site(Site.attnOut(l), attention(run, e, l, residPre));           // [B, T, D]
        INDArray residMid = run.site(Site.residMid(l), ops.add(residPre, attnOut));             // [B, T, D]
        INDArray mlpOut = run.site(Site.mlpOut(l), mlp(run, e, l, residMid));                   // [B, T, D]
        return run.site(Site.residPost(l), ops.add(residMid, mlpOut));                          // [B, T, D]
    }

    /** Multi-head self-attention of block l: resid_pre {@code [B, T, D]} → attn_out {@code [B, T, D]}. */
    private static INDArray attention(Run run, Encoder e, int l, INDArray residPre) {
        Ops ops = e.ops();
        VitWeights.Block w = e.blocks().get(l);
        int b = (int) residPre.size(0);
        int t = (int) residPre.size(1);
        int d = (int) residPre.size(2);
        int h = e.heads();
        INDArray ln1 = run.site(Site.ln1(l), ops.layerNorm(residPre, w.norm1(), e.eps()));      // [B, T, D]
        INDArray qkv = ops.qkv(ln1.reshape(b * t, d), w.qkv());                                  // [B·T, 3D] scratch
        INDArray q = run.site(Site.q(l), ops.head(qkv, 0, b, h));                               // [B, H, T, d]
        INDArray k = run.site(Site.k(l), ops.head(qkv, 1, b, h));                               // [B, H, T, d]
        INDArray v = run.site(Site.v(l), ops.head(qkv, 2, b, h));                               // [B, H, T, d]
        INDArray scores = ops.scores(q, k, 1.0 / Math.sqrt(d / h));                              // [B, H, T, T] scratch
        if (e.causal()) {
            scores = causalMask(scores);                                     // −∞ where a key comes after the query
        }
        INDArray pattern = run.site(Site.pattern(l), ops.softmax(scores));                      // [B, H, T, T]
        INDArray z = run.site(Site.z(l), ops.mix(pattern, v));                                  // [B, H, T, d]
        INDArray heads = ops.mergeHeads(z);                                                      // [B·T, D] scratch
        return ops.linear(heads, w.proj()).reshape(b, t, d);                                     // [B, T, D]
    }

    /** The MLP of block l: resid_mid {@code [B, T, D]} → mlp_out {@code [B, T, D]}. */
    private static INDArray mlp(Run run, Encoder e, int l, INDArray residMid) {
        Ops ops = e.ops();
        VitWeights.Block w = e.blocks().get(l);
        int b = (int) residMid.size(0);
        int t = (int) residMid.size(1);
        int d = (int) residMid.size(2);
        int m = (int) w.fc1().weight().size(0);
        INDArray ln2 = run.site(Site.ln2(l), ops.layerNorm(residMid, w.norm2(), e.eps()));      // [B, T, D]
        INDArray mlpPre = run.site(Site.mlpPre(l),
                ops.linear(ln2.reshape(b * t, d), w.fc1()).reshape(b, t, m));                    // [B, T, M]
        INDArray mlpPost = run.site(Site.mlpPost(l), ops.activation(mlpPre, e.activation()));   // [B, T, M]
        return ops.linear(mlpPost.reshape(b * t, m), w.fc2()).reshape(b, t, d);                  // [B, T, D]
    }

    /**
     * The causal mask: {@code scores} {@code [B, H, T, T]} with −∞ wherever key j comes after query i (j > i), so
     * that the softmax gives those keys weight 0 (exactly 0 on the plain kernels; at most 2e-38 on the fast ones:
     * OpenBLAS's softmax clamps its exponent at −87): a new array.
     */
    static INDArray causalMask(INDArray scores) {
        int t = (int) scores.size(3);
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            Arrays.fill(mask, i * t + i + 1, (i + 1) * t, Float.NEGATIVE_INFINITY);
        }
        long rows = scores.size(0) * scores.size(1);
        INDArray row = Nd4j.createFromArray(mask).reshape(1, (long) t * t);                   // [1, T·T]
        return scores.reshape('c', rows, (long) t * t).addRowVector(row).reshape('c', scores.shape());
    }

    /**
     * The final LayerNorm, pooling, projection and head: the last block's resid_post → logits. For the original ViT
     * two lines, {@code logits = head(layerNorm(resid)[:, 0])}; each family's step is switched on by its
     * {@link Architecture}. {@link Vit} runs the same lines on its {@link FastRun}.
     *
     * @param projection CLIP's projection as a bias-free linear map ({@link HeadSteps#projection}, built once per
     *                   model), or null for a model without one
     */
    static void head(SiteLookup run, Ops ops, VitWeights weights, VitWeights.Linear projection, INDArray resid) {
        VitConfig config = weights.config();
        Architecture arch = config.architecture();
        double eps = config.layerNormEps();
        if (arch.head() == Architecture.Head.DISTILLED) {                         // distilled DeiT: two heads
            INDArray lnFinal = run.site(Site.lnFinal(), ops.layerNorm(resid, weights.norm(), eps));  // [B, T, D]
            INDArray cls = run.site(Site.clsLogits(),
                    ops.linear(HeadSteps.row(lnFinal, 0), weights.head()));                           // [B, C]
            INDArray dist = run.site(Site.distillationLogits(),
                    ops.linear(HeadSteps.row(lnFinal, 1), weights.extras().headDist()));              // [B, C]
            run.site(Site.logits(), ops.add(cls, dist).divi(2));                                 // [B, C]
            return;
        }
        INDArray pooled;                                                                         // [B, D']
        if (arch.finalNormOnPooled()) {                                           // CLIP: LayerNorm on CLS alone
            pooled = ops.layerNorm(HeadSteps.row(resid, 0), weights.norm(), eps);                    // [B, D]
        } else {
            INDArray lnFinal = run.site(Site.lnFinal(), ops.layerNorm(resid, weights.norm(), eps)); // [B, T, D]
            pooled = switch (arch.pooling()) {
                case CLS -> HeadSteps.row(lnFinal, 0);                                                // [B, D]
                case CLS_AND_PATCH_MEAN -> HeadSteps.clsAndPatchMean(lnFinal, config.prefixTokens()); // [B, 2D]
                case ATTENTION_PROBE -> HeadSteps.attentionProbe(ops, lnFinal, weights.extras().pool(),
                        config.heads(), arch.activation(), eps).pooled();                          // [B, D]
                case CLS_AND_DISTILLATION -> throw new IllegalStateException("the distilled head reads two rows");
            };
        }
        if (arch.hasPooled()) {
            pooled = run.site(Site.pooled(), pooled);                                            // [B, D']
        }
        INDArray embedding = arch.projection() == 0 ? pooled
                : run.site(Site.imageEmbeds(), ops.linear(pooled, projection));   // [B, P]
        INDArray logits = switch (arch.head()) {
            case LINEAR -> ops.linear(arch.cosineHead() ? ops.normalizeRows(embedding) : embedding,
                    weights.head());                                                              // [B, C]
            case NONE -> embedding;                                                               // [B, P]
            case DISTILLED -> throw new IllegalStateException("handled above");
        };
        run.site(Site.logits(), logits);                                                         // [B, C]
    }

    /** One run's plain data: the substitutions it uses and the arrays it has kept so far, by site. */
    record Run(Keep keep, Map<Site, Substitution> substitutions, Map<Site, INDArray> kept) implements SiteLookup {

        /** A run keeping what {@code keep} selects, with {@code substitutions}, nothing kept yet. */
        Run(Keep keep, Map<Site, Substitution> substitutions) {
            this(keep, substitutions, new LinkedHashMap<>());
        }

        /** The array the run uses at {@code site}: the substituted one if any, else {@code produced}; kept if asked. */
        @Override
        public INDArray site(Site site, INDArray produced) {
            Substitution s = substitutions.get(site);
            INDArray used = s == null ? produced : s.apply(site, produced);
            if (keep.keeps(site)) {
                kept.put(site, used);
            }
            return used;
        }

        /** The kept arrays the run produced itself: all but the arrays of whole substitutions (a new set). */
        Set<INDArray> owned() {
            Set<INDArray> owned = Collections.newSetFromMap(new IdentityHashMap<>());
            owned.addAll(kept.values());
            for (Substitution s : substitutions.values()) {
                if (s instanceof Substitution.Whole whole) {
                    owned.remove(whole.array());
                }
            }
            return owned;
        }
    }
}
