package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.NpzEntries;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.SafetensorsTensors;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class PositionGridGoldenTest {

    @Test
    void dinov2TinysPositionsFor37By37PatchesResizedTo16By16AreWhatItsReferenceAdds() throws IOException {
        // dinov2-tiny was trained at 518 = 37 · 14; its reference runs 224-pixel images (16 × 16 patches), so
        // Hugging Face interpolates the 37×37 table bicubically (align_corners false, no antialias) to 16×16.
        // In the reference, blocks.0.resid_pre = [CLS, patches] + positions and embed = the patch tokens before
        // them, so resid_pre[:, 1:] − embed is the interpolated table, once per image.
        Path model = SharedAssets.resolve("models/families/dinov2-tiny/model.safetensors");
        Path reference = SharedAssets.resolve("reference/families/dinov2-tiny/reference.npz");
        INDArray table = SafetensorsTensors.load(model, "dinov2.embeddings.position_embeddings");
        INDArray residPre = NpzEntries.read(reference, "blocks.0.resid_pre").castTo(DataType.DOUBLE);
        INDArray embed = NpzEntries.read(reference, "embed").castTo(DataType.DOUBLE);

        INDArray square = table.reshape(table.size(1), table.size(2));
        INDArray positions = PositionGrid.forInput(square, 14, 224, 224, false);
        INDArray antialiased = PositionGrid.forInput(square, 14, 224, 224, true)
                .get(NDArrayIndex.interval(1, 257), NDArrayIndex.all()).castTo(DataType.DOUBLE);

        assertArrayEquals(new long[] {1 + 256, 64}, positions.shape());
        INDArray grid = positions.get(NDArrayIndex.interval(1, 257), NDArrayIndex.all()).castTo(DataType.DOUBLE);
        for (int image = 0; image < residPre.size(0); image++) {
            INDArray added = residPre.slice(image).get(NDArrayIndex.interval(1, 257), NDArrayIndex.all())
                    .sub(embed.slice(image));
            double largest = added.amaxNumber().doubleValue();
            double worst = grid.sub(added).amaxNumber().doubleValue();
            // observed: at most 4.8e-7 of 1.85 (float32 storage of the reference sites and their difference)
            assertTrue(worst <= 1e-5 * largest, "image " + image + ": differs by " + worst + " of " + largest);
            double aa = antialiased.sub(added).amaxNumber().doubleValue();      // 1.55: the test tells them apart
            assertTrue(aa > 0.1 * largest, "antialiased positions differ by only " + aa);
        }
    }
}
