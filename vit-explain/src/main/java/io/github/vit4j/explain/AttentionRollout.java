package io.github.vit4j.explain;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Attention rollout (Abnar &amp; Zuidema 2020): per block the attention averaged over heads, with the residual
 * stream's identity mixed in, {@code Â_l = (A_l + I) / 2}, rows renormalised to sum 1; multiplied over the blocks,
 * {@code R = Â_{L−1} ⋯ Â_1 Â_0} {@code [B, T, T]}. The map {@code [B, gh, gw]} is the patch columns of the rows of R
 * that the model's output reads, on the patch grid: how much each patch flows into what the head reads, if attention
 * were all that mixed tokens. One forward. Which rows, per family:
 * <ul>
 *   <li>a CLS token (ViT, DeiT, CLIP, DINOv2): row 0, without its CLS column (as before: the map need not sum to 1);
 *   <li>distilled DeiT, whose output is the mean of a head on CLS and one on the distillation token: the mean of rows
 *       0 and 1, without the CLS and distillation columns;
 *   <li>DINOv2 with registers: row 0 over the patch columns alone, renormalised to sum 1 over the patches (registers
 *       are neither CLS nor patches, and take a large share of late attention: Darcet et al. 2024), as users of the
 *       Hugging Face and timm models map it;
 *   <li>no CLS token (SigLIP, whose output pools every token with a learned probe that no block's attention holds):
 *       the mean of every row, which is what a uniform probe would read.
 * </ul>
 *
 * <p>Where it misleads: it ignores the value vectors, the MLPs and the magnitudes of what is added to the stream
 * (the ½ is a guess at the residual's share), so it shows how tokens could mix, not what the class depends on; it
 * is class-agnostic (the same map for every class).
 */
public final class AttentionRollout {

    private AttentionRollout() {
    }

    /** The rows of the rollout the output reads (see the class comment), on the patch grid {@code [B, gh, gw]}. */
    public static INDArray of(Vit vit, Input input) {
        VitConfig c = vit.config();
        Architecture a = c.architecture();
        INDArray r = matrix(vit, input);
        int b = input.batch();
        int t = c.tokens();
        int n = c.patches();
        int first = c.prefixTokens();
        int[] rows = !a.hasCls() ? IntStream.range(0, t).toArray() : TokenLayout.rowsRead(c);
        float[] all = PixelModel.floats(r);
        float[] out = new float[b * n];
        for (int i = 0; i < b; i++) {
            double[] map = new double[n];
            for (int row : rows) {
                for (int k = 0; k < n; k++) {
                    map[k] += all[(i * t + row) * t + first + k] / (double) rows.length;
                }
            }
            double sum = a.registers() > 0 ? Arrays.stream(map).sum() : 1;
            for (int k = 0; k < n; k++) {
                out[i * n + k] = (float) (map[k] / sum);
            }
        }
        return Nd4j.create(out, new long[] {b, c.gridHeight(), c.gridWidth()}, 'c');
    }

    /** The rollout {@code [B, T, T]} of a run: {@link #rollout} of its patterns. */
    public static INDArray matrix(Vit vit, Input input) {
        List<INDArray> patterns = new ArrayList<>();
        try (Activations run = vit.run(input, Keep.kinds(Site.Kind.PATTERN))) {
            for (int l = 0; l < vit.config().layers(); l++) {
                patterns.add(run.get(Site.pattern(l)).dup('c'));
            }
        }
        return rollout(patterns);
    }

    /**
     * The rollout {@code [B, T, T]} of patterns {@code [B, H, T, T]}, one per block from the first: in double,
     * {@code R = Â_{L−1} ⋯ Â_0} with {@code Â = rownorm((mean_h A + I) / 2)}.
     */
    public static INDArray rollout(List<INDArray> patterns) {
        if (patterns == null || patterns.isEmpty()) {
            throw new IllegalArgumentException("rollout needs the pattern [B, H, T, T] of at least one block");
        }
        long[] shape = patterns.get(0).shape();
        int b = (int) shape[0];
        int h = (int) shape[1];
        int t = (int) shape[2];
        double[][][] r = new double[b][t][t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                r[i][q][q] = 1;
            }
        }
        for (int l = 0; l < patterns.size(); l++) {
            INDArray pattern = patterns.get(l);
            if (!Arrays.equals(pattern.shape(), new long[] {b, h, t, t})) {
                throw new IllegalArgumentException("pattern of block " + l + " is "
                        + Arrays.toString(pattern.shape()) + ", expected [" + b + ", " + h + ", " + t + ", "
                        + t + "] like block 0's");
            }
            float[] p = PixelModel.floats(pattern);
            for (int i = 0; i < b; i++) {
                r[i] = multiply(mixed(p, i, h, t), r[i]);
            }
        }
        float[] out = new float[b * t * t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < t; k++) {
                    out[(i * t + q) * t + k] = (float) r[i][q][k];
                }
            }
        }
        return Nd4j.create(out, new long[] {b, t, t}, 'c');
    }

    /** Â of image i: the head-mean of its pattern plus I, halved, rows renormalised. */
    private static double[][] mixed(float[] p, int i, int h, int t) {
        double[][] a = new double[t][t];
        for (int q = 0; q < t; q++) {
            double row = 0;
            for (int k = 0; k < t; k++) {
                double mean = 0;
                for (int head = 0; head < h; head++) {
                    mean += p[((i * h + head) * t + q) * t + k] / (double) h;
                }
                a[q][k] = (mean + (q == k ? 1 : 0)) / 2;
                row += a[q][k];
            }
            for (int k = 0; k < t; k++) {
                a[q][k] /= row;
            }
        }
        return a;
    }

    private static double[][] multiply(double[][] x, double[][] y) {
        int t = x.length;
        double[][] z = new double[t][t];
        for (int q = 0; q < t; q++) {
            for (int m = 0; m < t; m++) {
                for (int k = 0; k < t; k++) {
                    z[q][k] += x[q][m] * y[m][k];
                }
            }
        }
        return z;
    }
}
