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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The backward pass: the forward ({@link ReferenceForward}) read bottom-up, one line per operation, each forward
 * line quoted above its mirror. Every gradient is the derivative of the objective with respect to a site's array;
 * {@code dX} names the gradient of X. Activation gradients only (no weight gradients: training is not a goal).
 *
 * <p>{@link #site} is the backward's twin of the forward's lookup: it adds the objective's seed if the objective is
 * a function of this site, records the gradient of the array the run used there (if kept), and returns the gradient
 * that flows on to the array the forward <em>produced</em> there: the same, unless a {@link Substitution} replaced
 * it (whole: nothing flows on; masked: only where the mask kept the computed value), or unless the caller holds
 * some of its elements fixed (nothing flows on from those). A gradient that is zero
 * everywhere is {@code null} here, and operations on it are skipped ({@link #apply}): above the objective's site,
 * and below a site replaced whole, nothing is computed.
 *
 * <p>What it needs from the forward run: the arrays of {@link #KEEP} (the inputs of LayerNorm, softmax, GELU and the
 * attention products), which the forward kept.
 */
final class Backward {

    /** What the forward must keep for a backward: the inputs of the operations whose derivative depends on them. */
    static final Keep KEEP = Keep.kinds(Site.Kind.RESID_PRE, Site.Kind.Q, Site.Kind.K, Site.Kind.V,
            Site.Kind.PATTERN, Site.Kind.RESID_MID, Site.Kind.MLP_PRE, Site.Kind.RESID_POST);

    private final VitWeights weights;
    private final VitConfig config;
    private final Ops ops;
    private final Activations forward;
    private final Objective objective;
    private final Keep keep;
    private final Map<Site, Substitution> substitutions;
    private final Map<Site, INDArray> held;
    private final Map<Site, INDArray> kept = new LinkedHashMap<>();
    private final List<INDArray> made = new ArrayList<>();
    private final int batch;

    private Backward(VitWeights weights, Ops ops, Activations forward, Objective objective, Keep keep,
                     Map<Site, INDArray> held) {
        this.weights = weights;
        this.config = weights.config();
        this.ops = ops;
        this.forward = forward;
        this.objective = objective;
        this.keep = keep;
        this.substitutions = forward.substitutions();
        this.held = held;
        this.batch = forward.batch();
    }

    /**
     * The gradients of {@code objective} at the run {@code forward} (which kept {@link #KEEP}), keeping the
     * gradients of the sites {@code keep} selects; the elements where a mask of {@code held} is 1 are held fixed
     * (see {@link Vit#backward(Activations, Objective, Keep, Map)}).
     */
    static Gradients run(VitWeights weights, Ops ops, Activations forward, Objective objective, Keep keep,
                         Map<Site, INDArray> held) {
        return new Backward(weights, ops, forward, objective, keep, held).run();
    }

    private Gradients run() {
        int start = forward.startLayer();
        if (start >= config.layers()) {
            throw new IllegalArgumentException("the run started at layer " + start + ", after the last block: only"
                    + " the head ran; start the forward at an earlier layer to differentiate");
        }
        checkHeld(start);
        double[] values = objective.values(used(objective.site()));
        int stop = Math.max(start, lowestKeptLayer());
        INDArray dResid = head();
        for (int l = config.layers() - 1; l >= stop; l--) {
            dResid = block(l, dResid);
            releaseUnkept(dResid);
        }
        INDArray dInput = null;
        if (stop == 0 && forward.fromPixels() && keep.keeps(Site.embed())) {
            dInput = embed(dResid);
            if (dInput == null) { // a site replaced or held whole cut every path to the pixels: their gradient is 0
                dInput = Nd4j.zeros(DataType.FLOAT, batch, config.channels(), config.imageSize(), config.imageSize());
            }
        }
        releaseUnkept(dInput);
        String whyNoInput = !forward.fromPixels()
                ? "the run started at layer " + start + " from a resid_pre, so it has no input pixels; use"
                + " get(Site.residPre(" + start + "))"
                : "the backward stopped at layer " + stop + ", the lowest its Keep selected: keep Site.embed()"
                + " (Keep.all() does) to have the input's gradient computed";
        return new Gradients(kept, dInput, values, start, dInput == null ? whyNoInput : "", ops::release);
    }

    /**
     * The lowest block whose gradients anyone asked for: 0 when {@code keep} selects {@code embed} and the run had
     * pixels (the input's gradient is computed then, and only then), else the lowest layer of a kept per-block site.
     * Nothing below it is computed.
     */
    private int lowestKeptLayer() {
        if (forward.fromPixels() && keep.keeps(Site.embed())) {
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

    /** {@code ln_final} and the head, bottom-up: the gradient of the last block's {@code resid_post}. */
    private INDArray head() {
        int t = config.tokens();
        int d = config.hiddenSize();
        INDArray residPost = used(Site.residPost(config.layers() - 1));                            // [B, T, D]
        // logits = linear(lnFinal[:, 0], head)
        INDArray dLogits = site(Site.logits(), null);                                              // [B, C]
        INDArray dCls = apply(dLogits, g -> ops.linearBackward(g, weights.head()));                // [B, D]
        INDArray dLnFinal = site(Site.lnFinal(), apply(dCls, g -> clsRowOf(g, t, d)));             // [B, T, D]
        // lnFinal = layerNorm(resid, norm)                 resid: the last block's residPost
        return apply(dLnFinal, g -> ops.layerNormBackward(g, residPost, weights.norm(), config.layerNormEps()));
    }

    /** One block, bottom-up: the gradient of its {@code resid_post} in, that of its {@code resid_pre} out. */
    private INDArray block(int l, INDArray dResidPost) {
        INDArray residMid = used(Site.residMid(l));                                                // [B, T, D]
        // residPost = residMid + mlpOut
        INDArray dSumMlp = site(Site.residPost(l), dResidPost);                                    // [B, T, D]
        INDArray dMlpOut = site(Site.mlpOut(l), dSumMlp);                                          // [B, T, D]
        INDArray dResidMid = sum(dSumMlp, mlp(l, dMlpOut, residMid));                              // [B, T, D]
        // residMid = residPre + attnOut
        INDArray dSumAttn = site(Site.residMid(l), dResidMid);                                     // [B, T, D]
        INDArray dAttnOut = site(Site.attnOut(l), dSumAttn);                                       // [B, T, D]
        INDArray dResidPre = sum(dSumAttn, attention(l, dAttnOut));                                // [B, T, D]
        // residPre = input                                 the previous block's residPost, or the embedding
        return site(Site.residPre(l), dResidPre);                                                  // [B, T, D]
    }

    /** Attention of block l, bottom-up: the gradient of attn_out in, that of its input resid_pre out. */
    private INDArray attention(int l, INDArray dAttnOut) {
        VitWeights.Block w = weights.blocks().get(l);
        int h = config.heads();
        INDArray residPre = used(Site.residPre(l));                                                // [B, T, D]
        INDArray q = used(Site.q(l));                                                              // [B, H, T, d]
        INDArray k = used(Site.k(l));                                                              // [B, H, T, d]
        INDArray v = used(Site.v(l));                                                              // [B, H, T, d]
        INDArray pattern = used(Site.pattern(l));                                                  // [B, H, T, T]
        double scale = 1.0 / Math.sqrt(config.headDim());
        // attnOut = linear(mergeHeads(z), proj)
        INDArray dHeads = apply(dAttnOut, g -> ops.linearBackward(rows(g), w.proj()));             // [B·T, D]
        INDArray dz = site(Site.z(l), apply(dHeads, g -> ops.splitHeads(g, batch, h)));            // [B, H, T, d]
        // z = mix(pattern, v)                              pattern · v
        INDArray dPattern = site(Site.pattern(l),
                apply(dz, g -> ops.perHeadProduct(g, v, false, true)));                            // [B, H, T, T]
        INDArray dv = site(Site.v(l),
                apply(dz, g -> ops.perHeadProduct(pattern, g, true, false)));                      // [B, H, T, d]
        // pattern = softmax(scores(q, k, 1/√d))            scores = q · kᵀ / √d
        INDArray dScores = apply(dPattern, g -> ops.softmaxBackward(g, pattern, scale));           // [B, H, T, T]
        INDArray dk = site(Site.k(l), apply(dScores, g -> ops.perHeadProduct(g, q, true, false))); // [B, H, T, d]
        INDArray dq = site(Site.q(l), apply(dScores, g -> ops.perHeadProduct(g, k, false, false))); // [B, H, T, d]
        // q, k, v = head(qkv(ln1), 0 | 1 | 2)
        INDArray dQkv = dq == null && dk == null && dv == null ? null
                : made(ops.mergeQkv(orZeros(dq, q), orZeros(dk, k), orZeros(dv, v)));              // [B·T, 3D]
        INDArray dLn1 = site(Site.ln1(l),
                apply(dQkv, g -> ops.linearBackward(g, w.qkv()).reshape(residPre.shape())));       // [B, T, D]
        // ln1 = layerNorm(residPre, norm1)
        return apply(dLn1, g -> ops.layerNormBackward(g, residPre, w.norm1(), config.layerNormEps()));
    }

    /** The MLP of block l, bottom-up: the gradient of mlp_out in, that of its input resid_mid out. */
    private INDArray mlp(int l, INDArray dMlpOut, INDArray residMid) {
        VitWeights.Block w = weights.blocks().get(l);
        int t = config.tokens();
        INDArray mlpPre = used(Site.mlpPre(l));                                                    // [B, T, M]
        // mlpOut = linear(mlpPost, fc2)
        INDArray dMlpPost = site(Site.mlpPost(l), apply(dMlpOut,
                g -> ops.linearBackward(rows(g), w.fc2()).reshape(batch, t, config.mlpSize())));   // [B, T, M]
        // mlpPost = gelu(mlpPre)
        INDArray dMlpPre = site(Site.mlpPre(l),
                apply(dMlpPost, g -> ops.geluBackward(g, mlpPre)));                                // [B, T, M]
        // mlpPre = linear(ln2, fc1)
        INDArray dLn2 = site(Site.ln2(l),
                apply(dMlpPre, g -> ops.linearBackward(rows(g), w.fc1()).reshape(residMid.shape()))); // [B, T, D]
        // ln2 = layerNorm(residMid, norm2)
        return apply(dLn2, g -> ops.layerNormBackward(g, residMid, w.norm2(), config.layerNormEps()));
    }

    /** The embedding, bottom-up: the gradient of block 0's resid_pre in, that of the input pixels out. */
    private INDArray embed(INDArray dResidPre) {
        int t = config.tokens();
        int d = config.hiddenSize();
        // residPre = prependClsAddPos(embed, cls, pos)     concat(cls, embed) + pos
        INDArray dEmbed = site(Site.embed(), apply(dResidPre, g -> g.get(NDArrayIndex.all(),
                NDArrayIndex.interval(1, t), NDArrayIndex.all()).dup('c')));                       // [B, N, D]
        // embed = linear(patchify(pixels), patchEmbed)
        INDArray dPatches = apply(dEmbed, g -> ops.linearBackward(g.reshape((long) batch * config.patches(), d),
                weights.patchEmbed()));                                                            // [B·N, C·p·p]
        return apply(dPatches, g -> ops.unpatchify(g, batch, config.channels(), config.imageSize(),
                config.patchSize()));                                                              // [B, C, H, W]
    }

    /**
     * At {@code site}, given {@code dUsed}, the gradient of the array the run used there (null: zero): adds the
     * objective's seed if it is a function of this site, keeps the result if asked, and returns the gradient of the
     * array the forward produced there.
     */
    private INDArray site(Site site, INDArray dUsed) {
        INDArray d = dUsed;
        if (site.equals(objective.site())) {
            INDArray seed = made(objective.seed(used(site)));
            d = sum(d, seed);
        }
        if (keep.keeps(site)) {
            kept.put(site, d != null ? d : Nd4j.zeros(DataType.FLOAT, site.shape(config, batch)));
        }
        Substitution s = substitutions.get(site);
        if (d == null || s instanceof Substitution.Whole) {
            return null;
        }
        // on to the array produced here: where the run kept its own value, and where the caller does not hold it
        INDArray passed = s == null ? d : notMasked(d, ((Substitution.Masked) s).mask());
        INDArray fixed = held.get(site);
        return fixed == null || passed == null ? passed : notMasked(passed, fixed);
    }

    /** {@code d} where {@code mask} is 0, zero where it is 1: a new array, or null (zero) when the mask is all 1. */
    private INDArray notMasked(INDArray d, INDArray mask) {
        INDArray open = mask.castTo(DataType.FLOAT).rsub(1.0);
        if (open.amaxNumber().doubleValue() == 0) {
            return null;
        }
        return made(d.mul(open.broadcast(d.shape())));
    }

    /** {@code derivative(g)}, or zero (null) when {@code g} is zero. */
    private INDArray apply(INDArray g, UnaryOperator<INDArray> derivative) {
        return g == null ? null : made(derivative.apply(g));
    }

    /** {@code a + b} where null is zero. */
    private INDArray sum(INDArray a, INDArray c) {
        if (a == null || c == null) {
            return a == null ? c : a;
        }
        return made(ops.add(a, c));
    }

    private INDArray made(INDArray a) {
        made.add(a);
        return a;
    }

    private INDArray orZeros(INDArray g, INDArray like) {
        return g != null ? g : made(Nd4j.zeros(DataType.FLOAT, like.shape()));
    }

    /** {@code [B, T, X]} as rows {@code [B·T, X]} (a view). */
    private static INDArray rows(INDArray g) {
        return g.reshape(g.size(0) * g.size(1), g.size(2));
    }

    /** A new {@code [B, T, D]} that is zero except its CLS row, which is {@code cls} {@code [B, D]}. */
    private static INDArray clsRowOf(INDArray cls, int t, int d) {
        INDArray out = Nd4j.zeros(DataType.FLOAT, cls.size(0), t, d);
        out.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).assign(cls);
        return out;
    }

    /** Gives back every array this pass made that is neither kept nor shares memory with {@code live}. */
    private void releaseUnkept(INDArray live) {
        Set<DataBuffer> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.values().forEach(a -> inUse.add(Ops.bufferOf(a)));
        if (live != null) {
            inUse.add(Ops.bufferOf(live));
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

    /** Every held mask belongs to a site this run computes and broadcasts to its shape. */
    private void checkHeld(int start) {
        for (Map.Entry<Site, INDArray> e : held.entrySet()) {
            Site site = e.getKey();
            boolean computed = site.kind().perBlock() ? site.layer() >= start && site.layer() < config.layers()
                    : site.kind() != Site.Kind.EMBED || forward.fromPixels();
            if (!computed) {
                throw new IllegalArgumentException("cannot hold " + site + " fixed: the run computes layers " + start
                        + ".." + (config.layers() - 1) + (forward.fromPixels() ? "" : " from a resid_pre"));
            }
            RunChecks.maskShape("held mask", site, e.getValue().shape(), site.shape(config, batch));
        }
    }

    /** The array the forward run used at {@code site}, which the backward needs. */
    private INDArray used(Site site) {
        if (!forward.has(site)) {
            throw new IllegalArgumentException("the backward needs " + site + " from the forward run, which did not"
                    + " keep it; run the forward with Vit.keepForBackward() (or Keep.all()), and keep the objective's"
                    + " site");
        }
        return forward.get(site);
    }
}
