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
            Site.Kind.PATTERN, Site.Kind.RESID_MID, Site.Kind.MLP_PRE, Site.Kind.RESID_POST, Site.Kind.LN_FINAL,
            Site.Kind.EMBED, Site.Kind.POOLED, Site.Kind.IMAGE_EMBEDS);

    private final VitWeights weights;
    private final VitConfig config;
    private final Architecture arch;
    private final TokenTable table;
    private final Ops ops;
    private final Objective objective;
    private final BackwardRun run;
    private final int batch;

    private Backward(VitWeights weights, TokenTable table, Ops ops, Objective objective, BackwardRun run,
                     int batch) {
        this.weights = weights;
        this.config = weights.config();
        this.arch = config.architecture();
        this.table = table;
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
    static Gradients run(VitWeights weights, TokenTable table, Ops ops, Activations forward, Objective objective,
                         Keep keep, Map<Site, INDArray> held) {
        BackwardRun run = new BackwardRun(weights.config(), ops, forward, objective, keep, held);
        return new Backward(weights, table, ops, objective, run, forward.batch()).run();
    }

    /**
     * The head, then each block from the last down to the lowest the run computes, then the embedding if asked
     * (embed_ln, or on to the pixels).
     */
    private Gradients run() {
        double[] values = objective.values(run.used(objective.site()));
        Grad dResid = head();
        for (int l = config.layers() - 1; l >= run.stopLayer(); l--) {
            dResid = block(l, dResid);
            run.release(dResid);
        }
        Grad dInput = run.entersEmbedding() ? embed(dResid) : Grad.ZERO;
        run.release(dInput);
        return run.gradients(values, dInput);
    }

    /** The head, pooling and final LayerNorm, bottom-up: the gradient of the last block's {@code resid_post}. */
    private Grad head() {
        int t = config.tokens();
        double eps = config.layerNormEps();
        INDArray residPost = run.used(Site.residPost(config.layers() - 1));                        // [B, T, D]
        Grad dLogits = run.site(Site.logits(), Grad.ZERO);                                         // [B, C]
        if (arch.head() == Architecture.Head.DISTILLED) {
            // logits = (clsLogits + distillationLogits) / 2
            Grad dHalf = run.apply(dLogits, g -> g.mul(0.5));                                      // [B, C]
            Grad dCls = run.site(Site.clsLogits(), dHalf);                                         // [B, C]
            Grad dDist = run.site(Site.distillationLogits(), dHalf);                               // [B, C]
            // clsLogits = linear(lnFinal[:, 0], head); distillationLogits = linear(lnFinal[:, 1], headDist)
            Grad dRow0 = run.apply(dCls, g -> rowOf(ops.linearBackward(g, weights.head()), 0, t)); // [B, T, D]
            Grad dRow1 = run.apply(dDist, g -> rowOf(ops.linearBackward(g, weights.extras().headDist()), 1, t));
            Grad dLnFinal = run.site(Site.lnFinal(), run.sum(dRow0, dRow1));                       // [B, T, D]
            // lnFinal = layerNorm(resid, norm)
            return run.apply(dLnFinal, g -> ops.layerNormBackward(g, residPost, weights.norm(), eps));
        }
        // logits = linear(embedding, head), on embedding / ‖embedding‖ for a cosine head; or logits = embedding
        Grad dEmbedding = switch (arch.head()) {                                                   // [B, P]
            case LINEAR -> {
                Grad dHeadInput = run.apply(dLogits, g -> ops.linearBackward(g, weights.head()));
                yield arch.cosineHead()
                        ? run.apply(dHeadInput, g -> ops.normalizeRowsBackward(g, embedding()))
                        : dHeadInput;
            }
            case NONE -> dLogits;
            case DISTILLED -> throw new IllegalStateException("handled above");
        };
        // embedding = linear(pooled, projection)          CLIP's image_embeds; else the pooled vector itself
        Grad dPooled = arch.projection() == 0 ? dEmbedding
                : run.apply(run.site(Site.imageEmbeds(), dEmbedding),
                        g -> ops.linearBackward(g, HeadSteps.projection(weights)));                 // [B, D']
        if (arch.hasPooled()) {
            dPooled = run.site(Site.pooled(), dPooled);                                            // [B, D']
        }
        if (arch.finalNormOnPooled()) {
            // pooled = layerNorm(resid[:, 0], norm)        CLIP: the CLS row alone
            INDArray cls = HeadSteps.row(residPost, 0);                                            // [B, D]
            return run.apply(dPooled, g -> rowOf(ops.layerNormBackward(g, cls, weights.norm(), eps), 0, t));
        }
        INDArray lnFinal = run.used(Site.lnFinal());                                               // [B, T, D]
        Grad dLnFinal = run.site(Site.lnFinal(), switch (arch.pooling()) {                          // [B, T, D]
            // pooled = lnFinal[:, 0]
            case CLS -> run.apply(dPooled, g -> rowOf(g, 0, t));
            // pooled = concat(lnFinal[:, 0], mean(lnFinal[:, P:]))
            case CLS_AND_PATCH_MEAN -> run.apply(dPooled, this::clsAndPatchMeanBackward);
            // pooled = attentionProbe(lnFinal)
            case ATTENTION_PROBE -> run.apply(dPooled, g -> attentionProbeBackward(g, lnFinal));
            case CLS_AND_DISTILLATION -> throw new IllegalStateException("handled above");
        });
        // lnFinal = layerNorm(resid, norm)                 resid: the last block's residPost
        return run.apply(dLnFinal, g -> ops.layerNormBackward(g, residPost, weights.norm(), eps));
    }

    /**
     * The vector the head read: image_embeds, else pooled (both kept by the forward for a backward), else the CLS
     * row of ln_final (a CLS-pooled model with a head has no pooled site of its own: its pooled vector is that row).
     */
    private INDArray embedding() {
        if (arch.projection() > 0 || arch.hasPooled()) {
            return run.used(arch.projection() > 0 ? Site.imageEmbeds() : Site.pooled());
        }
        return HeadSteps.row(run.used(Site.lnFinal()), 0);                                         // [B, D]
    }

    /** {@code concat(x[:, 0], mean of x[:, P:])}'s: dPooled {@code [B, 2D]} → a new {@code [B, T, D]}. */
    private INDArray clsAndPatchMeanBackward(INDArray dPooled) {
        int t = config.tokens();
        int d = config.hiddenSize();
        int first = config.prefixTokens();
        INDArray out = rowOf(dPooled.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).dup('c'), 0, t);
        INDArray dMean = dPooled.get(NDArrayIndex.all(), NDArrayIndex.interval(d, 2 * d)).div(t - first); // [B, D]
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(first, t), NDArrayIndex.all())
                .assign(dMean.reshape(dMean.size(0), 1, d).broadcast(dMean.size(0), t - first, d));  // every patch
        return out;
    }

    /** SigLIP's attention pooling, bottom-up (its forward recomputed from the ln_final the run used). */
    private INDArray attentionProbeBackward(INDArray dPooled, INDArray lnFinal) {
        VitWeights.AttentionPool w = weights.extras().pool();
        int b = batch;
        int t = config.tokens();
        int d = config.hiddenSize();
        int h = config.heads();
        double eps = config.layerNormEps();
        HeadSteps.Probe p = HeadSteps.attentionProbe(ops, lnFinal, w, h, arch.activation(), eps);
        // pooled = attended + fc2(act(fc1(norm(attended))))
        INDArray dMlpPre = ops.activationBackward(ops.linearBackward(dPooled, w.fc2()), p.mlpPre(),
                arch.activation());                                                                // [B, M]
        INDArray dNormed = ops.linearBackward(dMlpPre, w.fc1());                                   // [B, D]
        INDArray dAttended = ops.add(dPooled, ops.layerNormBackward(dNormed, p.attended(), w.norm(), eps)); // [B, D]
        // attended = linear(mergeHeads(z), proj); z = pattern · v; pattern = softmax(q · kᵀ / √d)
        INDArray dz = ops.linearBackward(dAttended, w.proj()).reshape(b, h, 1, d / h);            // [B, H, 1, d]
        INDArray dPattern = ops.perHeadProduct(dz, p.v(), false, true);                            // [B, H, 1, T]
        INDArray dv = ops.perHeadProduct(p.pattern(), dz, true, false);                            // [B, H, T, d]
        INDArray dScores = ops.softmaxBackward(dPattern, p.pattern(), 1.0 / Math.sqrt(d / h));     // [B, H, 1, T]
        INDArray dk = ops.perHeadProduct(dScores, p.q(), true, false);                             // [B, H, T, d]
        // k, v = split(linear(lnFinal, kv))                the probe's q is a weight: no gradient flows on
        INDArray dKv = Nd4j.concat(2, dk.permute(0, 2, 1, 3).dup('c').reshape(b, t, d),
                dv.permute(0, 2, 1, 3).dup('c').reshape(b, t, d)).reshape((long) b * t, 2L * d);   // [B·T, 2D]
        return ops.linearBackward(dKv, w.kv()).reshape(b, t, d);                                   // [B, T, D]
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
        // mlpPost = activation(mlpPre)
        Grad dMlpPre = run.site(Site.mlpPre(l),
                run.apply(dMlpPost, g -> ops.activationBackward(g, mlpPre, arch.activation())));   // [B, T, M]
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
        Grad dTokens = dResidPre;                                                                  // [B, T, D]
        if (arch.embedNorm()) {
            // residPre = embedLn = layerNorm(tokens, normPre)    CLIP; tokens recomputed from the run's embed
            Grad dEmbedLn = run.site(Site.embedLn(), dResidPre);
            if (!run.computesInput()) {
                return Grad.ZERO;                           // embed_ln kept alone: nothing below it was asked for
            }
            INDArray tokens = ops.prependAddPos(run.used(Site.embed()), table.prefix(), table.positions());
            dTokens = run.apply(dEmbedLn, g -> ops.layerNormBackward(g, tokens, weights.extras().embedNorm(),
                    config.layerNormEps()));
        }
        // tokens = prependAddPos(embed, prefix, pos)       concat(cls, dist, registers, embed) + pos
        int first = config.prefixTokens();
        Grad dEmbed = run.site(Site.embed(), run.apply(dTokens, g -> g.get(NDArrayIndex.all(),
                NDArrayIndex.interval(first, t), NDArrayIndex.all()).dup('c')));                   // [B, N, D]
        // embed = linear(patchify(pixels), patchEmbed)
        Grad dPatches = run.apply(dEmbed, g -> ops.linearBackward(g.reshape((long) batch * config.patches(), d),
                weights.patchEmbed()));                                                            // [B·N, C·p·p]
        return run.apply(dPatches, g -> ops.unpatchify(g, batch, config.channels(), config.imageHeight(),
                config.imageWidth(), config.patchSize()));                                                              // [B, C, H, W]
    }

    /** {@code [B, T, X]} as rows {@code [B·T, X]} (a view). */
    private static INDArray rows(INDArray g) {
        return g.reshape(g.size(0) * g.size(1), g.size(2));
    }

    /** A new {@code [B, T, D]} that is zero except its row {@code token}, which is {@code row} {@code [B, D]}. */
    private static INDArray rowOf(INDArray row, int token, int t) {
        INDArray out = Nd4j.zeros(DataType.FLOAT, row.size(0), t, row.size(1));
        out.get(NDArrayIndex.all(), NDArrayIndex.point(token), NDArrayIndex.all()).assign(row);
        return out;
    }
}
