package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.explain.Attack;
import io.github.vit4j.explain.RobustnessCurve;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttackCommandTest {

    @TempDir
    Path dir;

    @Test
    void theCurveOverBatchesIsTheLibrarysCurveOverAllImagesAtOnce() throws Exception {
        CliRun run = CliRun.of("attack", "--limit", "8", "--batch", "3", "--attack", "fgsm", "--eps", "1,4",
                "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        List<String> csv = Files.readAllLines(dir.resolve("robustness.csv"));
        assertEquals("epsilon,correct,images,accuracy", csv.get(0));
        assertEquals(4, csv.size(), "ε = 0 (clean), 1 and 4: " + csv);

        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        ImageSource.Batch all = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 8, model.preprocessing());
        List<RobustnessCurve.Point> curve = RobustnessCurve.of(new Vit(model.weights()), all, all.labels(),
                Attack.fgsm(8), 0, 1, 4);
        for (int k = 0; k < 3; k++) {
            String[] row = csv.get(k + 1).split(",");
            assertEquals(curve.get(k).epsilon(), Double.parseDouble(row[0]), 1e-9);
            assertEquals(Math.round(curve.get(k).accuracy() * 8), Integer.parseInt(row[1]), "correct at ε = " + row[0]);
        }
        assertNotNull(ImageIO.read(dir.resolve("robustness.png").toFile()));
        assertTrue(Files.readString(dir.resolve("robustness.svg")).contains("<svg"));
    }

    @Test
    void pgdAtEightLowersAccuracyBelowTheCleanAccuracy() throws Exception {
        CliRun run = CliRun.of("attack", "--limit", "8", "--eps", "8", "--pgd-steps", "5", "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        List<String> csv = Files.readAllLines(dir.resolve("robustness.csv"));
        int clean = Integer.parseInt(csv.get(1).split(",")[1]);
        int attacked = Integer.parseInt(csv.get(2).split(",")[1]);
        assertEquals(8, clean, "images 0..7 are all classified right: " + csv);
        assertTrue(attacked < clean, "PGD at 8/255: " + csv);
    }
}
