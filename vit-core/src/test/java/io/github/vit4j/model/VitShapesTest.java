package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The forward pass's sites, their shapes and the rules of runs, on seeded random weights. */
class VitShapesTest {

    @Test
    void aVitB16BatchOfTwoHasEverySiteInItsDocumentedShape() {
        VitConfig c = VitConfig.vitB16();
        Vit vit = new Vit(VitWeights.random(c, 1));
        Activations run = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 224, 224)), Keep.all());
        assertEquals(2 + c.layers() * 14 + 1, run.sites().size(), "embed, 14 sites per block, ln_final, logits");
        assertArrayEquals(new long[] {2, 196, 768}, run.get(Site.embed()).shape());
        assertArrayEquals(new long[] {2, 197, 768}, run.get(Site.residPre(0)).shape());
        assertArrayEquals(new long[] {2, 12, 197, 64}, run.get(Site.of(5, Site.Kind.Q)).shape());
        assertArrayEquals(new long[] {2, 12, 197, 197}, run.get(Site.pattern(11)).shape());
        assertArrayEquals(new long[] {2, 197, 3072}, run.get(Site.of(3, Site.Kind.MLP_POST)).shape());
        assertArrayEquals(new long[] {2, 1000}, run.logits().shape());
        for (Site s : run.sites()) {
            assertArrayEquals(s.shape(c, 2), run.get(s).shape(), s.toString());
        }
    }

    @Test
    void keepingOnlyResidPreKeepsOneArrayPerLayerAndTheLogits() {
        VitConfig c = VitConfig.cifar10();
        Vit vit = new Vit(VitWeights.random(c, 2));
        Activations run = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)), Keep.kinds(Site.Kind.RESID_PRE));
        assertEquals(c.layers() + 1, run.sites().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run.get(Site.attnOut(0)));
        assertTrue(e.getMessage().contains("Keep"), e.getMessage());
    }

    @Test
    void residMidIsResidPrePlusAttnOutAndResidPostIsResidMidPlusMlpOut() {
        VitConfig c = VitConfig.cifar10();
        Activations run = new Vit(VitWeights.random(c, 3)).run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32)), Keep.all());
        for (int l = 0; l < c.layers(); l++) {
            INDArray mid = run.get(Site.residPre(l)).add(run.get(Site.attnOut(l)));
            assertTrue(mid.equalsWithEps(run.get(Site.residMid(l)), 1e-6));
            INDArray post = run.get(Site.residMid(l)).add(run.get(Site.mlpOut(l)));
            assertTrue(post.equalsWithEps(run.get(Site.residPost(l)), 1e-6));
            if (l + 1 < c.layers()) {
                assertSame(run.get(Site.residPost(l)), run.get(Site.residPre(l + 1)));
            }
        }
    }

    @Test
    void aRunResumedFromACachedResidPreEqualsTheFullRun() {
        VitConfig c = VitConfig.cifar10();
        Vit vit = new Vit(VitWeights.random(c, 4));
        Activations full = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32)), Keep.all());
        for (int l = 0; l <= c.layers(); l++) {
            INDArray from = l < c.layers() ? full.get(Site.residPre(l)) : full.get(Site.residPost(c.layers() - 1));
            Activations resumed = vit.run(Input.residPre(l, from), Keep.logitsOnly());
            assertTrue(resumed.logits().equalsWithEps(full.logits(), 1e-6), "resumed at " + l);
        }
    }

    @Test
    void aSubstitutedArrayIsUsedAsIsAndRecordedInItsPlace() {
        VitConfig c = VitConfig.cifar10();
        Vit vit = new Vit(VitWeights.random(c, 5));
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        Activations clean = vit.run(Input.normalized(x), Keep.all());
        INDArray zeros = Nd4j.zeros(DataType.FLOAT, 1, c.tokens(), c.hiddenSize());
        Activations patched = vit.run(Input.normalized(x), Keep.all(), Map.of(Site.attnOut(1), Substitution.whole(zeros)));
        assertSame(zeros, patched.get(Site.attnOut(1)));
        assertTrue(patched.get(Site.residMid(1)).equalsWithEps(patched.get(Site.residPre(1)), 0));
        assertNotSame(clean.get(Site.residMid(1)), patched.get(Site.residMid(1)));
        assertEquals(0.0, zeros.amaxNumber().doubleValue(), "the substituted array is never written");
    }

    @Test
    void badInputIsRefusedWithTheExpectedShape() {
        Vit vit = new Vit(VitWeights.random(VitConfig.cifar10(), 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 4, 32, 32)), Keep.all()));
        assertTrue(e.getMessage().contains("[1, 3, 32, 32]") && e.getMessage().contains("[1, 4, 32, 32]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)),
                Keep.all(), Map.of(Site.attnOut(9), Substitution.whole(Nd4j.zeros(1)))));
        assertTrue(e.getMessage().contains("blocks.9.attn_out"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)),
                Keep.all(), Map.of(Site.attnOut(0), Substitution.whole(Nd4j.zeros(DataType.FLOAT, 1, 64, 128)))));
        assertTrue(e.getMessage().contains("[1, 64, 128]") && e.getMessage().contains("[1, 65, 128]"), e.getMessage());
    }

    @Test
    void configsAreValidatedWithTheBadValueNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(224, 15, 3, 768, 12, 12, 3072, 1e-6, VitConfig.numberedLabels(10)));
        assertTrue(e.getMessage().contains("224") && e.getMessage().contains("15"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new VitConfig(224, 16, 3, 768, 12, 7, 3072, 1e-6, VitConfig.numberedLabels(10)));
        assertTrue(e.getMessage().contains("heads 7"), e.getMessage());
        assertEquals(23, EnumSet.allOf(Site.Kind.class).size());
    }
}
