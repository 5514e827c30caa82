package io.github.vit4j.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An independent forward pass in double precision, the oracle the backward's finite-difference tests compare with.
 * Plain loops over flat {@code double[]} arrays in C order, the pre-LN ViT exactly as {@link Site} documents it, on
 * the same {@link VitWeights} read as doubles; it shares no code with {@link Vit} or {@link Ops}.
 *
 * <p>Every site array of a run passes through an optional hook (a {@code UnaryOperator<double[]>} per site): the
 * tests use hooks to perturb a site by {@code ε·u}, and to apply the same substitutions as a vit4j run. Arrays are
 * batched ({@code [B, …]} in the site's shape, {@link Site#shape}), so {@code u} can come straight from an
 * {@link INDArray} of the site's shape.
 */
final class DoubleVit {

    private final VitConfig c;
    private final Lin patchEmbed;
    private final double[] cls;
    private final double[] pos;
    private final List<Block> blocks;
    private final Norm norm;
    private final Lin head;

    /** A linear map {@code y = x·Wᵀ + b}, W {@code [out, in]} row-major. */
    private record Lin(double[] w, double[] b, int out, int in) {
        static Lin of(VitWeights.Linear l) {
            return new Lin(doubles(l.weight()), doubles(l.bias()), (int) l.weight().size(0), (int) l.weight().size(1));
        }
    }

    private record Norm(double[] w, double[] b) {
        static Norm of(VitWeights.LayerNorm n) {
            return new Norm(doubles(n.weight()), doubles(n.bias()));
        }
    }

    private record Block(Norm norm1, Lin qkv, Lin proj, Norm norm2, Lin fc1, Lin fc2) {
    }

    DoubleVit(VitWeights w) {
        this.c = w.config();
        this.patchEmbed = Lin.of(w.patchEmbed());
        this.cls = doubles(w.clsToken());
        this.pos = doubles(w.posEmbed());
        this.blocks = w.blocks().stream().map(b -> new Block(Norm.of(b.norm1()), Lin.of(b.qkv()), Lin.of(b.proj()),
                Norm.of(b.norm2()), Lin.of(b.fc1()), Lin.of(b.fc2()))).toList();
        this.norm = Norm.of(w.norm());
        this.head = Lin.of(w.head());
    }

    /** The elements of {@code a} in C order, as doubles. */
    static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /**
     * A run from normalised pixels {@code [B, C, H, W]} (C order), every site's array passing through its hook in
     * {@code hooks} (if any) before anything reads it: every site array the run used, by site, in forward order.
     */
    Map<Site, double[]> run(double[] pixels, int batch, Map<Site, UnaryOperator<double[]>> hooks) {
        Map<Site, double[]> sites = new LinkedHashMap<>();
        Recorder at = (site, a) -> {
            double[] used = hooks.getOrDefault(site, UnaryOperator.identity()).apply(a);
            sites.put(site, used);
            return used;
        };
        int t = c.tokens();
        int d = c.hiddenSize();
        int n = c.patches();
        double[] embed = at.site(Site.embed(), linear(patchify(pixels, batch), batch * n, patchEmbed)); // [B, N, D]
        double[] resid = new double[batch * t * d];                                                    // [B, T, D]
        for (int b = 0; b < batch; b++) {
            for (int tok = 0; tok < t; tok++) {
                for (int i = 0; i < d; i++) {
                    double x = tok == 0 ? cls[i] : embed[(b * n + tok - 1) * d + i];
                    resid[(b * t + tok) * d + i] = x + pos[tok * d + i];
                }
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            resid = block(l, at.site(Site.residPre(l), resid), batch, at);
        }
        double[] lnFinal = at.site(Site.lnFinal(), layerNorm(resid, batch * t, d, norm, c.layerNormEps()));
        double[] clsRows = new double[batch * d];                                                      // [B, D]
        for (int b = 0; b < batch; b++) {
            System.arraycopy(lnFinal, b * t * d, clsRows, b * d, d);
        }
        at.site(Site.logits(), linear(clsRows, batch, head));                                         // [B, C]
        return sites;
    }

    /** Records a site's array and returns the array the run uses there. */
    @FunctionalInterface
    private interface Recorder {
        double[] site(Site site, double[] computed);
    }

    /** One pre-LN block: resid_pre in, resid_post out. */
    private double[] block(int l, double[] residPre, int batch, Recorder at) {
        Block w = blocks.get(l);
        int t = c.tokens();
        int d = c.hiddenSize();
        int h = c.heads();
        int dh = c.headDim();
        int rows = batch * t;
        double[] ln1 = at.site(Site.of(l, Site.Kind.LN1), layerNorm(residPre, rows, d, w.norm1(), c.layerNormEps()));
        double[] qkv = linear(ln1, rows, w.qkv());                                                     // [B·T, 3D]
        double[] q = at.site(Site.of(l, Site.Kind.Q), head(qkv, 0, batch));                             // [B, H, T, d]
        double[] k = at.site(Site.of(l, Site.Kind.K), head(qkv, 1, batch));
        double[] v = at.site(Site.of(l, Site.Kind.V), head(qkv, 2, batch));
        double[] scores = new double[batch * h * t * t];                                               // [B, H, T, T]
        double scale = 1.0 / Math.sqrt(dh);
        for (int bh = 0; bh < batch * h; bh++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    double s = 0;
                    for (int e = 0; e < dh; e++) {
                        s += q[(bh * t + i) * dh + e] * k[(bh * t + j) * dh + e];
                    }
                    scores[(bh * t + i) * t + j] = s * scale;
                }
            }
        }
        double[] pattern = at.site(Site.of(l, Site.Kind.PATTERN), softmaxRows(scores, t));
        double[] z = new double[batch * h * t * dh];                                                   // [B, H, T, d]
        for (int bh = 0; bh < batch * h; bh++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    double p = pattern[(bh * t + i) * t + j];
                    for (int e = 0; e < dh; e++) {
                        z[(bh * t + i) * dh + e] += p * v[(bh * t + j) * dh + e];
                    }
                }
            }
        }
        z = at.site(Site.of(l, Site.Kind.Z), z);
        double[] heads = new double[rows * d];                                                          // [B·T, D]
        for (int b = 0; b < batch; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < t; i++) {
                    System.arraycopy(z, ((b * h + hh) * t + i) * dh, heads, (b * t + i) * d + hh * dh, dh);
                }
            }
        }
        double[] attnOut = at.site(Site.of(l, Site.Kind.ATTN_OUT), linear(heads, rows, w.proj()));
        double[] residMid = at.site(Site.of(l, Site.Kind.RESID_MID), add(residPre, attnOut));
        double[] ln2 = at.site(Site.of(l, Site.Kind.LN2), layerNorm(residMid, rows, d, w.norm2(), c.layerNormEps()));
        double[] mlpPre = at.site(Site.of(l, Site.Kind.MLP_PRE), linear(ln2, rows, w.fc1()));
        double[] mlpPost = mlpPre.clone();
        for (int i = 0; i < mlpPost.length; i++) {
            mlpPost[i] = gelu(mlpPre[i]);
        }
        mlpPost = at.site(Site.of(l, Site.Kind.MLP_POST), mlpPost);
        double[] mlpOut = at.site(Site.of(l, Site.Kind.MLP_OUT), linear(mlpPost, rows, w.fc2()));
        return at.site(Site.of(l, Site.Kind.RESID_POST), add(residMid, mlpOut));
    }

    /** Pixels {@code [B, C, S, S]} → patches {@code [B·N, C·p·p]}, each in channel, row, column order. */
    private double[] patchify(double[] px, int batch) {
        int ch = c.channels();
        int s = c.imageSize();
        int p = c.patchSize();
        int g = c.gridSize();
        double[] out = new double[batch * c.patches() * c.patchDim()];
        int o = 0;
        for (int b = 0; b < batch; b++) {
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    for (int cc = 0; cc < ch; cc++) {
                        for (int y = 0; y < p; y++) {
                            for (int x = 0; x < p; x++) {
                                out[o++] = px[((b * ch + cc) * s + gy * p + y) * s + gx * p + x];
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Part {@code part} (q, k, v) of the fused {@code [B·T, 3D]} projection, heads split: {@code [B, H, T, d]}. */
    private double[] head(double[] qkv, int part, int batch) {
        int t = c.tokens();
        int d = c.hiddenSize();
        int h = c.heads();
        int dh = c.headDim();
        double[] out = new double[batch * h * t * dh];
        for (int b = 0; b < batch; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < t; i++) {
                    System.arraycopy(qkv, (b * t + i) * 3 * d + part * d + hh * dh, out, ((b * h + hh) * t + i) * dh,
                            dh);
                }
            }
        }
        return out;
    }

    private static double[] linear(double[] x, int rows, Lin w) {
        double[] y = new double[rows * w.out()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < w.out(); o++) {
                double s = w.b()[o];
                for (int i = 0; i < w.in(); i++) {
                    s += x[r * w.in() + i] * w.w()[o * w.in() + i];
                }
                y[r * w.out() + o] = s;
            }
        }
        return y;
    }

    private static double[] add(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** LayerNorm over rows of width {@code d}: biased variance, eps inside the square root, then {@code ·w + b}. */
    static double[] layerNorm(double[] x, int rows, int d, double[] w, double[] b, double eps) {
        double[] out = new double[rows * d];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[r * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double dev = x[r * d + i] - mean;
                var += dev * dev;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                out[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
            }
        }
        return out;
    }

    private static double[] layerNorm(double[] x, int rows, int d, Norm n, double eps) {
        return layerNorm(x, rows, d, n.w(), n.b(), eps);
    }

    /** Softmax over rows of width {@code n}, max subtracted. */
    static double[] softmaxRows(double[] x, int n) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[r * n + i]);
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                out[r * n + i] = Math.exp(x[r * n + i] - max);
                sum += out[r * n + i];
            }
            for (int i = 0; i < n; i++) {
                out[r * n + i] /= sum;
            }
        }
        return out;
    }

    /** Exact GELU {@code ½ x (1 + erf(x/√2))}, written {@code ½ x erfc(−x/√2)} so that its left tail is exact too. */
    static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    /**
     * The complementary error function to about 1e-15 (absolute, and relative for z ≥ 3): for |z| < 3 from the
     * series {@code erf z = (2/√π) e^(−z²) Σₙ 2ⁿ z^(2n+1) / (1·3·…·(2n+1))}, whose terms are all positive (no
     * cancellation); for z ≥ 3 from the continued fraction {@code erfc z = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3⁄2/(z
     * + …))))}, evaluated bottom-up from 80 levels; {@code erfc(−z) = 2 − erfc(z)}.
     */
    static double erfc(double z) {
        double a = Math.abs(z);
        double tail;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; term > 1e-17 * sum; n++) {
                term *= 2 * a * a / (2 * n + 1);
                sum += term;
            }
            tail = 1 - 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
        } else {
            double f = a;
            for (int n = 80; n >= 1; n--) {
                f = a + (n / 2.0) / f;
            }
            tail = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return z >= 0 ? tail : 2 - tail;
    }
}
