package io.github.vit4j.attribution;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One attribution of one run, in plain double loops (every product is a dot product of a stream row with a direction
 * read): the directions first, then layer by layer each part's projection at every token, added up as
 * {@link LogitAttribution} describes.
 */
final class AttributionPass {

    /** How far the parts may be from the whole they must add up to, relative to the sum of their sizes. */
    static final double CONSISTENCY = 1e-3;

    private final VitConfig c;
    private final VitWeights weights;
    private final Readout readout;
    private final List<Component> components;
    private final Activations run;
    private final int[] classes;
    private final int b;
    private final int t;
    private final int d;
    private final int k;
    private final int r;
    /** u[r][ci]: γ ⊙ M_r[class], centred: the direction term r reads from a stream row for class ci. [D] */
    private final double[][][] u;
    /** weightAt[r][t]: term r's weight of token t (0 for a token it does not read). */
    private final double[][] weightAt;
    /** totalWeight[r]: term r's weights summed, its weight when every row is the same (the lens). */
    private final double[] totalWeight;
    /** sigma[b][t]: the run's final LayerNorm scale √(var + ε) of each token. */
    private final double[][] sigma;
    /** The output's scale per image: 1, or 1 / ‖embedding‖ for a cosine head. */
    private final double[] scale;
    /** tokens, lens [B, C', K, T]; direct [B, C', K]; sources [B, C', L, H, T]; bias [B, C']. */
    private final double[] tokens;
    private final double[] lens;
    private final double[] sources;
    /** stream[b][t][r][ci]: the parts' projections added up, to check against the last resid_post's. */
    private final double[][][][] stream;
    private final double[][][][] streamSize;

    AttributionPass(VitWeights weights, Readout readout, List<Component> components, Activations run, int[] classes) {
        this.c = weights.config();
        this.weights = weights;
        this.readout = readout;
        this.components = components;
        this.run = run;
        this.classes = classes;
        this.b = run.batch();
        this.t = c.tokens();
        this.d = c.hiddenSize();
        this.k = components.size();
        this.r = readout.terms().size();
        this.u = directions();
        this.weightAt = new double[r][t];
        this.totalWeight = new double[r];
        for (int term = 0; term < r; term++) {
            Readout.Term rt = readout.terms().get(term);
            totalWeight[term] = rt.totalWeight();
            for (int i = 0; i < rt.tokens().length; i++) {
                weightAt[term][rt.tokens()[i]] = rt.weights()[i];
            }
        }
        this.sigma = sigmas(Readout.doubles(run.get(Site.residPost(c.layers() - 1))));
        this.scale = readout.scales(c, run);
        int n = classes.length;
        this.tokens = new double[b * n * k * t];
        this.lens = new double[b * n * k * t];
        this.sources = new double[b * n * c.layers() * c.heads() * t];
        this.stream = new double[b][t][r][n];
        this.streamSize = new double[b][t][r][n];
    }

