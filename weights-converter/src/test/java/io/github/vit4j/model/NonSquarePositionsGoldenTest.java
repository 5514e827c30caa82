package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.model.kernels.KernelSet;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * dinov2-tiny (trained at 518 = 37 · 14) run on non-square inputs. Hugging Face has no stored reference for them, so
 * the expected positions come from a float64 re-implementation of {@code Dinov2Embeddings.interpolate_pos_encoding}
 * in torch 1.13 ({@code src/test/python/nonsquare_positions.py}, output pasted below): the 37×37 grid resized to
 * {@code (height / 14) × (width / 14)} with {@code interpolate(mode="bicubic", align_corners=False)}, without
 * antialiasing (DINOv2) and with it (DINOv2 with registers).
 */
class NonSquarePositionsGoldenTest {

    private static final int[][] CELLS = {{0, 0}, {0, 11}, {15, 0}, {15, 11}, {7, 5}, {3, 9}};

    /** 224×168 (16×12 patches), antialias=False; rows: CELLS, columns: channels 0..5. */
    private static final float[][] DINOV2_224_168 = {
        {4.92290407e-02f, 3.81072042e-03f, 4.48785717e-01f, 1.22685763e-01f, 1.11276982e-01f, 6.42893926e-01f},
        {7.44920434e-01f, -4.45515743e-01f, -3.07720420e-02f, -1.96178574e-03f, 2.58902673e-01f, -5.67559518e-01f},
        {1.20599040e-01f, 7.19486546e-01f, 2.20588220e-01f, 3.39203872e-01f, 3.19360335e-01f, -6.54720499e-01f},
        {8.09831237e-02f, -4.82771713e-01f, -1.74788027e-01f, 1.33682696e-01f, 3.61657753e-01f, 7.23020045e-02f},
        {6.40299944e-01f, 1.61256726e-01f, 2.28282682e-02f, 9.68971847e-02f, -1.69644170e-01f, -1.06778106e-01f},
        {1.83479898e-01f, 4.26765792e-01f, -5.27738042e-01f, -2.60330756e-01f, 4.40528615e-01f, -5.12356281e-01f},
    };

    /** 224×168, antialias=True (the registers model's call). */
    private static final float[][] REGISTERS_224_168 = {
        {1.81481843e-02f, 3.66565979e-02f, 2.39596856e-01f, 1.24336414e-01f, -2.93517289e-02f, -2.85146844e-02f},
        {3.87970441e-01f, -2.40112816e-02f, 5.37755303e-02f, -1.62256015e-01f, -1.19284992e-01f, -1.44531743e-01f},
        {3.01791393e-01f, 1.42959394e-01f, 1.87729417e-01f, 6.01388265e-02f, 3.72001387e-02f, -3.42068349e-01f},
        {1.12803005e-01f, -2.09801196e-01f, -2.49572522e-01f, -1.31733337e-02f, 1.08253521e-01f, -7.27621532e-02f},
        {-9.90666846e-02f, -1.69587083e-01f, 8.36289809e-03f, 2.58167440e-01f, 5.47759909e-02f, 3.02561193e-02f},
        {1.69678254e-01f, 4.05332121e-02f, -2.10897349e-01f, 9.98462130e-04f, 1.90665522e-01f, -5.68137267e-02f},
    };

    /** 588×224 (42×16 patches: taller than trained, narrower), antialias=False. */
    private static final float[][] DINOV2_588_224 = {
        {-6.49048507e-02f, -1.21441142e-01f, 3.36564774e-01f, 7.95532324e-01f, -2.65185975e-01f, -1.55866626e-01f},
        {-5.08330197e-01f, 5.55382695e-02f, 2.75180173e-01f, -2.79242225e-01f, 9.95448600e-02f, 3.78121627e-01f},
        {1.72594043e-01f, -1.64474190e-01f, 2.25227758e-01f, 2.64258220e-01f, 6.33142510e-01f, -6.72366582e-02f},
        {-6.90311497e-01f, 3.02358587e-01f, -9.89342518e-02f, -3.04475355e-01f, 3.84223877e-01f, 3.79820701e-01f},
        {-4.04986251e-01f, -5.06646758e-01f, -2.86247827e-01f, 3.13473704e-01f, 1.21645967e-01f, -6.15504050e-02f},
        {8.35676447e-01f, -1.62113093e-01f, -2.51655637e-01f, -2.75400581e-01f, 3.53702316e-01f, -4.04527632e-01f},
    };

