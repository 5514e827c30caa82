package io.github.vit4j.report;

import io.github.vit4j.format.AtomicFile;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code token_sweep.csv}: one row per (image, layer, patch), {@code image,layer,cell,row,col,ie}, with
 * {@code cell = row · gridSize + col} the patch's index in the grid (its token is {@code P + cell}, P the model's
 * tokens before the patches: 1 for ViT; CLS, the distillation token and registers are not swept). Numbers are written with {@link Double#toString}.
 */
public final class TokenSweepCsv {

    /** The header line. */
    public static final String HEADER = "image,layer,cell,row,col,ie";

    private TokenSweepCsv() {
    }

    /** One image's sweep: {@code effect[layer][cell]}. */
    public record ImageSweep(int image, double[][] effect) {
    }

    /** Writes the sweeps of {@code images} for a grid of side {@code grid}. */
    public static void write(Path file, List<ImageSweep> images, int grid) throws IOException {
        AtomicFile.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(HEADER + "\n");
            for (ImageSweep s : images) {
                for (int l = 0; l < s.effect().length; l++) {
                    double[] e = s.effect()[l];
                    if (e.length != grid * grid) {
                        throw new IllegalArgumentException("image " + s.image() + " layer " + l + " has " + e.length
                                + " cells but a " + grid + "×" + grid + " grid has " + grid * grid);
                    }
                    for (int c = 0; c < e.length; c++) {
                        w.write(s.image() + "," + l + "," + c + "," + c / grid + "," + c % grid + "," + e[c] + "\n");
                    }
                }
            }
            w.flush();
        });
    }

    /** The mean over images, {@code [layer][cell]}; NaN effects are left out of their cell's mean. */
    public static double[][] mean(List<ImageSweep> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no token sweeps to average");
        }
        double[][] first = images.get(0).effect();
        double[][] sum = new double[first.length][first[0].length];
        int[][] count = new int[first.length][first[0].length];
        for (ImageSweep s : images) {
            for (int l = 0; l < sum.length; l++) {
                for (int c = 0; c < sum[l].length; c++) {
                    double v = s.effect()[l][c];
                    if (!Double.isNaN(v)) {
                        sum[l][c] += v;
                        count[l][c]++;
                    }
                }
            }
        }
        for (int l = 0; l < sum.length; l++) {
            for (int c = 0; c < sum[l].length; c++) {
                sum[l][c] = count[l][c] == 0 ? Double.NaN : sum[l][c] / count[l][c];
            }
        }
        return sum;
    }
}
