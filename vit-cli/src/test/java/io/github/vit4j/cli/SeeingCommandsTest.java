package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.Npy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vit filters}, {@code vit visualize} and {@code vit embed-map} on the CIFAR-10 model: files, refusals, help. */
class SeeingCommandsTest {

    @TempDir
    Path dir;

    @Test
    void filtersWritesTheGridTheGroupsAndTheirCsv() throws Exception {
        Path out = dir.resolve("f");
        CliRun run = CliRun.of("filters", "--clusters", "3", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("128 filters of 3×4×4"), run.out());
        BufferedImage grid = ImageIO.read(out.resolve("filters.png").toFile());
        assertEquals((12 * 5 + 1) * 8, grid.getWidth(), "√128 → 12 tiles a row, 5 px each with the line, zoom 8");
        assertTrue(ImageIO.read(out.resolve("filter-clusters.png").toFile()).getWidth() > 0);
        List<String> csv = Files.readAllLines(out.resolve("filter-clusters.csv"));
        assertEquals(129, csv.size());
        assertEquals("filter,cluster", csv.get(0));
    }

    @Test
    void visualizeWritesEachPictureThePixelsAndTheTraceAndRepeatsBitForBit() throws Exception {
        String[] args = {"visualize", "--site", "blocks.2.mlp_post", "--neuron", "17", "--token", "all", "--steps",
            "4", "--images", "2", "--diversity", "1"};
        CliRun a = CliRun.of(concat(args, "--out", dir.resolve("a").toString()));
        assertEquals(0, a.exitCode(), a.toString());
        assertTrue(a.out().contains("blocks.2.mlp_post neuron 17 all tokens"), a.out());
        CliRun b = CliRun.of(concat(args, "--out", dir.resolve("b").toString()));
        assertEquals(0, b.exitCode(), b.toString());
        assertEquals(256, ImageIO.read(dir.resolve("a/visualization-1.png").toFile()).getWidth(), "32 px × 8");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/pixels.npy")), Files.readAllBytes(dir.resolve("b/pixels.npy")));
        assertArrayEquals(new long[] {2, 3, 32, 32}, Npy.read(dir.resolve("a/pixels.npy")).shape());
        assertEquals(5, Files.readAllLines(dir.resolve("a/trace.csv")).size());
    }

    @Test
    void visualizeRefusesAnUnknownSiteAndANeuronOutsideIt() {
        CliRun site = CliRun.of("visualize", "--site", "blocks.9.mlp_post", "--neuron", "1", "--out",
                dir.toString());
        assertEquals(2, site.exitCode(), site.toString());
        assertTrue(site.err().contains("layer 9") && site.err().contains("0..3"), site.err());
        CliRun neuron = CliRun.of("visualize", "--neuron", "300", "--out", dir.toString());
        assertEquals(2, neuron.exitCode(), neuron.toString());
        assertTrue(neuron.err().contains("neuron 300") && neuron.err().contains("0..255"), neuron.err());
        CliRun head = CliRun.of("visualize", "--head", "1", "--neuron", "3", "--out", dir.toString());
        assertEquals(2, head.exitCode(), head.toString());
        assertTrue(head.err().contains("--head goes with --site blocks.L.pattern"), head.err());
    }

    @Test
    void visualizeMaximisesAHeadsAttentionScoreGivenTheHead() {
        CliRun run = CliRun.of("visualize", "--site", "blocks.1.pattern", "--head", "2", "--neuron", "28", "--steps",
                "3", "--out", dir.resolve("h").toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("blocks.1.pattern head 2 query 0 key 28"), run.out());
        assertTrue(Files.exists(dir.resolve("h/visualization-0.png")));
    }

    @Test
    void embedMapWritesPcaAndTsnePicturesAndTheCoordinatesOfEachImage() throws Exception {
        Path out = dir.resolve("e");
        CliRun run = CliRun.of("embed-map", "--limit", "24", "--layer", "1,3", "--perplexity", "5", "--iterations",
                "60", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("mapped 24 images at 2 layers"), run.out());
        for (String f : new String[] {"pca-layer1.png", "tsne-layer1.png", "pca-layer3.png", "tsne-layer3.png"}) {
            assertEquals(900, ImageIO.read(out.resolve(f).toFile()).getWidth(), f);
        }
        List<String> csv = Files.readAllLines(out.resolve("embed-layer3.csv"));
        assertEquals(25, csv.size());
        assertEquals("index,name,label,pc1,pc2,tsne1,tsne2", csv.get(0));
        assertTrue(csv.get(1).startsWith("0,"), csv.get(1));
        CliRun tooFew = CliRun.of("embed-map", "--limit", "24", "--out", out.toString());
        assertEquals(2, tooFew.exitCode(), tooFew.toString());
        assertTrue(tooFew.err().contains("--perplexity 30.0") && tooFew.err().contains("got 24"), tooFew.err());
    }

    @Test
    void eachNewCommandHasHelpWithItsDefaultsAndWholeExamples() {
        for (String command : new String[] {"filters", "visualize", "embed-map"}) {
            CliRun run = CliRun.of(command, "--help");
            assertEquals(0, run.exitCode(), command);
            assertTrue(run.out().contains("Usage: vit " + command) && run.out().contains("Examples:"), run.out());
            assertTrue(run.out().contains("(default: "), run.out());
            List<String> lines = run.out().lines().toList();
            for (int i = lines.indexOf("Examples:") + 1; i < lines.size(); i++) {
                String line = lines.get(i);
                assertTrue(line.isEmpty() || line.startsWith("  vit ") || lines.get(i - 1).endsWith(" \\")
                        && line.startsWith("      "), command + ": '" + line + "'");
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
