package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The logit lens on the CIFAR-10 model: at the last layer it is the model's own prediction. */
class LogitLensTest {

    @Test
    void atTheLastLayerTheLensIsTheModelsOwnProbabilities() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 4);
        LogitLens.Result lens = LogitLens.of(vit, images.input());
        assertArrayEquals(new long[] {4, 4, 10}, lens.probabilities().shape());
        double[][] logits = vit.logits(images.input()).castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int b = 0; b < 4; b++) {
            double[] p = Predictions.softmax(logits[b]);
            for (int k = 0; k < 10; k++) {
                assertEquals(p[k], lens.probabilities().getDouble(b, 3, k), 1e-6);
            }
            for (int l = 0; l < 4; l++) {
                double sum = lens.probabilities().get(NDArrayIndex.point(b), NDArrayIndex.point(l), NDArrayIndex.all())
                        .sumNumber().doubleValue();
                assertEquals(1, sum, 1e-5, "a probability distribution at every layer");
            }
        }
    }

    @Test
    void eachPatchsClassIsTheHeadsArgmaxOnThatTokenOfTheLastLayer() {
        Vit vit = Cifar.vit();
        var images = Cifar.images(0, 2);
        LogitLens.Result lens = LogitLens.of(vit, images.input());
        assertArrayEquals(new long[] {2, 4, 8, 8}, lens.patchClasses().shape());
        try (Activations run = vit.run(images.input(), Keep.sites(Site.lnFinal()))) {
            INDArray ln = run.get(Site.lnFinal());                                              // [B, T, D]
            INDArray w = vit.weights().head().weight();                                         // [C, D]
            INDArray bias = vit.weights().head().bias();
            for (int b = 0; b < 2; b++) {
                for (int token : new int[] {1, 9, 37, 64}) {
                    INDArray x = ln.get(NDArrayIndex.point(b), NDArrayIndex.point(token), NDArrayIndex.all());
                    int predicted = x.reshape(1, 128).mmul(w.transpose()).add(bias.reshape(1, 10)).argMax(1).getInt(0);
                    int n = token - 1;
                    assertEquals(predicted, lens.patchClasses().getInt(b, 3, n / 8, n % 8), "token " + token);
                }
            }
        }
    }
}
