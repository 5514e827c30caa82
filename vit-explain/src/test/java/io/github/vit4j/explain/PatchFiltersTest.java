package io.github.vit4j.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The real CIFAR-10 model's 128 patch-embedding filters (3×4×4 each) as tiles, a grid and k-means groups. */
class PatchFiltersTest {

    @TempDir
    Path dir;

    @Test
    void eachTileIsItsFilterScaledToZeroOneOnItsOwnInPixelOrder() {
        PatchFilters filters = PatchFilters.of(Cifar.pretrained().weights());
        INDArray tiles = filters.tiles();
        assertArrayEquals(new long[] {128, 4, 4, 3}, tiles.shape());
        INDArray w = Cifar.pretrained().weights().patchEmbed().weight();                        // [128, 3·4·4]
        for (int f : new int[] {0, 77}) {
            float[] raw = w.getRow(f).toFloatVector();
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : raw) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            // channel 2 (blue), row 1, column 3 is element (2·4 + 1)·4 + 3 = 39 of PyTorch's flattened conv weight
            assertEquals((raw[39] - min) / (max - min), tiles.getFloat(f, 1, 3, 2), 1e-6f);
            assertEquals(0f, tiles.get(org.nd4j.linalg.indexing.NDArrayIndex.point(f)).minNumber().floatValue());
            assertEquals(1f, tiles.get(org.nd4j.linalg.indexing.NDArrayIndex.point(f)).maxNumber().floatValue());
        }
    }

    @Test
    void theGridAndTheClusterPictureHoldEveryTileOnceAndWriteAsPng() throws Exception {
        PatchFilters filters = PatchFilters.of(Cifar.pretrained().weights());
        INDArray grid = filters.grid(16);
        assertArrayEquals(new long[] {8 * 5 + 1, 16 * 5 + 1, 3}, grid.shape(), "8 rows of 16 tiles, 1-px lines");
        assertEquals(filters.tiles().getFloat(17, 2, 1, 0), grid.getFloat(1 + 5 + 2, 1 + 5 + 1, 0), 0f,
                "filter 17 is row 1, column 1");

        KMeans.Result groups = filters.clusters(KMeans.of(4));
        assertEquals(128, Arrays.stream(groups.sizes()).sum());
        INDArray picture = filters.clusterImage(groups);
        int columns = (int) Math.ceil(Math.sqrt(128 / 4.0));                                    // 6 per group
        int rows = (groups.sizes()[0] + columns - 1) / columns;                                  // the largest group's
        assertArrayEquals(new long[] {rows * 5 + 1, 4 * (columns * 5 + 1) + 3 * 4, 3}, picture.shape());
        int first = groups.members(0)[0];
        assertEquals(filters.tiles().getFloat(first, 0, 0, 1), picture.getFloat(1, 1, 1), 0f,
                "the largest group's first filter at the top left");

        Path png = dir.resolve("filters.png");
        Pictures.writePng(picture, png);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(picture.size(1), back.getWidth());
        assertEquals(picture.size(0), back.getHeight());
    }
}
