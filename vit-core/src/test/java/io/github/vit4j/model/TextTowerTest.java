package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.model.kernels.KernelSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CLIP's text tower: a causal attention pattern and the end-of-text pooling rule worked by hand, and the properties
 * a text run must have (padding never reaches the pooled row, every site a site, bad ids refused). The golden test
 * against Hugging Face's CLIPModel is weights-converter's {@code ClipGoldenTest}.
 */
class TextTowerTest {

    private static final Architecture.Activation QUICK = Architecture.Activation.QUICK_GELU;

    /** OpenAI's vocabulary and end-of-text id, width 8 (pooling is a matter of ids only). */
    private static final TextConfig OPENAI = new TextConfig(49408, 77, 8, 1, 1, 8, 1e-5, QUICK, 4, 49407);

    /** A tiny tower: 16 tokens (end-of-text 15), 7 positions, width 8, 2 layers of 2 heads, MLP 16, projection 4. */
    private static final TextConfig SMALL = new TextConfig(16, 7, 8, 2, 2, 16, 1e-5, QUICK, 4, 15);

    @Test
    void aThreeTokenCausalPatternWithOneHeadIsWhatAPencilGives() {
        // One head of width 1, q, k and v set by hand through substitutions: scores q_i·k_j/√1 with
        // q = (1, 1, 1) and k = (0, ln 3, ln 2). Token 0 sees itself only: (1, 0, 0). Token 1 sees e^0 and e^ln3, 1
        // and 3: (1/4, 3/4, 0). Token 2 sees 1, 3 and 2: (1/6, 3/6, 2/6). Above the diagonal the mask makes −∞, so 0.
        // With v = (6, 12, 0): z = (6, 6/4 + 36/4, 6/6 + 36/6 + 0) = (6, 10.5, 7).
        TextConfig config = new TextConfig(4, 3, 1, 1, 1, 1, 1e-5, QUICK, 0, 3);
        TextWeights w = TextWeights.random(config, 1);
        Map<Site, Substitution> byHand = Map.of(
                Site.q(0), Substitution.whole(column(1, 1, 1)),
                Site.k(0), Substitution.whole(column(0, Math.log(3), Math.log(2))),
                Site.v(0), Substitution.whole(column(6, 12, 0)));
        long[][] ids = {{0, 1, 3}};
        try (Activations run = new TextTower(w, KernelSet.PLAIN).run(ids, Keep.all(), byHand)) {
            INDArray pattern = run.get(Site.pattern(0)).reshape(3, 3);
            double[][] pencil = {{1, 0, 0}, {0.25, 0.75, 0}, {1 / 6.0, 3 / 6.0, 2 / 6.0}};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(pencil[i][j], pattern.getDouble(i, j), 1e-6, "pattern[" + i + "][" + j + "]");
                }
            }
            assertEquals(0.0, pattern.getDouble(0, 1), "masked: exactly 0");
            assertEquals(0.0, pattern.getDouble(0, 2), "masked: exactly 0");
            assertEquals(0.0, pattern.getDouble(1, 2), "masked: exactly 0");
            assertArrayEquals(new double[] {6, 10.5, 7}, run.get(Site.z(0)).reshape(3).toDoubleVector(), 1e-5);
        }
    }

    @Test
    void theFastKernelsGiveTheSamePatternWithTheMaskedWeightsBelowTwoTimesTenToTheMinusThirtyEight() {
        TextWeights w = TextWeights.random(SMALL, 2);
        long[][] ids = {{3, 4, 15, 0, 0, 0, 0}, {1, 2, 5, 6, 7, 15, 9}};
        try (Activations plain = new TextTower(w, KernelSet.PLAIN).run(ids, Keep.all());
             Activations fast = new TextTower(w, KernelSet.configured()).run(ids, Keep.all())) {
            for (Site s : SMALL.sites()) {
                INDArray a = plain.get(s);
                double scale = Math.max(1e-3, a.amaxNumber().doubleValue());
                double diff = a.sub(fast.get(s)).amaxNumber().doubleValue();
                assertTrue(diff <= 1e-5 * scale, s + " differs by " + diff + " of " + scale);
            }
            INDArray pattern = fast.get(Site.pattern(1));                                       // [2, 2, 7, 7]
            for (int i = 0; i < 7; i++) {
                for (int j = i + 1; j < 7; j++) {
                    assertTrue(pattern.getDouble(1, 1, i, j) < 2e-38, "pattern[1, 1, " + i + ", " + j + "]");
                }
            }
        }
    }

    @Test
    void theTowerPoolsAtTheFirstEndOfTextTokenOfAPaddedRowAsHuggingFaceDoes() {
        // OpenAI's clip.tokenize pads with 0; Hugging Face's tokenizer pads with end-of-text itself: the first wins.
        assertEquals(3, OPENAI.poolIndex(new long[] {49406, 320, 1125, 49407, 0, 0, 0}));
        assertEquals(2, OPENAI.poolIndex(new long[] {49406, 320, 49407, 49407, 49407}));
        // Older Hugging Face configs state end-of-text 2; then the row's largest id, the first if repeated.
        TextConfig legacy = new TextConfig(49408, 77, 8, 1, 1, 8, 1e-5, QUICK, 4, TextConfig.LEGACY_EOS_TOKEN_ID);
        assertEquals(2, legacy.poolIndex(new long[] {49406, 320, 49407, 0, 0}));
        assertEquals(2, legacy.poolIndex(new long[] {49406, 320, 49407, 49407, 49407}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OPENAI.poolIndex(new long[] {49406, 320, 1125, 0}));
        assertTrue(e.getMessage().contains("49407"), e.getMessage());
    }

    @Test
    void pooledIsTheFinalLayerNormRowAtTheEndOfTextTokenAndTextEmbedsItsProjection() {
        TextWeights w = TextWeights.random(SMALL, 3);
        long[][] ids = {{3, 4, 15, 0, 0, 0, 0}, {1, 2, 5, 6, 15, 15, 15}};
        try (Activations run = new TextTower(w, KernelSet.PLAIN).run(ids, Keep.all())) {
            INDArray lnFinal = run.get(Site.lnFinal());
            INDArray pooled = run.get(Site.pooled());
            assertArrayEquals(lnFinal.slice(0).getRow(2).toFloatVector(), pooled.getRow(0).toFloatVector());
            assertArrayEquals(lnFinal.slice(1).getRow(4).toFloatVector(), pooled.getRow(1).toFloatVector());
            INDArray byHand = pooled.mmul(w.projection().transpose());                            // [2, 4]
            assertArrayEquals(byHand.ravel().toFloatVector(), run.get(Site.textEmbeds()).ravel().toFloatVector(),
                    1e-6f);
            assertEquals(run.get(Site.textEmbeds()), run.logits());
            // embed = token_embedding[id] + pos_embed[position], what block 0 reads
            float want = w.tokenEmbedding().getFloat(5, 3) + w.posEmbed().getFloat(2, 3);
            assertEquals(want, run.get(Site.embed()).getFloat(1, 2, 3));
            assertEquals(run.get(Site.embed()), run.get(Site.residPre(0)));
            assertEquals(SMALL.sites(), run.sites().stream().toList());
        }
    }

    @Test
    void whatComesAfterTheEndOfTextTokenNeverChangesThePromptsEmbedding() {
        TextTower tower = new TextTower(TextWeights.random(SMALL, 4), KernelSet.PLAIN);
        INDArray zeros = tower.textEmbeds(new long[][] {{3, 4, 15, 0, 0, 0, 0}});
        INDArray other = tower.textEmbeds(new long[][] {{3, 4, 15, 9, 15, 2, 7}});
        assertArrayEquals(zeros.ravel().toFloatVector(), other.ravel().toFloatVector(),
                "bit for bit: the mask gives them weight 0");
        INDArray shorter = tower.textEmbeds(new long[][] {{3, 4, 15}});
        assertArrayEquals(zeros.ravel().toFloatVector(), shorter.ravel().toFloatVector(), 1e-6f);
    }

    @Test
    void patchingOnePromptsResidualStreamIntoAnothersRunGivesTheOthersEmbeddingAsInAnImageRun() {
        TextTower tower = new TextTower(TextWeights.random(SMALL, 7), KernelSet.PLAIN);
        long[][] a = {{3, 4, 15, 0, 0, 0, 0}};
        long[][] b = {{9, 8, 15, 0, 0, 0, 0}};
        try (Activations source = tower.run(b, Keep.sites(Site.residPost(0)));
             Activations patched = tower.run(a, Keep.sites(Site.residPre(1)),
                     Map.of(Site.residPost(0), Substitution.whole(source.get(Site.residPost(0)))))) {
            assertEquals(source.get(Site.residPost(0)), patched.get(Site.residPre(1)));
            assertArrayEquals(tower.textEmbeds(b).ravel().toFloatVector(), patched.logits().ravel().toFloatVector());
        }
        INDArray onlyToken1 = Nd4j.zeros(DataType.FLOAT, 1, 7, 1);
        onlyToken1.putScalar(0, 1, 0, 1);
        try (Activations source = tower.run(b, Keep.sites(Site.embed()));
             Activations patched = tower.run(a, Keep.sites(Site.embed()), Map.of(Site.embed(),
                     Substitution.masked(source.get(Site.embed()), onlyToken1)))) {
            INDArray embed = patched.get(Site.embed());
            assertEquals(source.get(Site.embed()).slice(0).getRow(1), embed.slice(0).getRow(1), "token 1 from b");
            assertEquals(tower.run(a, Keep.sites(Site.embed())).get(Site.embed()).slice(0).getRow(0),
                    embed.slice(0).getRow(0), "token 0 still a's");
        }
    }

    @Test
    void aRowWithoutEndOfTextAnIdOutsideTheVocabularyOrRaggedRowsAreRefusedNamingTheRow() {
        TextTower tower = new TextTower(TextWeights.random(SMALL, 5), KernelSet.PLAIN);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> tower.textEmbeds(new long[][] {{3, 4, 15}, {3, 4, 5}}));
        assertTrue(none.getMessage().startsWith("row 1: ") && none.getMessage().contains("15"), none.getMessage());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> tower.textEmbeds(new long[][] {{3, 16, 15}}));
        assertTrue(outside.getMessage().contains("token id 16 at row 0, position 1"), outside.getMessage());
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> tower.textEmbeds(new long[][] {{3, 15}, {3, 4, 15}}));
        assertTrue(ragged.getMessage().contains("row 1"), ragged.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> tower.textEmbeds(new long[][] {new long[8]}));
        assertTrue(tooLong.getMessage().contains("1..7"), tooLong.getMessage());
    }

    @Test
    void aSiteOnlyImageRunsHaveOrABlockPastTheLastIsRefused() {
        TextTower tower = new TextTower(TextWeights.random(SMALL, 6), KernelSet.PLAIN);
        long[][] ids = {{3, 15}};
        IllegalArgumentException image = assertThrows(IllegalArgumentException.class,
                () -> tower.run(ids, Keep.sites(Site.embedLn())));
        assertTrue(image.getMessage().contains("embed_ln"), image.getMessage());
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                () -> tower.run(ids, Keep.logitsOnly(), Map.of(Site.residPost(2),
                        Substitution.whole(Nd4j.zeros(DataType.FLOAT, 1, 2, 8)))));
        assertTrue(past.getMessage().contains("blocks.2.resid_post"), past.getMessage());
    }

    @Test
    void aConfigOutOfRangeIsRefusedNamingTheValue() {
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> new TextConfig(16, 7, 10, 1, 3, 16, 1e-5, QUICK, 4, 15));
        assertTrue(heads.getMessage().contains("hiddenSize 10 is not divisible by heads 3"), heads.getMessage());
        IllegalArgumentException eos = assertThrows(IllegalArgumentException.class,
                () -> new TextConfig(16, 7, 8, 1, 1, 16, 1e-5, QUICK, 4, 16));
        assertTrue(eos.getMessage().contains("eosTokenId 16"), eos.getMessage());
    }

    /** {@code [1, 1, 3, 1]}: one prompt, one head, three tokens of width 1. */
    private static INDArray column(double... values) {
        return Nd4j.createFromArray(values).castTo(DataType.FLOAT).reshape(1, 1, 3, 1);
    }
}
