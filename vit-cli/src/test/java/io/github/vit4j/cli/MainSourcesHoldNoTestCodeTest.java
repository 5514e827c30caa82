package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void noMainSourceSaysItIsForTestsOrEndsTheJvmOutsideTheCommandsMain() throws IOException {
        List<String> found = new ArrayList<>();
        Map<Path, List<String>> main = ProjectSources.ofEveryModule("main");
        main.forEach((file, lines) -> {
            String name = ProjectSources.relative(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (FOR_TESTS.matcher(line).find()
                        || HALT.matcher(line).find() && !name.equals(COMMAND_MAIN)) {
                    found.add(ProjectSources.where(file, i, line));
                }
            }
        });
        assertTrue(main.size() > 150, "scanned only " + main.size() + " files under " + ProjectSources.ROOT);
        assertTrue(found.isEmpty(), "main code for tests (move it to the test sources, behind an interface or an "
                + "argument the test supplies):\n  " + String.join("\n  ", found));
    }

    @Test
    void noTestAssignsAStaticFieldOfTheMainCode() throws IOException {
        List<String> fields = new ArrayList<>();
        ProjectSources.ofEveryModule("main").forEach((file, lines) -> {
            String type = file.getFileName().toString().replace(".java", "");
            for (String line : lines) {
                Matcher m = MUTABLE_STATIC.matcher(line);
                if (m.find()) {
                    fields.add(type + "." + m.group(1));
                }
            }
        });
        List<String> assigned = new ArrayList<>();
        ProjectSources.ofEveryModule("test").forEach((file, lines) -> {
            for (int i = 0; i < lines.size(); i++) {
                for (String field : fields) {
                    if (Pattern.compile("\\b" + Pattern.quote(field) + "\\s*=(?!=)").matcher(lines.get(i)).find()) {
                        assigned.add(ProjectSources.where(file, i, lines.get(i)));
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
}