    LogitAttribution result() {
        double[] input = Readout.doubles(run.get(Site.residPre(0)));                             // [B, T, D]
        for (int i = 0; i < b; i++) {
            for (int tok = 0; tok < t; tok++) {
                record(i, 0, tok, project(input, (i * t + tok) * d, i, tok));
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            layer(l);
        }
        checkStream();
        return new LogitAttribution(c, components, classes, tokens, lens, sources, bias(),
                Readout.doubles(run.logits()));
    }

    /** Layer l's heads, attention bias and MLP, checked to add up to its attn_out. */
    private void layer(int l) {
        int h = c.heads();
        int dh = c.headDim();
        int n = classes.length;
        VitWeights.Linear proj = weights.blocks().get(l).proj();
        double[][] wo = proj.weight().castTo(DataType.DOUBLE).toDoubleMatrix(); // [D, D]
        double[] bo = Readout.doubles(proj.bias());                                               // [D]
        double[][][] wd = new double[r][n][d];          // Wᵀ u: the direction read from a merged z row [H·d]
        for (int term = 0; term < r; term++) {
            for (int ci = 0; ci < n; ci++) {
                for (int o = 0; o < d; o++) {
                    double uo = u[term][ci][o];
                    for (int j = 0; j < d; j++) {
                        wd[term][ci][j] += wo[o][j] * uo;
                    }
                }
            }
        }
        double[] z = Readout.doubles(run.get(Site.z(l)));                                        // [B, H, T, d]
        double[] v = Readout.doubles(run.get(Site.v(l)));                                        // [B, H, T, d]
        double[] pattern = Readout.doubles(run.get(Site.pattern(l)));                            // [B, H, T, T]
        double[] attnOut = Readout.doubles(run.get(Site.attnOut(l)));                            // [B, T, D]
        double[] mlpOut = Readout.doubles(run.get(Site.mlpOut(l)));                              // [B, T, D]
        int first = 1 + l * (h + 2);                                      // index of blocks.l.head.0 in components
        for (int i = 0; i < b; i++) {
            for (int tok = 0; tok < t; tok++) {
                double[][] whole = project(attnOut, (i * t + tok) * d, i, tok);
                double[][] parts = new double[r][n];
                double[][] size = new double[r][n];
                for (int head = 0; head < h; head++) {
                    double[][] p = new double[r][n];
                    int zAt = ((i * h + head) * t + tok) * dh;
                    for (int term = 0; term < r; term++) {
                        for (int ci = 0; ci < n; ci++) {
                            p[term][ci] = dot(z, zAt, wd[term][ci], head * dh, dh) / sigma[i][tok];
                        }
                    }
                    record(i, first + head, tok, p);
                    accumulate(parts, size, p);
                }
                double[][] pb = project(bo, 0, i, tok);
                record(i, first + h, tok, pb);
                accumulate(parts, size, pb);
                check(parts, size, whole, "blocks." + l + ".attn_out", "the sum of its heads' z · W_O plus b_O", tok);
                record(i, first + h + 1, tok, project(mlpOut, (i * t + tok) * d, i, tok));
            }
            for (int head = 0; head < h; head++) {
                sources(l, i, head, wd, v, pattern);
            }
        }
    }

    /**
     * Head h's direct part split over the tokens j it attends to: Σ_read tokens weight · pattern[t, j] · (v_j · W_Oʰᵀ
     * u) / σ_t. For an unpatched run (z = pattern · v) it sums over j to the head's direct part.
     */
    private void sources(int l, int i, int head, double[][][] wd, double[] v, double[] pattern) {
        int h = c.heads();
        int dh = c.headDim();
        int n = classes.length;
        for (int term = 0; term < r; term++) {
            for (int ci = 0; ci < n; ci++) {
                int out = (((i * n + ci) * c.layers() + l) * h + head) * t;
                for (int j = 0; j < t; j++) {
                    double vj = dot(v, ((i * h + head) * t + j) * dh, wd[term][ci], head * dh, dh);
                    double sum = 0;
                    for (int tok = 0; tok < t; tok++) {
                        if (weightAt[term][tok] != 0) {
                            sum += weightAt[term][tok] * pattern[((i * h + head) * t + tok) * t + j] / sigma[i][tok];
                        }
                    }
                    sources[out + j] += scale[i] * sum * vj;
                }
            }
        }
    }

    /** A part's projections p[term][ci] at token tok of image i, into the per-token, lens and stream sums. */
    private void record(int i, int component, int tok, double[][] p) {
        int n = classes.length;
        for (int ci = 0; ci < n; ci++) {
            int at = ((i * n + ci) * k + component) * t + tok;
            for (int term = 0; term < r; term++) {
                double x = p[term][ci];
                tokens[at] += scale[i] * weightAt[term][tok] * x;
                lens[at] += scale[i] * totalWeight[term] * x;
                stream[i][tok][term][ci] += x;
                streamSize[i][tok][term][ci] += Math.abs(x);
            }
        }
    }

    /** Row {@code at} of {@code x} (D long) read along every direction, divided by σ of token tok: [R][C']. */
    private double[][] project(double[] x, int at, int i, int tok) {
        double[][] p = new double[r][classes.length];
        for (int term = 0; term < r; term++) {
            for (int ci = 0; ci < classes.length; ci++) {
                p[term][ci] = dot(x, at, u[term][ci], 0, d) / sigma[i][tok];
            }
        }
        return p;
    }

    private void checkStream() {
        double[] resid = Readout.doubles(run.get(Site.residPost(c.layers() - 1)));               // [B, T, D]
        for (int i = 0; i < b; i++) {
            for (int tok = 0; tok < t; tok++) {
                check(stream[i][tok], streamSize[i][tok], project(resid, (i * t + tok) * d, i, tok),
                        Site.residPost(c.layers() - 1).toString(), "blocks.0.resid_pre plus every attn_out and mlp_out",
                        tok);
            }
        }
    }

    /**
     * Refuses a run whose parts do not add up to the whole along a direction read (a patched stream site), beyond
     * {@link #CONSISTENCY} of their sizes.
     */
    private void check(double[][] parts, double[][] size, double[][] whole, String site, String sum, int tok) {
        for (int term = 0; term < r; term++) {
            for (int ci = 0; ci < classes.length; ci++) {
                double gap = Math.abs(parts[term][ci] - whole[term][ci]);
                if (gap > CONSISTENCY * (size[term][ci] + Math.abs(whole[term][ci])) + 1e-12) {
                    throw new IllegalArgumentException("the run's " + site + " at token " + tok + " is not " + sum
                            + " (off by " + gap + " along class " + classes[ci] + "'s direction, against parts of size "
                            + size[term][ci] + "): was it substituted? Direct logit attribution splits an unpatched"
                            + " stream; attribute a run without substitutions of the stream or the heads");
                }
            }
        }
    }

    private static void accumulate(double[][] parts, double[][] size, double[][] p) {
        for (int term = 0; term < p.length; term++) {
            for (int ci = 0; ci < p[term].length; ci++) {
                parts[term][ci] += p[term][ci];
                size[term][ci] += Math.abs(p[term][ci]);
            }
        }
    }

    /** The bias term per image and class: s · Σ_terms (Σ weights) (M[c] · β) + the head's bias. [B, C'] */
    private double[] bias() {
        double[] beta = Readout.doubles(weights.norm().bias());
        int n = classes.length;
        double[] out = new double[b * n];
        for (int i = 0; i < b; i++) {
            for (int ci = 0; ci < n; ci++) {
                double sum = 0;
                for (Readout.Term term : readout.terms()) {
                    sum += term.totalWeight() * dot(beta, 0, term.matrix()[classes[ci]], 0, d);
                }
                out[i * n + ci] = scale[i] * sum + readout.bias()[classes[ci]];
            }
        }
        return out;
    }

    /** u[term][ci] = γ ⊙ M_term[class] minus its mean (so that x · u reads the centred x). */
    private double[][][] directions() {
        double[] gamma = Readout.doubles(weights.norm().weight());
        double[][][] out = new double[r][classes.length][d];
        for (int term = 0; term < r; term++) {
            for (int ci = 0; ci < classes.length; ci++) {
                double[] row = readout.terms().get(term).matrix()[classes[ci]];
                double mean = 0;
                for (int o = 0; o < d; o++) {
                    out[term][ci][o] = row[o] * gamma[o];
                    mean += out[term][ci][o] / d;
                }
                for (int o = 0; o < d; o++) {
                    out[term][ci][o] -= mean;
                }
            }
        }
        return out;
    }

    /** σ of every token of the last resid_post {@code [B, T, D]}: √(mean of squared deviations + ε), as LayerNorm. */
    private double[][] sigmas(double[] resid) {
        double[][] s = new double[b][t];
        for (int i = 0; i < b; i++) {
            for (int tok = 0; tok < t; tok++) {
                int at = (i * t + tok) * d;
                double mean = 0;
                for (int o = 0; o < d; o++) {
                    mean += resid[at + o] / d;
                }
                double var = 0;
                for (int o = 0; o < d; o++) {
                    var += (resid[at + o] - mean) * (resid[at + o] - mean) / d;
                }
                s[i][tok] = Math.sqrt(var + c.layerNormEps());
            }
        }
        return s;
    }

    private static double dot(double[] x, int xAt, double[] y, int yAt, int length) {
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += x[xAt + i] * y[yAt + i];
        }
        return sum;
    }
}