    private static VitWeights dinov2Tiny() throws IOException {
        return ModelLoader.load(SharedAssets.resolve("models/families/dinov2-tiny")).weights();
    }

    @Test
    void theModelAt224By168AddsTheTorchPositionsToItsPatches() throws IOException {
        VitWeights w = dinov2Tiny().withImageSize(224, 168);
        assertEquals(16, w.config().gridHeight());
        assertEquals(12, w.config().gridWidth());
        // resid_pre of block 0 = [CLS, embed] + positions: what the model added is resid_pre[:, 1:] − embed
        INDArray pixels = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 168).subi(0.5);
        INDArray added;
        try (Activations run = new Vit(w, KernelSet.configured()).run(Input.normalized(pixels),
                Keep.sites(Site.embed(), Site.residPre(0)))) {
            added = run.get(Site.residPre(0)).slice(0).get(NDArrayIndex.interval(1, 1 + 192), NDArrayIndex.all())
                    .sub(run.get(Site.embed()).slice(0));
        }
        assertCells(DINOV2_224_168, added, 12, 1e-5);   // float32 sums of ~1 around the exact values
    }

    @Test
    void thePositionTablesMatchTorchForBothAntialiasSettingsAndATallerInput() throws IOException {
        VitWeights w = dinov2Tiny();
        assertCells(DINOV2_224_168, grid(TokenTable.of(w.withImageSize(224, 168))), 12, 1e-6);
        assertCells(DINOV2_588_224, grid(TokenTable.of(w.withImageSize(588, 224))), 16, 1e-6);
        INDArray antialiased = PositionGrid.forInput(w.posEmbed(), 14, 224, 168, true);
        assertCells(REGISTERS_224_168, grid(new TokenTable(null, antialiased)), 12, 1e-6);
        for (int[] size : new int[][] {{224, 168}, {588, 224}}) {
            assertEquals(PositionGrid.forInput(w.posEmbed(), 14, size[0], size[1], false),
                    TokenTable.of(w.withImageSize(size[0], size[1])).positions(), size[0] + "×" + size[1]);
        }
    }

    @Test
    void atItsSquareSize224NothingChanges() throws IOException {
        VitWeights w = dinov2Tiny();
        assertEquals(w.config(), w.config().withImageSize(224, 224));
        INDArray pixels = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224).subi(0.5);
        assertEquals(new Vit(w, KernelSet.PLAIN).logits(Input.normalized(pixels)),
                new Vit(w.withImageSize(224, 224), KernelSet.PLAIN).logits(Input.normalized(pixels)));
    }

    /** The patch rows of the table (after the CLS row). */
    private static INDArray grid(TokenTable table) {
        INDArray p = table.positions();
        return p.get(NDArrayIndex.interval(1, p.size(0)), NDArrayIndex.all());
    }

    private static void assertCells(float[][] expected, INDArray rows, int gridWidth, double tolerance) {
        for (int i = 0; i < CELLS.length; i++) {
            INDArray row = rows.getRow((long) CELLS[i][0] * gridWidth + CELLS[i][1]);
            float[] actual = row.get(NDArrayIndex.interval(0, 6)).toFloatVector();
            for (int c = 0; c < 6; c++) {
                assertTrue(Math.abs(actual[c] - expected[i][c]) <= tolerance, "cell " + CELLS[i][0] + "," + CELLS[i][1]
                        + " channel " + c + ": " + actual[c] + ", torch " + expected[i][c]);
            }
        }
        assertArrayEquals(new long[] {rows.size(0), 64}, rows.shape());
    }
}
