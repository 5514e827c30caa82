package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run that replaces a module's output whole ({@code attn_out} or {@code mlp_out}, {@link Substitution.Whole}) and
 * keeps nothing inside that module does not compute the module: its result could not reach anything. Such a run
 * must give what computing the module and then overwriting its output (as a hook would) gives.
 */
class SkippedModulesTest {

    static final VitConfig CONFIG = LastBlockForLogitsTest.CONFIG;
    static final List<Site.Kind> OUTPUTS = List.of(Site.Kind.ATTN_OUT, Site.Kind.MLP_OUT);

    @Test
    void replacingAModuleOutputWholeGivesTheLogitsOfComputingItAndOverwritingIt() {
        for (KernelSet ops : List.of(KernelSet.configured(), KernelSet.PLAIN)) {
            Vit vit = new Vit(VitWeights.random(CONFIG, 21), ops);
            INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32);
            Activations other = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32)), Keep.all());
            INDArray everywhere = Nd4j.ones(DataType.FLOAT, 1, 1, 1);
            for (Site.Kind kind : OUTPUTS) {
                for (int l = 0; l < CONFIG.layers(); l++) {
                    Site site = Site.of(l, kind);
                    for (Keep keep : List.of(Keep.logitsOnly(), Keep.all())) {
                        INDArray skipped = vit.run(Input.normalized(x), keep,
                                Map.of(site, Substitution.whole(other.get(site)))).logits();
                        INDArray overwritten = vit.run(Input.normalized(x), keep,
                                Map.of(site, Substitution.masked(other.get(site), everywhere))).logits();
                        double d = skipped.sub(overwritten).amaxNumber().doubleValue();
                        assertTrue(d <= 1e-5, ops + " " + site + " differs by " + d);
                    }
                }
            }
        }
    }

    @Test
    void aWhollyReplacedModuleIsNotComputedSoASubstitutionInsideItIsNeverApplied() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 22), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        Activations other = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)), Keep.all());
        for (int l : new int[] {0, CONFIG.layers() - 1}) {
            INDArray wrongShape = Nd4j.zeros(DataType.FLOAT, 1, 1, 1, 1);
            Map<Site, Substitution> subs = Map.of(Site.attnOut(l), Substitution.whole(other.get(Site.attnOut(l))),
                    Site.of(l, Site.Kind.Q), Substitution.whole(wrongShape),
                    Site.mlpOut(l), Substitution.whole(other.get(Site.mlpOut(l))),
                    Site.of(l, Site.Kind.MLP_POST), Substitution.whole(wrongShape));
            assertDoesNotThrow(() -> vit.run(Input.normalized(x), Keep.logitsOnly(), subs));
            // keeping a site inside the attention makes the run compute it, and so apply the bad substitution
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.run(Input.normalized(x), Keep.sites(Site.of(l, Site.Kind.LN1)), subs));
            assertTrue(e.getMessage().contains("blocks." + l + ".q"), e.getMessage());
        }
    }

    @Test
    void theRunRecordsTheSubstitutedArrayOfASkippedModule() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 23), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        INDArray source = vit.run(Input.normalized(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32)), Keep.all()).get(Site.attnOut(1));
        Activations a = vit.run(Input.normalized(x), Keep.sites(Site.attnOut(1), Site.residMid(1)),
                Map.of(Site.attnOut(1), Substitution.whole(source)));
        assertSame(source, a.get(Site.attnOut(1)));
        double d = a.get(Site.residMid(1)).sub(vit.run(Input.normalized(x), Keep.all()).get(Site.residPre(1)).add(source))
                .amaxNumber().doubleValue();
        assertTrue(d <= 1e-6, "resid_mid = resid_pre + the substituted attn_out, off by " + d);
    }

    @Test
    void aSkippedModulesSubstitutionOfTheWrongShapeOrTypeIsStillRefused() {
        Vit vit = new Vit(VitWeights.random(CONFIG, 24), KernelSet.configured());
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> vit.run(Input.normalized(x),
                Keep.logitsOnly(), Map.of(Site.mlpOut(1),
                        Substitution.whole(Nd4j.zeros(DataType.FLOAT, 2, CONFIG.tokens(), CONFIG.hiddenSize())))));
        assertTrue(shape.getMessage().contains("blocks.1.mlp_out") && shape.getMessage().contains("same batch size"),
                shape.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> vit.run(Input.normalized(x),
                Keep.logitsOnly(), Map.of(Site.attnOut(1),
                        Substitution.whole(Nd4j.zeros(DataType.DOUBLE, 1, CONFIG.tokens(), CONFIG.hiddenSize())))));
        assertTrue(type.getMessage().contains("DOUBLE") && type.getMessage().contains("castTo"), type.getMessage());
    }
}
