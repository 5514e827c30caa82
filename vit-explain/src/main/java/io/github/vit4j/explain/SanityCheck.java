package io.github.vit4j.explain;

import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model-randomisation test of Adebayo et al. 2018 ("Sanity checks for saliency maps"), cascading from the top:
 * the head (with the final LayerNorm) is re-initialised, then also block L − 1, then L − 2, …, block 0, then the
 * embeddings; after each step the method's map is compared with the trained model's by Spearman rank correlation,
 * image by image. A method that explains the model must change when the model does: its correlation should fall
 * as more of the model is random. Re-initialisation uses {@link VitWeights#random}'s distributions (timm's).
 *
 * <p>Where it misleads: a low correlation shows only that the map depends on the weights, not that it is right; and
 * a method can fall while still carrying much of the input's structure (gradient × input keeps the image's edges).
 */
public final class SanityCheck {

    private SanityCheck() {
    }

    /**
     * One step of the cascade.
     *
     * @param randomised what is random now, cumulatively: {@code head}, {@code blocks.3}, …, {@code embeddings}
     * @param perImage   each image's Spearman correlation between the trained and the randomised map
     */
    public record Step(String randomised, double[] perImage) {

        /** The mean correlation over the images. */
        public double mean() {
            return Arrays.stream(perImage).average().orElse(Double.NaN);
        }
    }

    /**
     * The cascade for {@code method}, a function from a model to maps {@code [B, …]} of the same images (e.g.
     * {@code m -> Saliency.defaults().of(m, images, labels).map()}).
     *
     * @param seed the seed of the random weights
     */
    public static List<Step> cascading(Vit vit, Function<Vit, INDArray> method, long seed) {
        VitConfig c = vit.config();
        Map<String, INDArray> random = VitWeights.random(c, seed).tensors();
        Map<String, INDArray> tensors = new LinkedHashMap<>(vit.weights().tensors());
        double[][] trained = rows(method.apply(vit));
        List<String> stages = new ArrayList<>();
        stages.add("head");
        for (int l = c.layers() - 1; l >= 0; l--) {
            stages.add("blocks." + l);
        }
        stages.add("embeddings");
        List<Step> steps = new ArrayList<>();
        for (String stage : stages) {
            random.forEach((name, value) -> {
                if (stageOf(name).equals(stage)) {
                    tensors.put(name, value);
                }
            });
            double[][] maps = rows(method.apply(new Vit(VitWeights.fromTensors(c, tensors))));
            double[] rho = new double[trained.length];
            for (int i = 0; i < rho.length; i++) {
                rho[i] = spearman(trained[i], maps[i]);
            }
            steps.add(new Step(stage, rho));
        }
        return List.copyOf(steps);
    }

    /** The stage of the cascade that randomises a tensor (timm names). */
    private static String stageOf(String tensor) {
        if (tensor.startsWith("head.") || tensor.startsWith("norm.")) {
            return "head";
        }
        if (tensor.startsWith("blocks.")) {
            return "blocks." + tensor.split("\\.")[1];
        }
        return "embeddings";
    }

    private static double[][] rows(INDArray maps) {
        int b = (int) maps.size(0);
        return maps.castTo(DataType.DOUBLE).reshape(b, maps.length() / b).toDoubleMatrix();
    }

    /**
     * Spearman's rank correlation: Pearson's correlation of the ranks, tied values sharing their mean rank; 0 when
     * either side is constant.
     *
     * @throws IllegalArgumentException when the lengths differ
     */
    public static double spearman(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("rank correlation of " + a.length + " and " + b.length
                    + " values; the maps must be of the same images at the same size");
        }
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0);
        double mb = Arrays.stream(rb).average().orElse(0);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    /** Ranks 1..n, ties given the mean of the ranks they span. */
    static double[] ranks(double[] x) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Double.compare(x[p], x[q]));
        double[] r = new double[x.length];
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j + 1 < order.length && x[order[j + 1]] == x[order[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[order[k]] = (i + j) / 2.0 + 1;
            }
            i = j + 1;
        }
        return r;
    }
}
