package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.explain.Faithfulness;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code vit faithfulness} on the CIFAR-10 model, test images 0 and 1 (batches of 1, so that two batches run),
 * saliency and rollout, every metric, S = 4: the CSVs' shapes, deletion starting at the clean probability of the
 * image's label, each AUC the trapezoid of its curve's rows, and the curves those of the library on the maps of
 * {@code vit explain}'s methods. The CSVs print 9 significant digits: tolerance 1e-7.
 */
class FaithfulnessCommandTest {

    static final List<String> METRICS = List.of("deletion", "insertion", "road-morf", "road-lerf");

    @TempDir
    static Path dir;

    static CliRun run;

    @BeforeAll
    static void measureTwoImages() {
        run = CliRun.of("faithfulness", "--limit", "2", "--batch", "1", "--methods", "saliency,rollout", "--metrics",
                "deletion,insertion,road", "--steps", "4", "--out", dir.toString());
    }

    static List<String[]> rows(String file, String header) throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve(file));
        assertEquals(header, lines.get(0), file);
        return lines.subList(1, lines.size()).stream().map(l -> l.split(",")).toList();
    }

    static double[] curve(List<String[]> curves, int image, String method, String metric) {
        return curves.stream().filter(r -> r[0].equals(Integer.toString(image)) && r[1].equals(method)
                && r[2].equals(metric)).mapToDouble(r -> Double.parseDouble(r[4])).toArray();
    }

    @Test
    void oneAucPerImageMethodAndMetricInInputOrderWithRoadAsItsTwoOrders() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        List<String> keys = rows("faithfulness.csv", "image,method,metric,auc").stream()
                .map(r -> r[0] + "," + r[1] + "," + r[2]).toList();
        List<String> expected = new ArrayList<>();
        for (int image = 0; image < 2; image++) {
            for (String method : List.of("saliency", "rollout")) {
                for (String metric : METRICS) {
                    expected.add(image + "," + method + "," + metric);
                }
            }
        }
        assertEquals(expected, keys);
        assertTrue(run.err().contains("faithfulness"), "a progress line: " + run.err());
        assertTrue(run.out().contains("faithfulness.csv") && run.out().contains("mean AUC over 2 images"), run.out());
    }

    @Test
    void everyCurveHasStepsPlusOneRowsAndItsAucIsTheirTrapezoid() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        List<String[]> curves = rows("curves.csv", "image,method,metric,fraction,p");
        assertEquals(2 * 2 * 4 * 5, curves.size());
        for (String[] a : rows("faithfulness.csv", "image,method,metric,auc")) {
            List<String[]> points = curves.stream().filter(r -> r[0].equals(a[0]) && r[1].equals(a[1])
                    && r[2].equals(a[2])).toList();
            assertEquals(5, points.size(), String.join(",", a));
            double trapezoid = 0;
            for (int s = 0; s < 5; s++) {
                assertEquals(s / 4.0, Double.parseDouble(points.get(s)[3]), 1e-9, "fraction of step " + s);
                if (s > 0) {
                    trapezoid += (Double.parseDouble(points.get(s - 1)[4]) + Double.parseDouble(points.get(s)[4]))
                            / 2 / 4;
                }
            }
            assertEquals(trapezoid, Double.parseDouble(a[3]), 1e-7, String.join(",", a));
        }
    }

    @Test
    void deletionStartsAtTheCleanProbabilityAndMatchesTheLibraryOnExplainsMaps() throws Exception {
        assertEquals(0, run.exitCode(), run.toString());
        List<String[]> curves = rows("curves.csv", "image,method,metric,fraction,p");
        Pretrained p = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        ImageSource.Batch b = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 2, p.preprocessing());
        Vit vit = new Vit(p.weights());
        INDArray logits = vit.logits(b.input());
        int[] y = b.labels();
        for (int image = 0; image < 2; image++) {
            double[] row = logits.getRow(image).toDoubleVector();
            double clean = io.github.vit4j.model.Predictions.softmax(row)[y[image]];
            for (String method : List.of("saliency", "rollout")) {
                assertEquals(clean, curve(curves, image, method, "deletion")[0], 1e-6,
                        "image " + image + ", " + method + ": nothing deleted is the clean p of label " + y[image]);
                assertEquals(clean, curve(curves, image, method, "insertion")[4], 1e-6,
                        "image " + image + ", " + method + ": everything restored is the clean image");
            }
        }
        ExplainMethod.Settings s = new ExplainMethod.Settings(64, 50, 8, 10, 0, 2);
        for (ExplainMethod m : List.of(ExplainMethod.SALIENCY, ExplainMethod.ROLLOUT)) {
            INDArray maps = m.run(vit, b, y, s).maps();
            List<Faithfulness.Curve> insertion = new Faithfulness(4, 2).insertion(vit, b, maps, y);
            for (int image = 0; image < 2; image++) {
                double[] written = curve(curves, image, m.label(), "insertion");
                double[] library = insertion.get(image).p();
                for (int k = 0; k < 5; k++) {
                    assertEquals(library[k], written[k], 1e-6, m.label() + " image " + image + " step " + k);
                }
            }
        }
    }

    @Test
    void aMethodWithoutOneMapPerImageAnUnknownMetricAndABadMapSettingAreRefusedByName() {
        CliRun attention = CliRun.of("faithfulness", "--limit", "1", "--methods", "saliency,attention", "--out",
                dir.resolve("refused").toString());
        assertEquals(Vit4jCli.USAGE, attention.exitCode(), attention.toString());
        assertTrue(attention.err().contains("attention") && attention.err().contains("[g, g]"), attention.err());
        CliRun metric = CliRun.of("faithfulness", "--limit", "1", "--metrics", "deletion,aopc", "--out",
                dir.resolve("refused").toString());
        assertEquals(Vit4jCli.USAGE, metric.exitCode(), metric.toString());
        assertTrue(metric.err().contains("'aopc'") && metric.err().contains("road-lerf"), metric.err());
        CliRun steps = CliRun.of("faithfulness", "--limit", "1", "--methods", "ig", "--ig-steps", "0", "--out",
                dir.resolve("refused").toString());
        assertEquals(Vit4jCli.USAGE, steps.exitCode(), steps.toString());
        assertTrue(steps.err().contains("--ig-steps"), "vit explain's map settings, shared: " + steps.err());
    }
}
