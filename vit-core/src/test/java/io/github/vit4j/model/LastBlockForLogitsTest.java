package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run that keeps nothing of the last block computes only its CLS row after k and v (the head reads nothing
 * else). Its logits must equal those of a run that computes every token, with or without substitutions there.
 */
class LastBlockForLogitsTest {

    static final VitConfig CONFIG = new VitConfig(32, 8, 3, 32, 3, 2, 64, 1e-6, VitConfig.numberedLabels(10));
    static final int LAST = CONFIG.layers() - 1;

    @Test
    void logitsOnlyRunsEqualFullRunsWithAndWithoutLastBlockSubstitutions() {
        for (KernelSet ops : List.of(KernelSet.configured(), KernelSet.PLAIN)) {
            Vit vit = new Vit(VitWeights.random(CONFIG, 8), ops);
            INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
            Activations other = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32)), Keep.all());
            for (Map<Site, Substitution> subs : substitutionSets(other)) {
                INDArray full = vit.run(Input.normalized(x), Keep.all(), subs).logits();
                INDArray fast = vit.run(Input.normalized(x), Keep.logitsOnly(), subs).logits();
                double d = full.sub(fast).amaxNumber().doubleValue();
                assertTrue(d <= 1e-5, ops + " " + subs.keySet() + " differs by " + d);
            }
        }
    }

    @Test
    void aSubstitutionThatChangesOnlyPatchTokensOfTheLastBlockLeavesTheLogitsAlone() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 9), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        INDArray base = vit.run(Input.normalized(x), Keep.logitsOnly()).logits();
        INDArray mask = Nd4j.ones(DataType.FLOAT, 1, CONFIG.tokens(), 1);
        mask.putScalar(0, 0, 0, 0f);                                   // every token but CLS
        INDArray noise = Nd4j.rand(DataType.FLOAT, 1, CONFIG.tokens(), CONFIG.hiddenSize()).muli(10);
        INDArray patched = vit.run(Input.normalized(x), Keep.logitsOnly(),
                Map.of(Site.mlpOut(LAST), Substitution.masked(noise, mask))).logits();
        assertEquals(0.0, base.sub(patched).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void aWrongShapedSubstitutionInTheLastBlockIsStillRefused() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 10), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vit.run(Input.normalized(x),
                Keep.logitsOnly(), Map.of(Site.attnOut(LAST),
                        Substitution.whole(Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens() - 1, CONFIG.hiddenSize())))));
        assertTrue(e.getMessage().contains("blocks." + LAST + ".attn_out"), e.getMessage());
    }

    /** No substitution; each last-block site whole; masked by token and by head. */
    private static List<Map<Site, Substitution>> substitutionSets(Activations other) {
        INDArray clsAndThree = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.tokens(), 1);
        clsAndThree.putScalar(0, 0, 0, 1f);
        clsAndThree.putScalar(0, 3, 0, 1f);
        INDArray headOne = Nd4j.zeros(DataType.FLOAT, 1, CONFIG.heads(), 1, 1);
        headOne.putScalar(0, 1, 0, 0, 1f);
        Map<Site, Substitution> none = Map.of();
        Map<Site, Substitution> wholeEverywhere = new LinkedHashMap<>();
        for (Site.Kind k : Site.Kind.values()) {
            if (k.perBlock() && k != Site.Kind.RESID_PRE && k != Site.Kind.LN1 && k != Site.Kind.K
                    && k != Site.Kind.V) {
                wholeEverywhere.put(Site.of(LAST, k), Substitution.whole(other.get(Site.of(LAST, k))));
            }
        }
        return List.of(none,
                Map.of(Site.attnOut(LAST), Substitution.whole(other.get(Site.attnOut(LAST)))),
                Map.of(Site.of(LAST, Site.Kind.MLP_POST), Substitution.whole(other.get(Site.of(LAST, Site.Kind.MLP_POST)))),
                Map.of(Site.of(LAST, Site.Kind.Q), Substitution.whole(other.get(Site.of(LAST, Site.Kind.Q))),
                        Site.of(LAST, Site.Kind.K), Substitution.whole(other.get(Site.of(LAST, Site.Kind.K)))),
                Map.of(Site.residMid(LAST), Substitution.masked(other.get(Site.residMid(LAST)), clsAndThree)),
                Map.of(Site.of(LAST, Site.Kind.Z), Substitution.masked(other.get(Site.of(LAST, Site.Kind.Z)), headOne)),
                Map.of(Site.pattern(LAST), Substitution.masked(other.get(Site.pattern(LAST)), headOne)),
                wholeEverywhere);
    }
}
