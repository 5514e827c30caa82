package io.github.vit4j.model;

import io.github.vit4j.model.BackwardRun.Grad;
import io.github.vit4j.model.kernels.Ops;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The backward pass: the forward ({@link ReferenceForward}) read bottom-up, one line per operation, each forward
 * line quoted above its mirror. Every gradient is the derivative of the objective with respect to a site's array;
 * {@code dX} names the gradient of X. Activation gradients only (no weight gradients: training is not a goal).
 *
 * <p>This class holds the derivatives alone; {@link BackwardRun} (read it second) keeps the books, as
 * {@link FastRun} does for the forward. Its {@code site} is the backward's twin of the forward's lookup: it adds the
 * objective's seed if the objective is a function of this site, records the gradient of the array the run used there
 * (if kept), and returns the gradient that flows on to the array the forward <em>produced</em> there: the same,
 * unless a {@link Substitution} replaced it (whole: nothing flows on; masked: only where the mask kept the computed
 * value), or unless the caller holds some of its elements fixed (nothing flows on from those). A gradient is a
 * {@link Grad}, which may be zero everywhere; the run's {@code apply} computes nothing from a zero one: above the
 * objective's site, and below a site replaced whole, nothing is computed. After each block the run frees what it
 * made and no longer needs.
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
    private final Objective objective;
    private final BackwardRun run;
    private final int batch;

    private Backward(VitWeights weights, Ops ops, Objective objective, BackwardRun run, int batch) {
        this.weights = weights;
        this.config = weights.config();
        this.ops = ops;
        this.objective = objective;
        this.run = run;
        this.batch = batch;
    }

    /**
     * The gradients of {@code objective} at the run {@code forward} (which kept {@link #KEEP}), keeping the
     * gradients of the sites {@code keep} selects; the elements where a mask of {@code held} is 1 are held fixed
     * (see {@link Vit#backward(Activations, Objective, Keep, Map)}).
     */
    static Gradients run(VitWeights weights, Ops ops, Activations forward, Objective objective, Keep keep,
                         Map<Site, INDArray> held) {
        BackwardRun run = new BackwardRun(weights.config(), ops, forward, objective, keep, held);
        return new Backward(weights, ops, objective, run, forward.batch()).run();
    }

    /** The head, then each block from the last down to the lowest the run computes, then the embedding if asked. */
    private Gradients run() {
        double[] values = objective.values(run.used(objective.site()));
        Grad dResid = head();
        for (int l = config.layers() - 1; l >= run.stopLayer(); l--) {
            dResid = block(l, dResid);
            run.release(dResid);
        }
        Grad dInput = run.computesInput() ? embed(dResid) : Grad.ZERO;
        run.release(dInput);
        return run.gradients(values, dInput);
    }

    /** {@code ln_final} and the head, bottom-up: the gradient of the last block's {@code resid_post}. */
    private Grad head() {
        int t = config.tokens();
        int d = config.hiddenSize();
        INDArray residPost = run.used(Site.residPost(config.layers() - 1));                        // [B, T, D]
        // logits = linear(lnFinal[:, 0], head)
        Grad dLogits = run.site(Site.logits(), Grad.ZERO);                                         // [B, C]
        Grad dCls = run.apply(dLogits, g -> ops.linearBackward(g, weights.head()));                // [B, D]
        Grad dLnFinal = run.site(Site.lnFinal(), run.apply(dCls, g -> clsRowOf(g, t, d)));         // [B, T, D]
        // lnFinal = layerNorm(resid, norm)                 resid: the last block's residPost
        return run.apply(dLnFinal, g -> ops.layerNormBackward(g, residPost, weights.norm(), config.layerNormEps()));
    }

    /** One block, bottom-up: the gradient of its {@code resid_post} in, that of its {@code resid_pre} out. */
    private Grad block(int l, Grad dResidPost) {
        INDArray residMid = run.used(Site.residMid(l));                                            // [B, T, D]
        // residPost = residMid + mlpOut
        Grad dSumMlp = run.site(Site.residPost(l), dResidPost);                                    // [B, T, D]
        Grad dMlpOut = run.site(Site.mlpOut(l), dSumMlp);                                          // [B, T, D]
        Grad dResidMid = run.sum(dSumMlp, mlp(l, dMlpOut, residMid));                              // [B, T, D]
        // residMid = residPre + attnOut
        Grad dSumAttn = run.site(Site.residMid(l), dResidMid);                                     // [B, T, D]
        Grad dAttnOut = run.site(Site.attnOut(l), dSumAttn);                                       // [B, T, D]
        Grad dResidPre = run.sum(dSumAttn, attention(l, dAttnOut));                                // [B, T, D]
        // residPre = input                                 the previous block's residPost, or the embedding
        return run.site(Site.residPre(l), dResidPre);                                              // [B, T, D]
    }

    /** Attention of block l, bottom-up: the gradient of attn_out in, that of its input resid_pre out. */
    private Grad attention(int l, Grad dAttnOut) {
        VitWeights.Block w = weights.blocks().get(l);
        int h = config.heads();
        INDArray residPre = run.used(Site.residPre(l));                                            // [B, T, D]
        INDArray q = run.used(Site.q(l));                                                          // [B, H, T, d]
        INDArray k = run.used(Site.k(l));                                                          // [B, H, T, d]
        INDArray v = run.used(Site.v(l));                                                          // [B, H, T, d]
        INDArray pattern = run.used(Site.pattern(l));                                              // [B, H, T, T]
        double scale = 1.0 / Math.sqrt(config.headDim());
        // attnOut = linear(mergeHeads(z), proj)
        Grad dHeads = run.apply(dAttnOut, g -> ops.linearBackward(rows(g), w.proj()));             // [B·T, D]
        Grad dz = run.site(Site.z(l), run.apply(dHeads, g -> ops.splitHeads(g, batch, h)));        // [B, H, T, d]
        // z = mix(pattern, v)                              pattern · v
        Grad dPattern = run.site(Site.pattern(l),
                run.apply(dz, g -> ops.perHeadProduct(g, v, false, true)));                        // [B, H, T, T]
        Grad dv = run.site(Site.v(l),
                run.apply(dz, g -> ops.perHeadProduct(pattern, g, true, false)));                  // [B, H, T, d]
        // pattern = softmax(scores(q, k, 1/√d))            scores = q · kᵀ / √d
        Grad dScores = run.apply(dPattern, g -> ops.softmaxBackward(g, pattern, scale));           // [B, H, T, T]
        Grad dk = run.site(Site.k(l), run.apply(dScores, g -> ops.perHeadProduct(g, q, true, false))); // [B, H, T, d]
        Grad dq = run.site(Site.q(l), run.apply(dScores, g -> ops.perHeadProduct(g, k, false, false))); // [B, H, T, d]
        // q, k, v = head(qkv(ln1), 0 | 1 | 2)
        Grad dQkv = run.merge(dq, dk, dv, q.shape(), ops::mergeQkv);                               // [B·T, 3D]
        Grad dLn1 = run.site(Site.ln1(l),
                run.apply(dQkv, g -> ops.linearBackward(g, w.qkv()).reshape(residPre.shape())));   // [B, T, D]
        // ln1 = layerNorm(residPre, norm1)
        return run.apply(dLn1, g -> ops.layerNormBackward(g, residPre, w.norm1(), config.layerNormEps()));
    }

    /** The MLP of block l, bottom-up: the gradient of mlp_out in, that of its input resid_mid out. */
    private Grad mlp(int l, Grad dMlpOut, INDArray residMid) {
        VitWeights.Block w = weights.blocks().get(l);
        int t = config.tokens();
        INDArray mlpPre = run.used(Site.mlpPre(l));                                                // [B, T, M]
        // mlpOut = linear(mlpPost, fc2)
        Grad dMlpPost = run.site(Site.mlpPost(l), run.apply(dMlpOut,
                g -> ops.linearBackward(rows(g), w.fc2()).reshape(batch, t, config.mlpSize())));   // [B, T, M]
        // mlpPost = gelu(mlpPre)
        Grad dMlpPre = run.site(Site.mlpPre(l),
                run.apply(dMlpPost, g -> ops.geluBackward(g, mlpPre)));                            // [B, T, M]
        // mlpPre = linear(ln2, fc1)
        Grad dLn2 = run.site(Site.ln2(l),
                run.apply(dMlpPre, g -> ops.linearBackward(rows(g), w.fc1()).reshape(residMid.shape()))); // [B, T, D]
        // ln2 = layerNorm(residMid, norm2)
        return run.apply(dLn2, g -> ops.layerNormBackward(g, residMid, w.norm2(), config.layerNormEps()));
    }

    /** The embedding, bottom-up: the gradient of block 0's resid_pre in, that of the input pixels out. */
    private Grad embed(Grad dResidPre) {
        int t = config.tokens();
        int d = config.hiddenSize();
        // residPre = prependClsAddPos(embed, cls, pos)     concat(cls, embed) + pos
        Grad dEmbed = run.site(Site.embed(), run.apply(dResidPre, g -> g.get(NDArrayIndex.all(),
                NDArrayIndex.interval(1, t), NDArrayIndex.all()).dup('c')));                       // [B, N, D]
        // embed = linear(patchify(pixels), patchEmbed)
        Grad dPatches = run.apply(dEmbed, g -> ops.linearBackward(g.reshape((long) batch * config.patches(), d),
                weights.patchEmbed()));                                                            // [B·N, C·p·p]
        return run.apply(dPatches, g -> ops.unpatchify(g, batch, config.channels(), config.imageSize(),
                config.patchSize()));                                                              // [B, C, H, W]
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
}
