package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * AttnLRP (Achtibat et al., ICML 2024, "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for
 * Transformers"), with the rules of their LXT library: the explained logit's value is its relevance at the output,
 * and each operation passes relevance to its inputs ({@link AttnLrpRules}):
 * <ul>
 *   <li>linear layers (head, qkv, the attention's output projection, fc1, fc2, the patch embedding): the ε-rule,
 *       bias included in the denominator (the bias keeps its share);
 *   <li>LayerNorm (ln1, ln2, the final norm): the ε-rule on LayerNorm with its σ held fixed (the identity rule on the
 *       normalisation), a linear map {@code γ (x − mean x) / σ + β};
 *   <li>softmax: the paper's rule {@code R_x = x ⊙ (R − s Σ R)} on the scores x (s the pattern);
 *   <li>the products {@code q · kᵀ} and {@code A · v}: the uniform rule, half to each operand; the scale 1/√d passes
 *       relevance unchanged;
 *   <li>GELU: identity; skip connections and {@code + pos_embed}: the ε-rule on the sum (the position embedding and
 *       the CLS token keep their shares).
 * </ul>
 * What conserves: every rule but softmax's passes Σ R on up to what biases, β and ε keep; the softmax rule is exact
 * to first order only. {@link Result#totals} gives Σ R at each block's input so the loss can be read.
 *
 * <p>The relevance of every site of every block and of {@code ln_final}, {@code embed} and the input is kept
 * ({@link Result#sites}: a map like any other, tokens × channels); the input's, summed over channels, is the map.
 * Families: the original ViT/DeiT layout (CLS, a linear head on its row, LayerNorm on every token; registers
 * allowed); other heads and poolings are refused.
 *
 * @param batch the most images per forward and relevance pass
 */
public record AttnLrp(int batch) {

    public AttnLrp {
        PixelModel.checkBatch(batch);
    }

    /** Batches of 8 images. */
    public static AttnLrp defaults() {
        return new AttnLrp(8);
    }

    /**
     * The relevance of class {@code y} for each image.
     *
     * @param pixels {@code [B, C, H, W]}: the relevance of the model's (normalised) input
     * @param map    {@code [B, H, W]}: pixels summed over channels
     * @param sites  each site's relevance, batch first, in the site's shape ({@link Site#shape})
     * @param logits each image's explained logit, the relevance at the output
     * @param totals per image, Σ R at each block's input, then at the last block's output ({@code [B][L + 1]})
     */
    public record Result(INDArray pixels, INDArray map, Map<Site, INDArray> sites, double[] logits,
                         double[][] totals) {
    }

    /** The relevance of class {@code classes[i]} for image i (one class for all, or one per image). */
    public Result of(Vit vit, Input input, int... classes) {
        VitConfig c = vit.config();
        checkFamily(c);
        if (!(input instanceof Input.Pixels given)) {
            throw new IllegalArgumentException("AttnLrp propagates relevance down to the input, but this input starts "
                    + "at layer " + input.startLayer() + "; give the images' pixels (Input.normalized)");
        }
        int b = input.batch();
        int[] ys = PixelModel.expand(classes, b, c.classes());
        Map<Site, INDArray> sites = new LinkedHashMap<>();
        INDArray pixels = Nd4j.create(DataType.FLOAT, given.pixels().shape());
        double[] logits = new double[b];
        double[][] totals = new double[b][];
        for (int from = 0; from < b; from += batch) {
            int to = Math.min(b, from + batch);
            try (Activations run = vit.run(Input.normalized(PixelModel.rows(given.pixels(), from, to)), Keep.all())) {
                for (int i = 0; i < to - from; i++) {
                    Pass pass = new Pass(vit, run, i, given.pixels().get(NDArrayIndex.point(from + i)));
                    logits[from + i] = run.logits().getDouble(i, ys[from + i]);
                    INDArray r = pass.head(ys[from + i]);
                    totals[from + i] = new double[c.layers() + 1];
                    totals[from + i][c.layers()] = r.sumNumber().doubleValue();
                    for (int l = c.layers() - 1; l >= 0; l--) {
                        r = pass.block(l, r);
                        totals[from + i][l] = r.sumNumber().doubleValue();
                    }
                    pixels.get(NDArrayIndex.point(from + i)).assign(pass.embedding(r));
                    int image = from + i;
                    pass.kept.forEach((site, a) -> sites.computeIfAbsent(site,
                            s -> Nd4j.create(DataType.FLOAT, s.shape(c, b))).get(NDArrayIndex.point(image)).assign(a));
                }
            }
        }
        return new Result(pixels, pixels.sum(1), sites, logits, totals);
    }

    /**
     * Whether AttnLrp follows this model: the original ViT/DeiT layout (CLS, LayerNorm on every token, a linear head
     * on the CLS row; registers allowed).
     */
    public static boolean supports(VitConfig c) {
        Architecture a = c.architecture();
        return a.hasCls() && a.pooling() == Architecture.Pooling.CLS && a.head() == Architecture.Head.LINEAR
                && !a.cosineHead() && a.projection() == 0 && !a.embedNorm() && !a.finalNormOnPooled();
    }

    private static void checkFamily(VitConfig c) {
        Architecture a = c.architecture();
        if (!supports(c)) {
            throw new IllegalArgumentException("AttnLrp follows the original ViT/DeiT layout (CLS, LayerNorm on every "
                    + "token, a linear head on the CLS row), and this model's is " + a + "; use CheferLrp, Chefer or "
                    + "IntegratedGradients, which follow every family's head");
        }
    }

    /** The relevance pass of one image of a run, keeping each site's relevance. */
    private static final class Pass {
        private final Vit vit;
        private final VitConfig c;
        private final Activations run;
        private final int i;
        private final INDArray input;
        private final Map<Site, INDArray> kept = new LinkedHashMap<>();

        /** Image i of a run, whose normalised input is {@code input} {@code [C, H, W]}. */
        Pass(Vit vit, Activations run, int i, INDArray input) {
            this.vit = vit;
            this.c = vit.config();
            this.run = run;
            this.i = i;
            this.input = input.castTo(DataType.DOUBLE);
        }

        private INDArray at(Site site) {
            return run.get(site).get(NDArrayIndex.point(i)).castTo(DataType.DOUBLE).dup('c');
        }

        private INDArray keep(Site site, INDArray r) {
            kept.put(site, r.castTo(DataType.FLOAT));
            return r;
        }

        /** From {@code logit_y} at the output to the last block's resid_post {@code [T, D]}. */
        INDArray head(int y) {
            int d = c.hiddenSize();
            VitWeights w = vit.weights();
            INDArray cls = at(Site.lnFinal()).getRow(0).reshape(1, d);                               // [1, D]
            INDArray logits = cls.mmul(w.head().weight().castTo(DataType.DOUBLE).transpose())
                    .addiRowVector(w.head().bias().castTo(DataType.DOUBLE));                         // [1, C]
            INDArray out = Nd4j.zeros(DataType.DOUBLE, 1, c.classes());
            out.putScalar(0, y, logits.getDouble(0, y));
            INDArray rCls = AttnLrpRules.linear(cls, w.head(), out);                                // [1, D]
            INDArray rLnFinal = Nd4j.zeros(DataType.DOUBLE, c.tokens(), d);
            rLnFinal.getRow(0).assign(rCls.reshape(d));
            keep(Site.lnFinal(), rLnFinal);
            INDArray resid = at(Site.residPost(c.layers() - 1));
            return AttnLrpRules.layerNorm(resid, w.norm(), rLnFinal, c.layerNormEps());
        }

        /** Block l: resid_post's relevance in, resid_pre's out. */
        INDArray block(int l, INDArray rPost) {
            VitWeights.Block w = vit.weights().blocks().get(l);
            int t = c.tokens();
            int h = c.heads();
            int d = c.hiddenSize();
            int dh = c.headDim();
            keep(Site.residPost(l), rPost);
            INDArray[] post = AttnLrpRules.add(at(Site.residMid(l)), at(Site.mlpOut(l)), rPost);
            keep(Site.mlpOut(l), post[1]);
            INDArray rMlpPost = keep(Site.mlpPost(l), AttnLrpRules.linear(at(Site.mlpPost(l)), w.fc2(), post[1]));
            keep(Site.mlpPre(l), rMlpPost);                                                    // GELU: identity
            INDArray rLn2 = keep(Site.ln2(l), AttnLrpRules.linear(at(Site.ln2(l)), w.fc1(), rMlpPost));
            INDArray residMid = at(Site.residMid(l));
            INDArray rMid = keep(Site.residMid(l),
                    post[0].add(AttnLrpRules.layerNorm(residMid, w.norm2(), rLn2, c.layerNormEps())));
            INDArray[] mid = AttnLrpRules.add(at(Site.residPre(l)), at(Site.attnOut(l)), rMid);
            keep(Site.attnOut(l), mid[1]);
            INDArray z = at(Site.z(l));                                                          // [H, T, dh]
            INDArray merged = z.permute(1, 0, 2).dup('c').reshape(t, d);
            INDArray rZ = AttnLrpRules.linear(merged, w.proj(), mid[1]).reshape(t, h, dh).permute(1, 0, 2).dup('c');
            keep(Site.z(l), rZ);
            INDArray pattern = at(Site.pattern(l));
            INDArray q = at(Site.q(l));
            INDArray k = at(Site.k(l));
            INDArray v = at(Site.v(l));
            INDArray rPattern = Nd4j.create(DataType.DOUBLE, h, t, t);
            INDArray rQ = Nd4j.create(DataType.DOUBLE, h, t, dh);
            INDArray rK = Nd4j.create(DataType.DOUBLE, h, t, dh);
            INDArray rV = Nd4j.create(DataType.DOUBLE, h, t, dh);
            for (int head = 0; head < h; head++) {
                INDArray[] av = AttnLrpRules.product(pattern.slice(head), v.slice(head), rZ.slice(head));
                rPattern.slice(head).assign(av[0]);
                rV.slice(head).assign(av[1]);
                INDArray products = q.slice(head).mmul(k.slice(head).transpose());                 // q kᵀ [T, T]
                INDArray rScores = AttnLrpRules.softmax(products.mul(1.0 / Math.sqrt(dh)), pattern.slice(head),
                        av[0]);
                INDArray[] qk = AttnLrpRules.product(q.slice(head), k.slice(head).transpose(), rScores);
                rQ.slice(head).assign(qk[0]);
                rK.slice(head).assign(qk[1].transpose());
            }
            keep(Site.pattern(l), rPattern);
            keep(Site.q(l), rQ);
            keep(Site.k(l), rK);
            keep(Site.v(l), rV);
            INDArray rQkv = Nd4j.concat(1, merge(rQ, t, d), merge(rK, t, d), merge(rV, t, d));   // [T, 3D]
            INDArray rLn1 = keep(Site.ln1(l), AttnLrpRules.linear(at(Site.ln1(l)), w.qkv(), rQkv));
            INDArray residPre = at(Site.residPre(l));
            return keep(Site.residPre(l),
                    mid[0].add(AttnLrpRules.layerNorm(residPre, w.norm1(), rLn1, c.layerNormEps())));
        }

        /** Block 0's resid_pre relevance down to the input {@code [C, H, W]}: position and patch embeddings. */
        INDArray embedding(INDArray rResidPre) {
            int first = c.prefixTokens();
            int t = c.tokens();
            int p = c.patchSize();
            int gh = c.gridHeight();
            int gw = c.gridWidth();
            int ch = c.channels();
            INDArray embed = at(Site.embed());                                                    // [N, D]
            INDArray residPre = at(Site.residPre(0)).get(NDArrayIndex.interval(first, t), NDArrayIndex.all());
            INDArray pos = residPre.sub(embed);                               // the patches' position embeddings
            INDArray rEmbed = keep(Site.embed(), AttnLrpRules.add(embed, pos,
                    rResidPre.get(NDArrayIndex.interval(first, t), NDArrayIndex.all()).dup('c'))[0]);
            INDArray patches = input.reshape(ch, gh, p, gw, p).permute(1, 3, 0, 2, 4).dup('c')
                    .reshape((long) gh * gw, (long) ch * p * p);                                   // [N, C·p·p]
            INDArray rPatches = AttnLrpRules.linear(patches, vit.weights().patchEmbed(), rEmbed);
            return rPatches.reshape(gh, gw, ch, p, p).permute(2, 0, 3, 1, 4).dup('c')
                    .reshape(ch, (long) gh * p, (long) gw * p).castTo(DataType.FLOAT);
        }

        private static INDArray merge(INDArray heads, int t, int d) {
            return heads.permute(1, 0, 2).dup('c').reshape(t, d);
        }
    }
}
