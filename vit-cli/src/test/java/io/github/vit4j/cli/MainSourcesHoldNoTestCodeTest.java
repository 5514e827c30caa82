package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The jars hold no code that is there for the tests: no fault injection, no accessor or switch "for tests", no
 * mutable static that a test assigns (a test states what it needs through the API: an argument, a constructor, an
 * interface it implements in its own sources), no halting of the JVM in a library. Scans the main sources of every
 * module of the build.
 */
class MainSourcesHoldNoTestCodeTest {

    /** Words that say a piece of main code is there for tests. */
    private static final Pattern FOR_TESTS = Pattern.compile(
            "(?i)\\bfor (the )?tests?\\b|\\btests? (put|set|assign|inject)|@VisibleForTesting|\\btest (fault|hook)"
                    + "|^\\s*(/\\*\\*|\\*|//)\\s*tests?:");
    /** Ending the JVM: a library never does; the command's own main returns its exit code so. */
    private static final Pattern HALT = Pattern.compile("\\.halt\\(|System\\.exit\\(");
    /** The one place that may end the JVM: the {@code vit} command's main. */
    private static final String COMMAND_MAIN = "vit-cli/src/main/java/io/github/vit4j/cli/Vit4jCli.java";
    /** A static field that is not final. */
    private static final Pattern MUTABLE_STATIC = Pattern.compile("^\\s*(?:(?:public|protected|private)\\s+)?static\\s+"
            + "(?:volatile\\s+|transient\\s+)*(?!final\\b|class\\b|record\\b|enum\\b|interface\\b|abstract\\b|sealed\\b)"
            + "[\\w<>,.?\\[\\] ]+?\\s(\\w+)\\s*[=;]");

    /**
     * Known, to be moved by the part of issue 19 that owns vit-core's model package (its kernels and memory move to
     * a package of their own): remove the entry with the move.
     */
    private static final Set<String> KNOWN = Set.of();

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void noMainSourceSaysItIsForTestsOrEndsTheJvmOutsideTheCommandsMain() throws IOException {
        List<String> found = new ArrayList<>();
        Map<Path, List<String>> main = sources("main");
        main.forEach((file, lines) -> {
            String name = ROOT.relativize(file).toString().replace('\\', '/');
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String where = name + ": " + line.strip();
                if (FOR_TESTS.matcher(line).find() && !KNOWN.contains(where)
                        || HALT.matcher(line).find() && !name.equals(COMMAND_MAIN)) {
                    found.add(name + ":" + (i + 1) + ": " + line.strip());
                }
            }
        });
        assertTrue(main.size() > 150, "scanned only " + main.size() + " files under " + ROOT);
        assertTrue(found.isEmpty(), "main code for tests (move it to the test sources, behind an interface or an "
                + "argument the test supplies):\n  " + String.join("\n  ", found));
    }

    @Test
    void noTestAssignsAStaticFieldOfTheMainCode() throws IOException {
        List<String> fields = new ArrayList<>();
        sources("main").forEach((file, lines) -> {
            String type = file.getFileName().toString().replace(".java", "");
            for (String line : lines) {
                Matcher m = MUTABLE_STATIC.matcher(line);
                if (m.find()) {
                    fields.add(type + "." + m.group(1));
                }
            }
        });
        List<String> assigned = new ArrayList<>();
        sources("test").forEach((file, lines) -> {
            for (int i = 0; i < lines.size(); i++) {
                for (String field : fields) {
                    if (Pattern.compile("\\b" + Pattern.quote(field) + "\\s*=(?!=)").matcher(lines.get(i)).find()) {
                        assigned.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        });
        assertTrue(assigned.isEmpty(), "tests assign static fields of the main code, global state that a test "
                + "changes for every other; pass the value in (an argument, a constructor):\n  "
                + String.join("\n  ", assigned));
    }

    @Test
    void thePatternsFindWhatTheyAreFor() {
        for (String line : List.of("    /** How many models this JVM has loaded (for tests: one per executor). */",
                "    /** The environment the Hub settings are read from; tests put their own. */",
                "    @VisibleForTesting", "    /** Tests: fill every block given back with NaN. */")) {
            assertTrue(FOR_TESTS.matcher(line).find(), line);
        }
        assertTrue(HALT.matcher("            Runtime.getRuntime().halt(137);").find());
        Matcher m = MUTABLE_STATIC.matcher("    static Supplier<Map<String, String>> environment = System::getenv;");
        assertTrue(m.find());
        assertEquals("environment", m.group(1));
        for (String line : List.of("    static final String TRACE = \"trace\";", "    static final class Escapes {",
                "    static String of(DatasetTrace.Setting setting) {", "    static record Loaded(Vit vit) {")) {
            assertTrue(!MUTABLE_STATIC.matcher(line).find(), line);
        }
    }

    /** The Java files under {@code src/<set>/java} of every module of the build, with their lines. */
    private static Map<Path, List<String>> sources(String set) throws IOException {
        Map<Path, List<String>> files = new java.util.TreeMap<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml"))).toList()) {
                Path java = module.resolve("src").resolve(set).resolve("java");
                if (!Files.isDirectory(java)) {
                    continue;
                }
                try (Stream<Path> paths = Files.walk(java)) {
                    paths.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
                        try {
                            files.put(p, Files.readAllLines(p));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                }
            }
        }
        return files;
    }
}
