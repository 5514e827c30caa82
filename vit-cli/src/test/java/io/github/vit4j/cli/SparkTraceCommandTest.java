package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vit trace --spark local[2]} against {@code vit trace} on the first 12 CIFAR-10 test images of ../shared
 * (noise k = 3, seed 7, batches of 4: three batches in two partitions). Spark is not on this module's class path, as
 * it is not in vit.jar: the Spark trace runs in a JVM of its own started as the ./vit launcher starts it, with
 * Spark's jars (target/spark.classpath, from vit-spark's build) before this module's classes and Spark's Java 17
 * flags ({@code spark.opens}).
 */
class SparkTraceCommandTest {

    @TempDir
    Path dir;

    @Test
    void aSparkTraceWritesTheTraceCsvSummaryAndHeatmapsOfTheTraceWithoutSpark() throws Exception {
        CliRun single = CliRun.of(args(dir.resolve("single")));
        assertEquals(0, single.exitCode(), single.toString());

        List<String> spark = new ArrayList<>(List.of(args(dir.resolve("spark"))));
        spark.addAll(List.of("--spark", "local[2]"));
        SparkChild run = vit(sparkClassPath(), opens(), spark);
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("12 images traced on Spark (local[2], 2 partitions)"), run.output());
        assertFalse(run.output().contains(" INFO "), "Spark logs at WARN, as vit does: " + run.output());

        Path a = dir.resolve("single");
        Path b = dir.resolve("spark");
        assertArrayEquals(Files.readAllBytes(a.resolve("trace.csv")), Files.readAllBytes(b.resolve("trace.csv")));
        JsonNode expected = new ObjectMapper().readTree(a.resolve("summary.json").toFile());
        JsonNode actual = new ObjectMapper().readTree(b.resolve("summary.json").toFile());
        assertEquals("local[2]", actual.get("arguments").get("spark").asText());
        assertTrue(expected.get("arguments").get("spark").isNull());
        assertTrue(expected.get("corruption").asText().startsWith("noise(k=3"), expected.toString());
        for (JsonNode summary : List.of(expected, actual)) {           // the two runs' own folders and modes
            ((ObjectNode) summary.get("arguments")).remove(List.of("out", "spark"));
        }
        assertSameJson(expected, actual, "summary.json");
        assertEquals(Files.readAllLines(a.resolve("summary.csv")).size(),
                Files.readAllLines(b.resolve("summary.csv")).size());
        assertTrue(ImageIO.read(b.resolve("heatmap.png").toFile()).getWidth() > 0);
        assertTrue(Files.readString(b.resolve("heatmap.svg")).contains("n = 12 images"));
        assertTrue(Files.isDirectory(b.resolve("trace.parquet")));
    }

    @Test
    void aSparkTraceOfAFolderOfImagesWritesTheTraceCsvOfTheTraceWithoutSpark() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("images"));   // ../shared's two PNGs, twice each
        for (String name : List.of("coco_000000039769.png", "imagenet_val_00000001.png")) {
            Path image = SharedAssets.resolve("data/images/" + name);
            Files.copy(image, folder.resolve("a_" + name));
            Files.copy(image, folder.resolve("b_" + name));
        }
        List<String> args = new ArrayList<>(List.of("trace", "--model",
                SharedAssets.resolve("models/simplevit-cifar10/hf").toString(), "--images", folder.toString(),
                "--label", "clean-top1", "--limit", "4", "--batch", "2"));
        List<String> single = new ArrayList<>(args);
        single.addAll(List.of("--out", dir.resolve("single").toString()));
        CliRun run = CliRun.of(single.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.toString());

        List<String> spark = new ArrayList<>(args);
        spark.addAll(List.of("--out", dir.resolve("spark").toString(), "--spark", "local[2]"));
        SparkChild child = vit(sparkClassPath(), opens(), spark);
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.output().contains("4 images traced on Spark (local[2], 2 partitions)"), child.output());
        assertArrayEquals(Files.readAllBytes(dir.resolve("single/trace.csv")),
                Files.readAllBytes(dir.resolve("spark/trace.csv")));
    }

    @Test
    void sparkWithoutSparkOnTheClassPathFailsInOneLineSayingWhatToRun() {
        CliRun run = CliRun.of("trace", "--spark", "local[2]", "--limit", "2", "--out", dir.toString());
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("Apache Spark is not on the class path"), run.err());
        assertTrue(run.err().contains("run ./vit") && run.err().contains("spark.classpath"), run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }

    @Test
    void sparkWithoutItsJava17FlagsFailsNamingThem() throws Exception {
        List<String> args = new ArrayList<>(List.of(args(dir)));
        args.addAll(List.of("--spark", "local[2]"));
        SparkChild run = vit(sparkClassPath(), List.of(), args);
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.output());
        assertTrue(run.output().contains("--add-opens=java.base/java.lang=ALL-UNNAMED"), run.output());
        assertFalse(run.output().contains("\tat "), "no stack trace: " + run.output());
    }

    @Test
    void whatARunWithoutSparkAddsIsRefusedWithSpark() {
        CliRun run = CliRun.of("trace", "--spark", "local[2]", "--token-sweep", "2", "--out", dir.toString());
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--token-sweep 2 is not run on Spark: run it without --spark"), run.err());
    }

    @Test
    void aFolderHoldingATraceMadeWithoutSparkIsNotOverwrittenBySpark() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("trace.meta.properties"), "");
        Files.writeString(out.resolve("trace.csv"), "image,label\n");
        List<String> args = new ArrayList<>(List.of(args(out)));
        args.addAll(List.of("--spark", "local[2]"));
        SparkChild run = vit(sparkClassPath(), opens(), args);
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.output());
        assertTrue(run.output().contains("holds a trace that DatasetTrace.run resumes"), run.output());
        assertEquals("image,label\n", Files.readString(out.resolve("trace.csv")));
        assertFalse(Files.exists(out.resolve("trace.parquet")));
    }

    private static String[] args(Path out) {
        return new String[] {"trace", "--model", SharedAssets.resolve("models/simplevit-cifar10/hf").toString(),
            "--images", "cifar10:" + SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"), "--limit", "12",
            "--batch", "4", "--corruption", "noise:3", "--seed", "7", "--out", out.toString()};
    }

    private SparkChild vit(String sparkClassPath, List<String> jvmOptions, List<String> args)
            throws IOException, InterruptedException {
        return SparkChild.run(dir, sparkClassPath, jvmOptions, args);
    }

    private static String sparkClassPath() throws IOException {
        return SparkChild.sparkClassPath();
    }

    private static List<String> opens() {
        return SparkChild.opens();
    }

    /** {@code expected} and {@code actual} the same, numbers within 1e-12 (Spark SQL adds in another order). */
    private static void assertSameJson(JsonNode expected, JsonNode actual, String path) {
        if (expected.isNumber() && actual.isNumber()) {
            assertEquals(expected.asDouble(), actual.asDouble(), 1e-12, path);
            return;
        }
        assertEquals(expected.getNodeType(), actual.getNodeType(), path);
        assertEquals(expected.size(), actual.size(), path + ": " + expected + " vs " + actual);
        if (expected.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                assertTrue(actual.has(e.getKey()), path + "." + e.getKey() + " is missing");
                assertSameJson(e.getValue(), actual.get(e.getKey()), path + "." + e.getKey());
            }
        } else if (expected.isArray()) {
            for (int i = 0; i < expected.size(); i++) {
                assertSameJson(expected.get(i), actual.get(i), path + "[" + i + "]");
            }
        } else {
            assertEquals(expected, actual, path);
        }
    }
}
