package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PositionGridTest {

    @Test
    void aTwoByTwoGridResizedToThreeByThreeBicubicallyByHand() {
        // One channel, grid [[0, 288], [576, 864]]. Each axis maps output i to s = (i + 0.5) · 2/3 − 0.5:
        // −1/6, 1/2, 7/6. Keys' kernel with A = −0.75: w(x) = 1.25|x|³ − 2.25|x|² + 1 (|x| ≤ 1),
        // −0.75|x|³ + 3.75|x|² − 6|x| + 3 (1 < |x| < 2).
        //   i = 0: floor −1, t = 5/6, taps −2, −1, 0, 1 clamped to 0, 0, 0, 1; w(7/6) = −25/288 on index 1,
        //          the other three sum to 313/288 on index 0: weights (313, −25) / 288
        //   i = 1: floor 0, t = 1/2, taps 0, 0, 1, 1: w(3/2) = −3/32, w(1/2) = 19/32: weights (1/2, 1/2)
        //   i = 2: mirror of i = 0: weights (−25, 313) / 288
        // Along columns: row [0, 288] → [−25, 144, 313]; row [576, 864] → [551, 720, 889].
        // Along rows: top = (313 · upper − 25 · lower) / 288 = [−75, 94, 263]; middle = mean = [263, 432, 601];
        // bottom = (−25 · upper + 313 · lower) / 288 = [601, 770, 939].
        // (torch.nn.functional.interpolate(..., size=(3, 3), mode="bicubic", align_corners=False) agrees.)
        INDArray grid = Nd4j.createFromArray(new float[][] {{0}, {288}, {576}, {864}});

        INDArray out = PositionGrid.resize(grid, 2, 2, 3, 3, false);

        assertArrayEquals(new long[] {9, 1}, out.shape());
        assertArrayEquals(new float[] {-75, 94, 263, 263, 432, 601, 601, 770, 939}, out.data().asFloat(), 1e-4f);
    }

    @Test
    void antialiasedShrinkingStretchesTheKernelAsPillowDoes() {
        // A 1×4 grid [10, 20, 30, 40] to 1×2 with antialias: scale 2, kernel a = −0.5 stretched to support 4.
        // Output 0 (centre 1.0) reads inputs 0..3 at (j − 1 + 0.5) / 2 = −0.25, 0.25, 0.75, 1.25:
        // w = 111/128, 111/128, 29/128, −9/128 (e.g. w(0.25) = (1.5 · 0.25 − 2.5) · 0.25² + 1), over their sum
        // 242/128: out0 = (111·10 + 111·20 + 29·30 − 9·40) / 242 = 3840/242 = 15.8678; out1 mirrored: 8260/242.
        INDArray row = Nd4j.createFromArray(new float[][] {{10}, {20}, {30}, {40}});

        INDArray out = PositionGrid.resize(row, 1, 4, 1, 2, true);

        assertArrayEquals(new float[] {3840 / 242f, 8260 / 242f}, out.data().asFloat(), 1e-5f);
        // without antialiasing only the taps near s = 0.5 and 2.5 count: 4 taps of A = −0.75 at t = 1/2
        INDArray plain = PositionGrid.resize(row, 1, 4, 1, 2, false);
        assertArrayEquals(new float[] {
            10 * (-3 / 32f + 19 / 32f) + 20 * 19 / 32f + 30 * (-3 / 32f),
            20 * (-3 / 32f) + 30 * 19 / 32f + 40 * (19 / 32f - 3 / 32f)}, plain.data().asFloat(), 1e-4f);
    }

    @Test
    void torchsNumbersForShrinkingAndGrowingWithAndWithoutAntialias() {
        // Expected values from torch 1.13.0 (Debian python3-torch), rounded to 7 significant digits:
        //   x[0, c, y, x] = ((y*w + x)*3 + c) % 7 - 3 + 0.25*c   (float32, D = 2)
        //   F.interpolate(x, size=(th, tw), mode="bicubic", align_corners=False, antialias=aa)[0]
        //       .permute(1, 2, 0).reshape(-1)
        assertTorch(5, 5, 3, 2, false, new float[] {-0.5044122f, 1.251447f, -0.1623986f, 1.006077f, 1.742188f,
            2.992188f, 0.4101562f, 1.660156f, -0.7325662f, -1.761213f, 2.150897f, -0.8145975f});
        assertTorch(5, 5, 3, 2, true, new float[] {-0.7637994f, -0.3063312f, 0.8231246f, 0.01564909f, 0.1283876f,
            0.7851354f, -0.5611268f, 0.210236f, 0.0803706f, -0.09369338f, 0.4371863f, -0.02995486f});
        // growing with antialias still uses the a = −0.5 kernel, not A = −0.75: the two differ
        float[] up = {-3.418722f, -2.168722f, -2.304535f, -0.710964f, -0.1923074f, 1.057693f, 2.326779f, -1.404994f,
            3.757981f, -3.244194f, -3.05906f, -1.80906f, -1.857816f, -0.3239033f, 0.2299169f, 1.479917f, 1.848803f,
            -1.017934f, 2.684733f, -2.884532f, -2.275388f, -1.025388f, -0.7364907f, 0.6515588f, 1.451523f, 2.701523f,
            0.7092442f, -0.042472f, -0.03507006f, -2.100859f, -1.226415f, 0.02358501f, 0.2313434f, 1.481343f, 2.0f,
            3.25f, -0.4626872f, 0.7873127f, -2.301887f, -1.051887f, 0.02012216f, 1.270122f, 0.0465951f, 1.275758f,
            -0.06925219f, 1.180748f, -0.9704179f, 0.5817275f, -1.555845f, 0.1946504f, 1.080385f, 2.330385f,
            -0.4456941f, 0.8017012f, -2.512466f, -1.262466f, -1.180096f, 0.1076719f, -0.05764901f, 1.254913f,
            1.544992f, 2.794992f, -0.6112227f, 0.6387772f, -3.480769f, -2.230769f, -1.305252f, -0.05525186f,
            0.4695207f, 1.719521f};
        assertTorch(3, 3, 7, 5, true, up);
        float[] upPlain = {-3.506659f, -2.256659f, -2.325759f, -0.5166585f, -0.2186582f, 1.031341f, 2.301708f,
            -1.200659f, 3.908116f, -3.352659f, -3.081072f, -1.831071f, -1.733031f, -0.04001138f, 0.3075787f, 1.557579f,
            1.791661f, -0.7240123f, 2.566683f, -2.927072f, -2.408092f, -1.158092f, -0.471194f, 0.9903967f, 1.685131f,
            2.93513f, 0.8549256f, 0.3063963f, -0.2831963f, -2.254092f, -1.288f, -0.03799984f, 0.452f, 1.702f, 2.0f,
            3.25f, -0.2320005f, 1.018f, -2.384f, -1.134f, 0.0436844f, 1.293684f, 0.2026234f, 1.399725f, 0.1107877f,
            1.360788f, -0.9839061f, 0.715726f, -1.857539f, 0.1976845f, 1.086948f, 2.336949f, -0.5875407f, 0.6558477f,
            -2.368804f, -1.118803f, -1.334354f, -0.02815149f, -0.1097011f, 1.240948f, 1.676128f, 2.926129f,
            -0.9013824f, 0.3486175f, -3.546648f, -2.296648f, -1.585382f, -0.3353812f, 0.5801283f, 1.830129f};
        assertTorch(3, 3, 7, 5, false, upPlain);
    }

    @Test
    void huggingFacesCallKeepsTheClsRowAndSkipsASquareInputOfTheTrainedGrid() {
        INDArray table = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1 + 9, 4);
        assertEquals(table, PositionGrid.forInput(table, 14, 42, 42, false), "3×3 patches of a 42×42 input");
        INDArray wide = PositionGrid.forInput(table, 14, 28, 56, true);
        assertArrayEquals(new long[] {1 + 2 * 4, 4}, wide.shape());
        assertEquals(table.getRow(0), wide.getRow(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PositionGrid.forInput(table, 14, 40, 42, false));
        assertTrue(e.getMessage().startsWith("patch 14 does not divide the 40×42 input"), e.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> PositionGrid.resize(table, 3, 4, 2, 2, false));
        assertTrue(shape.getMessage().contains("[3·4 = 12, D] for a 3×4 grid, got [10, 4]"), shape.getMessage());
    }

    private static void assertTorch(int h, int w, int th, int tw, boolean antialias, float[] expected) {
        float[][] grid = new float[h * w][2];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 2; c++) {
                    grid[y * w + x][c] = ((y * w + x) * 3 + c) % 7 - 3 + 0.25f * c;
                }
            }
        }
        INDArray out = PositionGrid.resize(Nd4j.createFromArray(grid), h, w, th, tw, antialias);
        assertArrayEquals(new long[] {th * tw, 2}, out.shape());
        // torch's float32 weights and sums differ from the double arithmetic here by up to 2.4e-6 (values to 3.9)
        assertArrayEquals(expected, out.data().asFloat(), 5e-6f,
                h + "×" + w + " to " + th + "×" + tw + (antialias ? " antialiased" : ""));
    }

    @Test
    void aConfigWhoseTrainedGridIsTheSquareInputsIsTheSameConfigAsOneNamingNoGrid() {
        java.util.List<String> labels = VitConfig.numberedLabels(16);
        VitConfig named = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, labels, Architecture.dinov2(0, 2));
        VitConfig input = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, labels, Architecture.dinov2(0, 0));
        assertEquals(input, named);
        assertEquals(input.toString(), named.toString(), "what trace folders record");
        assertEquals(input.hashCode(), named.hashCode());
        assertEquals(2, named.positionGrid());
        VitConfig other = new VitConfig(8, 4, 3, 16, 2, 2, 32, 1e-6, labels, Architecture.dinov2(0, 3));
        assertEquals(3, other.architecture().positionGrid(), "another trained grid is kept");
        assertEquals(input, input.withImageSize(8, 12).withImageSize(8, 8), "back at the trained size");
    }
}
