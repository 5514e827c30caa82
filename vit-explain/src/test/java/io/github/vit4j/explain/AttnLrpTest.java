package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** AttnLRP: each rule by hand, and the relevance of every site on a random model and the CIFAR-10 model. */
class AttnLrpTest {

    private static INDArray m(double[][] rows) {
        return Nd4j.create(rows).castTo(DataType.DOUBLE);
    }

    private static VitWeights.Linear linear(float[][] w, float[] b) {
        return new VitWeights.Linear(Nd4j.create(w), Nd4j.create(b, new long[] {b.length}));
    }

    /** z = 1·1 + 2·1 + bias 1 = 4 carries R = 4: x₁ gets 1·4/4 = 1, x₂ 2·4/4 = 2, and the bias keeps its 1. */
    @Test
    void theEpsilonRuleSharesByContributionAndTheBiasKeepsItsShare() {
        INDArray r = AttnLrpRules.linear(m(new double[][] {{1, 2}}), linear(new float[][] {{1, 1}}, new float[] {1}),
                m(new double[][] {{4}}));
        assertArrayEquals(new double[] {1, 2}, r.toDoubleVector(), 1e-5);
    }

    /**
     * x = [1, 3], γ = 1, β = 0: mean 2, σ = 1, y = [−1, 1]. R = [½, 1] gives g = R / y = [−½, 1], mean ¼, so
     * R_x = x / σ ⊙ (g − ¼) = [1 · −¾, 3 · ¾] = [−0.75, 2.25], summing to Σ R = 1.5 (β = 0 keeps nothing).
     */
    @Test
    void layerNormWithSigmaHeldFixedIsALinearMapAndConserves() {
        VitWeights.LayerNorm norm = new VitWeights.LayerNorm(Nd4j.ones(DataType.FLOAT, 2),
                Nd4j.zeros(DataType.FLOAT, 2));
        INDArray r = AttnLrpRules.layerNorm(m(new double[][] {{1, 3}}), norm, m(new double[][] {{0.5, 1}}), 1e-12);
        assertArrayEquals(new double[] {-0.75, 2.25}, r.toDoubleVector(), 1e-5);
    }

    /** Scores [0, ln 3]: s = [¼, ¾]; R = [1, 0] gives R_x = x ⊙ (R − s · 1) = [0, ln 3 · −¾]. */
    @Test
    void theSoftmaxRuleIsTheScoresTimesRelevanceLessTheOutputsShareOfItsSum() {
        double ln3 = Math.log(3);
        INDArray r = AttnLrpRules.softmax(m(new double[][] {{0, ln3}}), m(new double[][] {{0.25, 0.75}}),
                m(new double[][] {{1, 0}}));
        assertArrayEquals(new double[] {0, -0.75 * ln3}, r.toDoubleVector(), 1e-12);
    }

    /** y = [[1, 2]] · [[3], [1]] = 5 with R = 5: each operand half of its ε-rule share: [1.5, 1] and [1.5, 1]. */
    @Test
    void theUniformRuleGivesEachOperandHalf() {
        INDArray[] r = AttnLrpRules.product(m(new double[][] {{1, 2}}), m(new double[][] {{3}, {1}}),
                m(new double[][] {{5}}));
        assertArrayEquals(new double[] {1.5, 1}, r[0].toDoubleVector(), 1e-5);
        assertArrayEquals(new double[] {1.5, 1}, r[1].reshape(2).toDoubleVector(), 1e-5);
    }

    @Test
    void theCifarModelsRelevanceReachesEverySiteAndThePixels() {
        ImageSource.Batch images = Cifar.images(0, 2);
        AttnLrp.Result r = new AttnLrp(1).of(Cifar.vit(), images.input(), images.labels());
        assertArrayEquals(new long[] {2, 3, 32, 32}, r.pixels().shape());
        assertArrayEquals(new long[] {2, 32, 32}, r.map().shape());
        assertArrayEquals(new long[] {2, 4, 65, 65}, r.sites().get(Site.pattern(3)).shape());
        assertArrayEquals(new long[] {2, 64, Cifar.vit().config().hiddenSize()}, r.sites().get(Site.embed()).shape());
        for (int i = 0; i < 2; i++) {
            double logit = r.logits()[i];
            double top = r.totals()[i][4];
            assertEquals(logit, top, 0.05 * Math.abs(logit), "the head's bias and β keep a little, of either sign");
            assertEquals(r.sites().get(Site.embed()).slice(i).sumNumber().doubleValue(),
                    r.pixels().slice(i).sumNumber().doubleValue(), 0.2 * Math.abs(logit),
                    "the patch embedding's bias keeps a little");
        }
    }

    /**
     * Without biases and LayerNorm β, every rule but softmax's conserves (up to ε), so from block to block Σ R drops
     * by exactly what the softmax rule gives up: Σ R(pattern) − Σ R(q) − Σ R(k) (the uniform rule passes the scores'
     * whole relevance to q and k); at the top, Σ R is the logit; at the input, Σ R is embed's less what the position
     * embeddings keep, which no longer holds a bias.
     */
    @Test
    void withoutBiasesRelevanceIsConservedButForWhatTheSoftmaxRuleGivesUp() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        VitWeights w = VitWeights.random(c, 3);
        w.head().bias().assign(0);
        w.norm().bias().assign(0);
        w.patchEmbed().bias().assign(0);
        for (VitWeights.Block b : w.blocks()) {
            for (VitWeights.Linear l : new VitWeights.Linear[] {b.qkv(), b.proj(), b.fc1(), b.fc2()}) {
                l.bias().assign(0);
            }
            b.norm1().bias().assign(0);
            b.norm2().bias().assign(0);
        }
        Vit vit = new Vit(w, KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(7);          // the same images whichever tests ran before (the softmax's share varies)
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8), Preprocessing.unitRange(8)).input();
        AttnLrp.Result r = new AttnLrp(2).of(vit, input, 1, 4);
        for (int i = 0; i < 2; i++) {
            double[] t = r.totals()[i];
            assertEquals(r.logits()[i], t[2], 1e-4 * Math.abs(r.logits()[i]), "the head conserves");
            for (int l = 1; l >= 0; l--) {
                double softmax = sum(r, Site.pattern(l), i) - sum(r, Site.q(l), i) - sum(r, Site.k(l), i);
                assertTrue(Math.abs(softmax) > 1e-3, "the softmax rule gives up " + softmax + " at block " + l);
                assertEquals(t[l + 1] - softmax, t[l], 1e-4, "block " + l + " (float sites)");
            }
        }
    }

    private static double sum(AttnLrp.Result r, Site site, int i) {
        return r.sites().get(site).slice(i).castTo(DataType.DOUBLE).sumNumber().doubleValue();
    }

    @Test
    void aModelWithAnotherHeadIsRefusedNamingTheMethodsThatFollowIt() {
        VitConfig c = SmallFamilies.small(Architecture.clipVision(6), 6);
        Vit vit = new Vit(VitWeights.random(c, 5), KernelSet.PLAIN);
        Nd4j.getRandom().setSeed(11);                 // the same numbers whichever tests ran before
        Input input = ImageSource.Batch.of(Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8), Preprocessing.unitRange(8)).input();
        var e = assertThrows(IllegalArgumentException.class, () -> AttnLrp.defaults().of(vit, input, 0));
        assertTrue(e.getMessage().contains("CheferLrp"), e.getMessage());
    }
}
