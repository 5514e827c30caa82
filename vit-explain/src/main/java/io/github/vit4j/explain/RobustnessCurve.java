package io.github.vit4j.explain;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Accuracy under attack as a function of ε: for each ε, the fraction of the images whose top-1 class on the
 * adversarial pixels ({@link Attack#withEpsilon}, untargeted against the true label) is still the label. ε = 0
 * gives the clean accuracy. Data for a plot; the images should have known labels.
 */
public final class RobustnessCurve {

    private RobustnessCurve() {
    }

    /**
     * One point of the curve.
     *
     * @param epsilon  ε in 1/255 units
     * @param accuracy the fraction of images still classified as their label, in [0, 1]
     */
    public record Point(double epsilon, double accuracy) {
    }

    /**
     * The curve over {@code epsilons} (1/255 units) of {@code attack} on {@code images} with true labels
     * {@code labels} (one per image).
     *
     * @throws IllegalArgumentException when a label is missing or outside the model's classes
     */
    public static List<Point> of(Vit vit, ImageSource.Batch images, int[] labels, Attack attack, double... epsilons) {
        int b = (int) images.pixels().size(0);
        if (labels == null || labels.length != b) {
            throw new IllegalArgumentException("a robustness curve needs one label per image: " + b + " images, "
                    + (labels == null ? "no" : String.valueOf(labels.length)) + " labels (ImageSource.Batch.labels())");
        }
        int[] ys = PixelModel.expand(labels, b, vit.config().classes());
        PixelModel model = new PixelModel(vit, images.preprocessing(), attack.batch());
        List<Point> curve = new ArrayList<>();
        for (double eps : epsilons) {
            INDArray pixels = eps == 0 ? images.pixels() : attack.withEpsilon(eps).untargeted(vit, images, ys);
            INDArray predicted = model.logits(pixels).argMax(1).castTo(DataType.INT);
            int right = 0;
            for (int i = 0; i < b; i++) {
                right += predicted.getInt(i) == ys[i] ? 1 : 0;
            }
            curve.add(new Point(eps, right / (double) b));
        }
        return List.copyOf(curve);
    }
}
