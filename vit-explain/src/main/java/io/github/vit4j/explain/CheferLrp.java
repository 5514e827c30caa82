package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Chefer, Gur &amp; Wolf's transformer attribution (CVPR 2021, "Transformer Interpretability Beyond Attention
 * Visualization"): relevance propagated by LRP from the explained class down the network, then, per block, the
 * attention's relevance {@code R_A} weighted by its gradient, {@code Ā = I + E_h[(∇A ⊙ R_A)⁺]}, and the product over
 * the blocks {@code C = Ā_{L−1} ⋯ Ā_0}; the map is the CLS row of C over the patch columns on the patch grid, not
 * normalised (as their {@code ViT_LRP.py}, method {@code transformer_attribution}: no row normalisation). One forward,
 * one backward, and the relevance pass per image.
 *
 * <p>The relevance pass, rule by rule as their reference code applies them ({@link Lrp}):
 * <ul>
 *   <li>start: relevance 1 at the explained class's output (their one-hot), nowhere else;
 *   <li>linear layers (the head, a projection, qkv, the attention's output projection, fc1, fc2): the α = 1, β = 0
 *       rule, bias-free ({@link Lrp#linear});
 *   <li>LayerNorm, GELU, softmax: identity (relevance passes unchanged);
 *   <li>skip connections {@code resid_mid = resid_pre + attn_out}, {@code resid_post = resid_mid + mlp_out}: the
 *       generic rule with their normalisation ({@link Lrp#add});
 *   <li>the attention products {@code q · kᵀ} and {@code A · v}: the generic rule per operand, halved
 *       ({@link Lrp#product}); {@code R_A} is A's half;
 *   <li>reading a token's row (pooling): the row takes it all; DINOv2's patch mean shares it among the patch rows
 *       in proportion to each row's value (the generic rule); distilled DeiT: half the relevance to each head.
 * </ul>
 * Every rule but the linear one conserves Σ R exactly; the linear rule drops the relevance of an output without any
 * positive contribution, so {@link Result#totals} (Σ R at each block's input) shows what the whole pass lost.
 * ∇A is the gradient of the explained class's logit (before the softmax), as their code takes it.
 *
 * <p>Per family, the rows of C mapped are {@link Chefer}'s: CLS, or the CLS and distillation rows' mean; registers
 * left out. A model without CLS (SigLIP) is refused: relevance would have to pass its attention probe, and the map
 * has no row to read.
 *
 * @param batch the most images per forward, backward and relevance pass (a run keeps every site: about 40 MB an
 *              image for DeiT-tiny)
 */
public record CheferLrp(int batch) {

    public CheferLrp {
        PixelModel.checkBatch(batch);
    }

    /** Batches of 16 images. */
    public static CheferLrp defaults() {
        return new CheferLrp(16);
    }

    /**
     * The maps and how much relevance reached each block.
     *
     * @param map    {@code [B, gh, gw]}
     * @param totals per image, Σ R at the input ({@code resid_pre}) of each block, then at the last block's output
     *               ({@code [B][L + 1]}); 1 everywhere for a pass that lost nothing
     */
    public record Result(INDArray map, double[][] totals) {
    }

    /**
     * The map of class {@code classes[i]} for image i (one class for all, or one per image).
     *
     * @param input the model's input from pixels ({@link Input#normalized} or {@code ImageSource.Batch.input()})
     */
    public Result of(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        Chefer.refuseWithoutCls(c, "CheferLrp.of");
        if (!(input instanceof Input.Pixels given)) {
            throw new IllegalArgumentException("CheferLrp propagates relevance through every block, but this input "
                    + "starts at layer " + input.startLayer() + "; give the images' pixels (Input.normalized)");
        }
        int b = input.batch();
        int[] ys = PixelModel.expand(classes, b, c.classes());
        INDArray pixels = given.pixels();
        INDArray map = Nd4j.create(DataType.FLOAT, b, c.gridHeight(), c.gridWidth());
        double[][] totals = new double[b][];
        for (int from = 0; from < b; from += batch) {
            int to = Math.min(b, from + batch);
            int[] chunk = java.util.Arrays.copyOfRange(ys, from, to);
            Input part = Input.normalized(PixelModel.rows(pixels, from, to));
            try (Activations run = vit.run(part, Keep.all());
                 Gradients g = vit.backward(run, Objective.logit(chunk), Keep.kinds(Site.Kind.PATTERN))) {
                for (int i = 0; i < to - from; i++) {
                    double[] sums = new double[c.layers() + 1];
                    INDArray rollout = relevance(vit, run, g, i, chunk[i], sums);
                    map.get(NDArrayIndex.point(from + i)).assign(Chefer.rowsRead(rollout.reshape(1, c.tokens(),
                            c.tokens()).castTo(DataType.FLOAT), c).reshape(c.gridHeight(), c.gridWidth()));
                    totals[from + i] = sums;
                }
            }
        }
        return new Result(map, totals);
    }

    /** C {@code [T, T]} of image i of a run: the relevance pass, then the gradient-weighted product. */
    private static INDArray relevance(Vit vit, Activations run, Gradients g, int i, int y, double[] sums) {
        VitConfig c = vit.config();
        int layers = c.layers();
        int t = c.tokens();
        INDArray r = headRelevance(vit, run, i, y);                                           // [T, D]
        sums[layers] = r.sumNumber().doubleValue();
        INDArray[] bars = new INDArray[layers];
        for (int l = layers - 1; l >= 0; l--) {
            INDArray[] block = block(vit, run, i, l, r);
            r = block[0];
            sums[l] = r.sumNumber().doubleValue();
            INDArray grad = image(g.get(Site.pattern(l)), i);                                   // [H, T, T]
            bars[l] = Transforms.relu(grad.muli(block[1]), false).mean(0);                     // [T, T]
        }
        INDArray product = Nd4j.eye(t).castTo(DataType.DOUBLE);
        for (int l = 0; l < layers; l++) {
            product = bars[l].addi(Nd4j.eye(t).castTo(DataType.DOUBLE)).mmul(product);
        }
        return product;
    }

    /** The relevance of the last block's resid_post {@code [T, D]}: from 1 at output y down through the head. */
    private static INDArray headRelevance(Vit vit, Activations run, int i, int y) {
        VitConfig c = vit.config();
        Architecture a = c.architecture();
        VitWeights w = vit.weights();
        int t = c.tokens();
        int d = c.hiddenSize();
        INDArray out = Nd4j.zeros(DataType.DOUBLE, 1, c.classes());
        out.putScalar(0, y, 1.0);
        INDArray resid = Nd4j.zeros(DataType.DOUBLE, t, d);
        if (a.head() == Architecture.Head.DISTILLED) {
            INDArray lnFinal = image(run.get(Site.lnFinal()), i);                               // [T, D]
            INDArray half = out.mul(0.5);
            resid.getRow(0).assign(Lrp.linear(lnFinal.getRow(0).reshape(1, d), weight(w.head()), half));
            resid.getRow(1).assign(Lrp.linear(lnFinal.getRow(1).reshape(1, d), weight(w.extras().headDist()),
                    half));
            return resid;
        }
        INDArray r = out;                                                                     // [1, output]
        if (a.head() == Architecture.Head.LINEAR) {                    // a cosine head's input scale: rule-invariant
            r = Lrp.linear(headInput(c, run, i), weight(w.head()), r);
        }
        if (a.projection() > 0) {
            r = Lrp.linear(row(run.get(Site.pooled()), i), w.extras().projection().castTo(DataType.DOUBLE), r);
        }
        if (a.pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN) {
            INDArray lnFinal = image(run.get(Site.lnFinal()), i);                               // [T, D]
            int first = c.prefixTokens();
            resid.getRow(0).assign(r.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, d)));
            INDArray patches = lnFinal.get(NDArrayIndex.interval(first, t), NDArrayIndex.all());  // [N, D]
            INDArray share = Lrp.safeDivide(r.get(NDArrayIndex.interval(0, 1), NDArrayIndex.interval(d, 2 * d)),
                    patches.sum(true, 0));
            resid.get(NDArrayIndex.interval(first, t), NDArrayIndex.all()).assign(patches.mulRowVector(share));
            return resid;
        }
        resid.getRow(0).assign(r.reshape(d));                           // the CLS row (LayerNorm: identity)
        return resid;
    }

    /** The vector a linear head read, {@code [1, ·]}: image_embeds, pooled, or ln_final's CLS row. */
    private static INDArray headInput(VitConfig c, Activations run, int i) {
        Architecture a = c.architecture();
        if (a.projection() > 0) {
            return row(run.get(Site.imageEmbeds()), i);
        }
        return a.hasPooled() ? row(run.get(Site.pooled()), i)
                : image(run.get(Site.lnFinal()), i).getRow(0).reshape(1, c.hiddenSize());
    }

    /** One block, top down: {resid_pre's relevance [T, D], the attention's relevance R_A [H, T, T]}. */
    private static INDArray[] block(Vit vit, Activations run, int i, int l, INDArray rPost) {
        VitConfig c = vit.config();
        VitWeights.Block w = vit.weights().blocks().get(l);
        int h = c.heads();
        int t = c.tokens();
        int d = c.hiddenSize();
        int dh = c.headDim();
        // resid_post = resid_mid + mlp_out; mlp_out = fc2(GELU(fc1(ln2))); ln2 = LayerNorm(resid_mid)
        INDArray[] post = Lrp.add(image(run.get(Site.residMid(l)), i), image(run.get(Site.mlpOut(l)), i), rPost);
        INDArray rMlpPost = Lrp.linear(image(run.get(Site.mlpPost(l)), i), weight(w.fc2()), post[1]);  // [T, M]
        INDArray rLn2 = Lrp.linear(image(run.get(Site.ln2(l)), i), weight(w.fc1()), rMlpPost);          // [T, D]
        INDArray rMid = post[0].addi(rLn2);
        // resid_mid = resid_pre + attn_out; attn_out = proj(merge(z)); z = A · v; A = softmax(q · kᵀ / √d)
        INDArray[] mid = Lrp.add(image(run.get(Site.residPre(l)), i), image(run.get(Site.attnOut(l)), i), rMid);
        INDArray z = image(run.get(Site.z(l)), i);                                               // [H, T, dh]
        INDArray merged = z.permute(1, 0, 2).dup('c').reshape(t, d);                             // [T, D]
        INDArray rZ = Lrp.linear(merged, weight(w.proj()), mid[1]).reshape(t, h, dh).permute(1, 0, 2).dup('c');
        INDArray pattern = image(run.get(Site.pattern(l)), i);                                   // [H, T, T]
        INDArray q = image(run.get(Site.q(l)), i);
        INDArray k = image(run.get(Site.k(l)), i);
        INDArray v = image(run.get(Site.v(l)), i);
        INDArray rA = Nd4j.create(DataType.DOUBLE, h, t, t);
        INDArray rQkv = Nd4j.create(DataType.DOUBLE, t, 3, h, dh);
        for (int head = 0; head < h; head++) {
            INDArray[] av = Lrp.product(pattern.slice(head), v.slice(head), rZ.slice(head));   // [T, T], [T, dh]
            rA.slice(head).assign(av[0]);
            INDArray[] qk = Lrp.product(q.slice(head), k.slice(head).transpose(), av[0]);     // [T, dh], [dh, T]
            rQkv.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(head), NDArrayIndex.all())
                    .assign(qk[0]);
            rQkv.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.point(head), NDArrayIndex.all())
                    .assign(qk[1].transpose());
            rQkv.get(NDArrayIndex.all(), NDArrayIndex.point(2), NDArrayIndex.point(head), NDArrayIndex.all())
                    .assign(av[1]);
        }
        INDArray rLn1 = Lrp.linear(image(run.get(Site.ln1(l)), i), weight(w.qkv()), rQkv.reshape(t, 3L * d));
        return new INDArray[] {mid[0].addi(rLn1), rA};
    }

    /** Image i of a batch-first site array, in double, without the batch axis. */
    private static INDArray image(INDArray a, int i) {
        return a.get(NDArrayIndex.point(i)).castTo(DataType.DOUBLE).dup('c');
    }

    /** Row i of a {@code [B, X]} array as {@code [1, X]} in double. */
    private static INDArray row(INDArray a, int i) {
        return a.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all()).castTo(DataType.DOUBLE).dup('c');
    }

    private static INDArray weight(VitWeights.Linear linear) {
        return linear.weight().castTo(DataType.DOUBLE);
    }
}
