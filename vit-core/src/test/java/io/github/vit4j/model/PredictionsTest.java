package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Classification from logits: softmax probabilities and top-k with class names, worked by hand, and from a run. */
class PredictionsTest {

    /** Image 0: logits (0, ln 3, 0) → p = (1/5, 3/5, 1/5). Image 1: (2, 2, 2) → 1/3 each, a three-way tie. */
    static final INDArray LOGITS = Nd4j.createFromArray(new float[][] {{0, (float) Math.log(3), 0}, {2, 2, 2}});

    @Test
    void probabilitiesAreTheSoftmaxOfEachImagesLogits() {
        Predictions p = Predictions.of(LOGITS, List.of("cat", "dog", "frog"));

        assertArrayEquals(new double[] {0.2, 0.6, 0.2}, p.probabilities(0), 1e-7);
        assertEquals(1 / 3.0, p.probability(1, 2), 1e-12);
        assertEquals(Math.log(0.6), p.logProbability(0, 1), 1e-7);
        assertEquals(2, p.size());
        assertEquals(3, p.classes());
    }

    @Test
    void topKGivesTheClassIndexItsNameAndProbabilityMostLikelyFirstTiesToTheLowerIndex() {
        Predictions p = Predictions.of(LOGITS, List.of("cat", "dog", "frog"));

        List<Predictions.Prediction> top = p.top(0, 2);

        assertEquals(1, top.get(0).index());
        assertEquals("dog", top.get(0).label());
        assertEquals(0.6, top.get(0).probability(), 1e-7);
        assertEquals(0, top.get(1).index());                     // cat and frog tie: the lower index first
        assertEquals(List.of(0, 1, 2), p.top(1, 10).stream().map(Predictions.Prediction::index).toList());
        assertEquals("dog", p.top1(0).label());
    }

    @Test
    void classesWithoutNamesAreNamedByTheirIndex() {
        assertEquals("1", Predictions.of(LOGITS).top1(0).label());
    }

    @Test
    void aWrongShapeLabelCountClassOrKIsRefusedNamingTheValue() {
        String shape = assertThrows(IllegalArgumentException.class,
                () -> Predictions.of(Nd4j.zeros(DataType.FLOAT, 3), List.of("a", "b", "c"))).getMessage();
        String labels = assertThrows(IllegalArgumentException.class,
                () -> Predictions.of(LOGITS, List.of("a", "b"))).getMessage();
        Predictions p = Predictions.of(LOGITS);
        String y = assertThrows(IllegalArgumentException.class, () -> p.probability(0, 3)).getMessage();
        String k = assertThrows(IllegalArgumentException.class, () -> p.top(0, 0)).getMessage();
        String image = assertThrows(IllegalArgumentException.class, () -> p.top1(2)).getMessage();

        assertTrue(shape.contains("[3]") && shape.contains("[batch, classes]"), shape);
        assertTrue(labels.contains("2 labels") && labels.contains("3 classes"), labels);
        assertTrue(y.contains("class 3") && y.contains("0..2"), y);
        assertTrue(k.contains("got 0"), k);
        assertTrue(image.contains("image 2") && image.contains("0..1"), image);
    }

    @Test
    void vitLogitsAreAFullRunsLogitsAndClassifyNamesThemByTheConfigsLabels() {
        VitConfig config = LastBlockForLogitsTest.CONFIG.withLabels(
                List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        Vit vit = new Vit(VitWeights.random(config, 5));
        Input x = Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32));

        INDArray logits = vit.logits(x);
        Predictions classified = vit.classify(x);

        INDArray full = vit.run(x, Keep.all()).logits();
        assertEquals(0, logits.sub(full).amaxNumber().doubleValue(), 1e-5);
        int best = full.getRow(1).argMax().getInt(0);
        assertEquals(best, classified.top1(1).index());
        assertEquals(config.labels().get(best), classified.top1(1).label());
        assertEquals(logits, classified.logits());
    }
}
