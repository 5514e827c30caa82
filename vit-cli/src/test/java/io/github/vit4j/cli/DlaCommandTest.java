package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code vit dla} on the CIFAR-10 model and test images 0..2 (batches of 2, so that a batch of one is run too): the
 * CSVs' parts add up to the model's own logits (within 1e-4 of the logit; the CSVs print 6 digits), the maps have
 * the shapes the help names, and SigLIP is refused saying why.
 */
class DlaCommandTest {

    @TempDir
    static Path dir;

    static CliRun run;

    @BeforeAll
    static void attributeThreeImages() {
        run = CliRun.of("dla", "--limit", "3", "--batch", "2", "--out", dir.toString());
    }

    static List<String[]> rows(String file) throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve(file));
        return lines.subList(1, lines.size()).stream().map(l -> l.split(",")).toList();
    }

    @Test
    void everyClassRowsPartsAddUpToTheModelsOwnLogit() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("image,class,label,logit,input,attention,mlp,bias",
                Files.readAllLines(dir.resolve("classes.csv")).get(0));
        Pretrained p = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        ImageSource.Batch b = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 3, p.preprocessing());
        INDArray logits = new Vit(p.weights()).logits(b.input());
        List<String[]> rows = rows("classes.csv");
        assertTrue(rows.size() >= 3 * 5, "y and the top 5 of each image: " + rows.size() + " rows");
        int[] first = new int[3];
        for (String[] r : rows) {
            int image = Integer.parseInt(r[0]);
            int k = Integer.parseInt(r[1]);
            double logit = Double.parseDouble(r[3]);
            double sum = Double.parseDouble(r[4]) + Double.parseDouble(r[5]) + Double.parseDouble(r[6])
                    + Double.parseDouble(r[7]);
            assertEquals(logits.getDouble(image, k), logit, 1e-4, "image " + image + " class " + k);
            assertEquals(logit, sum, 1e-4, "image " + image + " class " + k + ": parts " + String.join(",", r));
            first[image]++;
        }
        for (int image = 0; image < 3; image++) {
            assertTrue(first[image] >= 5, "image " + image + " has its classes");
            String at = Integer.toString(image);
            String[] yRow = rows.stream().filter(r -> r[0].equals(at)).findFirst().orElseThrow();
            assertEquals(b.labels()[image], Integer.parseInt(yRow[1]), "the image's label y comes first");
        }
    }

    @Test
    void headsAndLayersOfClassYAddUpToItsLogit() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        List<String[]> heads = rows("heads.csv");
        assertEquals(3 * 4 * 4, heads.size(), "3 images × 4 layers × 4 heads");
        List<String[]> layers = rows("layers.csv");
        assertEquals(3 * (1 + 2 * 4 + 1), layers.size(), "input, attn_out and mlp_out of 4 layers, bias");
        for (int image = 0; image < 3; image++) {
            String at = Integer.toString(image);
            double total = layers.stream().filter(r -> r[0].equals(at)).mapToDouble(r -> Double.parseDouble(r[3]))
                    .sum();
            String y = layers.stream().filter(r -> r[0].equals(at)).findFirst().orElseThrow()[1];
            String[] classRow = rows("classes.csv").stream().filter(r -> r[0].equals(at) && r[1].equals(y))
                    .findFirst().orElseThrow();
            assertEquals(Double.parseDouble(classRow[3]), total, 1e-4, "image " + image);
        }
    }

    @Test
    void theMapsHaveTheShapesTheHelpNamesAndTheirFiguresDecode() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        for (String image : new String[] {"0", "1", "2"}) {
            assertArrayEquals(new long[] {8, 8}, Npy.read(dir.resolve(image).resolve("dla-sources.npy")).shape());
            assertArrayEquals(new long[] {4, 4, 8, 8}, Npy.read(dir.resolve(image).resolve("dla-heads.npy")).shape());
            INDArray lens = Npy.read(dir.resolve(image).resolve("dla-lens.npy"));
            assertArrayEquals(new long[] {8, 8}, lens.shape());
            assertNotEquals(lens.minNumber().doubleValue(), lens.maxNumber().doubleValue(), "patches differ");
            for (String map : new String[] {"dla-sources", "dla-heads", "dla-lens"}) {
                assertNotNull(ImageIO.read(dir.resolve(image).resolve(map + ".png").toFile()), image + "/" + map);
            }
        }
    }

    @Test
    void siglipsAttentionPoolingIsRefusedSayingWhy() {
        CliRun siglip = CliRun.of("dla", "--model", SharedAssets.resolve("models/families/siglip-vision-tiny")
                .toString(), "--label", "0", "--limit", "1", "--out", dir.resolve("siglip").toString());
        assertNotEquals(0, siglip.exitCode(), siglip.toString());
        assertTrue(siglip.err().contains("attention probe"), siglip.toString());
    }
}
