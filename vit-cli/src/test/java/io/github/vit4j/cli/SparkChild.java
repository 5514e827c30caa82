package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code vit ARGS} in a JVM of its own started as the ./vit launcher starts it for Spark (and Parquet): Spark's jars
 * (target/spark.classpath, from vit-spark's build) before this module's classes, and Spark's Java 17 flags
 * ({@code spark.opens}). Spark is not on this module's class path, as it is not in vit.jar.
 *
 * @param exitCode the child's exit code
 * @param output   what it printed, stdout and stderr together
 */
record SparkChild(int exitCode, String output) {

    /** Spark's jars, as the launcher reads them. */
    static String sparkClassPath() throws IOException {
        Path file = Path.of(System.getProperty("vit4j.spark.classpath", "target/spark.classpath"));
        assertTrue(Files.isRegularFile(file), file + " is missing: build vit-spark first (-pl vit-cli -am)");
        return Files.readString(file).strip();
    }

    /** Spark's Java 17 flags, as the launcher gives them. */
    static List<String> opens() {
        String opens = System.getProperty("vit4j.spark.opens", "");
        assertTrue(opens.contains("--add-opens"), "the build gives the flags as vit4j.spark.opens: " + opens);
        return Arrays.asList(opens.strip().split("\\s+"));
    }

    /** {@code vit ARGS} with Spark's jars and flags, its output logged in {@code dir}. */
    static SparkChild run(Path dir, List<String> args) throws IOException, InterruptedException {
        return run(dir, sparkClassPath(), opens(), args);
    }

    /** {@code vit ARGS} in a JVM of its own, with {@code sparkClassPath} before this module's class path. */
    static SparkChild run(Path dir, String sparkClassPath, List<String> jvmOptions, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin"
                + File.separator + "java", "-Xmx2g"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", sparkClassPath + File.pathSeparator + System.getProperty("java.class.path"),
                "-D" + SharedAssets.PROPERTY + "=" + SharedAssets.root(), "-Djava.awt.headless=true",
                Vit4jCli.class.getName()));
        command.addAll(args);
        Path log = Files.createTempFile(dir, "child", ".log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(180, TimeUnit.SECONDS), "vit did not finish: " + Files.readString(log));
        return new SparkChild(child.exitValue(), Files.readString(log));
    }
}
