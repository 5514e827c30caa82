package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PillowResizeTest {

    @Test
    void aFourPixelRowHalvedBicubicallyAveragesOverTheStretchedKernel() {
        // 4 → 2 pixels: scale 2, so the bicubic kernel (a = −0.5, support 2) is stretched to support 4 and read at
        // (j − centre + 0.5) / 2. Output 0 has centre 1.0; inputs j = 0..3 sit at −0.25, 0.25, 0.75, 1.25:
        //   k(0.25) = (1.5·0.25 − 2.5)·0.25² + 1 = 0.8671875 = 111/128
        //   k(0.75) = (1.5·0.75 − 2.5)·0.75² + 1 = 0.2265625 =  29/128
        //   k(1.25) = (((1.25 − 5)·1.25 + 8)·1.25 − 4)·(−0.5) = −0.0703125 = −9/128
        // weights 111, 111, 29, −9 over their sum 242. Output 1 (centre 3.0) has them mirrored.
        //   out0 = (111·10 + 111·20 + 29·30 − 9·40) / 242 = 3840 / 242 = 15.87 → 16
        //   out1 = (−9·10 + 29·20 + 111·30 + 111·40) / 242 = 8260 / 242 = 34.13 → 34
        PillowResize.Taps taps = PillowResize.taps(4, 2, Resample.BICUBIC);
        assertArrayEquals(new double[] {111 / 242.0, 111 / 242.0, 29 / 242.0, -9 / 242.0},
                java.util.Arrays.copyOfRange(taps.weights(), 0, 4), 1e-15);
        assertEquals(0, taps.start()[1]);
        assertEquals(4, taps.count()[1]);

        byte[] out = PillowResize.resize(new byte[] {10, 20, 30, 40}, 1, 4, 1, 2, 1, Resample.BICUBIC);

        assertArrayEquals(new byte[] {16, 34}, out);
    }

    @Test
    void theFixedPointWeightsHave22FractionBitsRoundedAwayFromZero() {
        // 111/242 · 2^22 = 1923833.65… → 1923834; −9/242 · 2^22 = −155986.51… → −155987 (halves away from zero)
        int[] fixed = PillowResize.taps(4, 2, Resample.BICUBIC).fixed();
        assertEquals(1923834, fixed[0]);
        assertEquals(-155987, fixed[3]);
    }

    @Test
    void overshootIsClippedToTheByteRange() {
        // A step 0, 0, 255, 255 upscaled bicubically rings below 0 and above 255: the sums are clipped.
        byte[] out = PillowResize.resize(new byte[] {0, 0, (byte) 255, (byte) 255}, 1, 4, 1, 8, 1, Resample.BICUBIC);
        int min = 255;
        int max = 0;
        for (byte b : out) {
            min = Math.min(min, b & 0xFF);
            max = Math.max(max, b & 0xFF);
        }
        assertEquals(0, min);
        assertEquals(255, max);
    }

    @Test
    void everyFilterGivesPillowsBytesDownAndUp() {
        // Expected bytes from Pillow 9.4.0 (Debian python3-pil), made with:
        //   a[y, x, c] = (x*37 + y*91 + c*53 + x*y*7) % 256 for an 11×7 RGB image (uint8), then
        //   numpy.asarray(Image.fromarray(a, "RGB").resize((w, h), resample=code)).tobytes().hex()
        byte[] image = new byte[11 * 7 * 3];
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 11; x++) {
                for (int c = 0; c < 3; c++) {
                    image[(y * 11 + x) * 3 + c] = (byte) ((x * 37 + y * 91 + c * 53 + x * y * 7) % 256);
                }
            }
        }
        String[][] cases = {
            {"NEAREST", "4", "3", "87bcf10b40756398cde71c514b80b5f92e636da2d71b50850f4479e71c5177ace14f84b9"},
            {"NEAREST", "6", "9", "00356a4a7fb494c9fede1348285d9272a7dc5b90c5b3e81d0b40756398cdbbf02513487d5b90c5b3e81d0b40756398cdbbf02513487db6eb201c518682b7ece81d524e83b8b4e91e11467b85baeff92e636da2d7e1164b558abf6ca1d6ee235870a5daf2275c74a9def62b60c7fc31578cc1e71c5177ace1073c7197cc01c7fc31578cc1e71c5177ace1073c7197cc0122578cc0f52a5e93c8fc31669acf04386da2"},
            {"LANCZOS", "4", "3", "667f8f7d8992787c856e7f8f82897e92878387827e83877c6b9c7b85836d8d8e797e8160"},
            {"LANCZOS", "6", "9", "0c3d6c4681d5abebc3b34e26083c9063a5d43d92caad9d6c5b5780628fb89aa3726b457db8b88e94655a4a6b867a85a091b1a69d7d53ad7237465fafa1cca3ac663c4259a989d196265ca7a1d09fb85e5f5fa6a7b766353d5ea981ab88ac676c75a997b46b5977959bc77a5791b9587b6168917f74968c8043979ea7a74659927c64a774965d5586a69f6c8755647f6a578baf77a96a569b83cd765e948f50984a6d"},
            {"BILINEAR", "4", "3", "6d838e798690797e8875808b7b88828f8a8389827b7e837d7097788285718c8c78828465"},
            {"BILINEAR", "6", "9", "164b805186bb96cbbba4564627568b5c91c6558ab194917660708e77819f84997d715e84969a8c897c6e61778e837e94849d8f878071a080546171948fa79b9e6d615f749784b48934699e91bfa1b769666a9f9ca9644648679c7ea2819d7372829a8da675687a908fb181607faa69807c6e8f7c73918c835e9083989655659a746b9c718f6d668d968f678b607787625186a576ab67629787c0726291924e8c5473"},
            {"BICUBIC", "4", "3", "68828f7b8892787c86717f8c7f8780918b8489817a82857e6e9b7b82836e8d8e79808161"},
            {"BICUBIC", "6", "9", "0d41774c85caa2debfae523414478c609ad04a90c3a6966a5860876d87af92a5786f4b7ea5a791907462556f8b7f809d8ba997907a64b27c3f4e65a197bca1aa674c4c67a38cc98c2b61a099cba1b9636264a3a2b3643a3f65a481ab83a5656e7aa694b06e5c73949dc37f5785b3617e716c917971928e8550938ea09e4c61977466a27295625d899e9a648a5a6f87645085b077ac635c9a87c9715f92964d914974"},
            {"BOX", "4", "3", "568b967a858f756a9f707a8484807c87a0808a6a748d89856ba080788262a0958a727c5c"},
            {"BOX", "6", "9", "13487d5d92c794c9fecc8136164b806095ca71a6dbc97e330b40754d82b7a5da8f7d326771a6dbc97e330b40754d82b7a5da8f7d3267d0853a366ba082b7eccf8439356a9f9bd0852e6398a2d78cf92e635085bac4792e386da28dc2778f447970a5dad2873c5489bed68b406ba0557bb065e71c515388bd63984d73a85d6ba0557bb065e71c515388bd63984d73a85d4a7fb4689d525e93c8d58a3f73a85d91467b"},
            {"HAMMING", "4", "3", "658897767e95797a907a7786768285968f838a82767c808369977e807f6c91907d7e7e65"},
            {"HAMMING", "6", "9", "11467b5388bd97ccc8b849451f54896196cb6095c7ac9c51435b866e87b398bd72704779929c9b8e875c517090847b9b87b08482706fc28b3d4164948ab5b3bc56534974a597cb7d2c619694c8aac55668689dafbf5b3d3d6fa485b781aa4d6d7aa6a3c45e5b6995b4cf804a7cb064827d779d6b75928a935287819a9b4e6ca1626da278a75362819ba953845a789a5b477cae81b651659a96d2635f87a843884b7d"},
        };
        for (String[] c : cases) {
            int w = Integer.parseInt(c[1]);
            int h = Integer.parseInt(c[2]);
            byte[] out = PillowResize.resize(image, 3, 11, 7, w, h, Resample.valueOf(c[0]));
            assertEquals(c[3], HexFormat.of().formatHex(out), c[0] + " to " + w + "×" + h);
        }
    }

    @Test
    void aVeryTallImageIsResizedAlongColumnsFirstAsPillowSinceTwelveTwoDoes() {
        // 2 wide, 300 tall (more than 100 × its width) to 1 × 3: Pillow ≥ 12.2 resizes along columns first (its
        // Image.resize), then along rows. Each pass rounds to bytes, so the order shows in the result.
        byte[] tall = new byte[2 * 300];
        for (int y = 0; y < 300; y++) {
            tall[2 * y] = (byte) (y % 256);
            tall[2 * y + 1] = (byte) ((y * 7) % 256);
        }
        byte[] columnsFirst = PillowResize.resize(
                PillowResize.resize(tall, 1, 2, 300, 2, 3, Resample.LANCZOS), 1, 2, 3, 1, 3, Resample.LANCZOS);
        byte[] rowsFirst = PillowResize.resize(
                PillowResize.resize(tall, 1, 2, 300, 1, 300, Resample.LANCZOS), 1, 1, 300, 1, 3, Resample.LANCZOS);
        assertFalse(java.util.Arrays.equals(columnsFirst, rowsFirst), "the two orders round differently here");
        assertArrayEquals(columnsFirst, PillowResize.resize(tall, 1, 2, 300, 1, 3, Resample.LANCZOS));
    }

    @Test
    void theSameSizeIsACopyAndAnEmptyTargetIsRefused() {
        byte[] in = {1, 2, 3, 4, 5, 6};
        byte[] out = PillowResize.resize(in, 3, 2, 1, 2, 1, Resample.BICUBIC);
        assertArrayEquals(in, out);
        assertTrue(out != in);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PillowResize.resize(in, 3, 2, 1, 0, 1, Resample.BICUBIC));
        assertTrue(e.getMessage().contains("0×1"), e.getMessage());
    }

    @Test
    void resampleCodesArePillowsAndAnUnknownOneIsRefusedNamingTheKnownOnes() {
        assertEquals(Resample.NEAREST, Resample.ofCode(0));
        assertEquals(Resample.LANCZOS, Resample.ofCode(1));
        assertEquals(Resample.BILINEAR, Resample.ofCode(2));
        assertEquals(Resample.BICUBIC, Resample.ofCode(3));
        assertEquals(Resample.BOX, Resample.ofCode(4));
        assertEquals(Resample.HAMMING, Resample.ofCode(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Resample.ofCode(7));
        assertTrue(e.getMessage().startsWith("resample 7 is not one of Pillow's filters"), e.getMessage());
        assertTrue(e.getMessage().contains("3 (BICUBIC)"), e.getMessage());
    }
}
