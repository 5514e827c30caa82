package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CONTRIBUTING.md's naming rules, held over every module's main sources (this module's tests run in
 * {@code vit-cli/}, so the modules are its siblings).
 */
class NamingRuleTest {

    /** A static method named {@code of} taking a String first: a parser of text, which the rule names parse. */
    private static final Pattern OF_STRING = Pattern.compile("static\\s+[\\w.<>, ]+\\s+of\\(String\\s");

    @Test
    void everyParserOfTextIsNamedParseNotOf() throws IOException {
        List<String> offenders = ProjectSources.linesMatching(ProjectSources.ofEveryModule("main"), OF_STRING);
        assertEquals(List.of(), offenders, "name these parse(String), as CONTRIBUTING.md says");
    }

    @Test
    void noTwoTopLevelTypesShareASimpleName() throws IOException {
        Map<String, List<Path>> byName = new TreeMap<>();
        for (Path file : ProjectSources.ofEveryModule("main").keySet()) {
            String name = file.getFileName().toString().replace(".java", "");
            if (!name.equals("package-info") && !name.equals("module-info")) {
                byName.computeIfAbsent(name, k -> new ArrayList<>()).add(ProjectSources.ROOT.relativize(file));
            }
        }
        assertTrue(byName.size() > 100, "the scan found only " + byName.size() + " types under " + ProjectSources.ROOT);
        byName.values().removeIf(files -> files.size() == 1);
        assertEquals(Map.of(), byName, "give unrelated types names of their own");
    }

    @Test
    void theScanSeesAParserOfTextNamedOf() {
        assertTrue(OF_STRING.matcher("    public static Metric of(String label) {").find());
        assertFalse(OF_STRING.matcher("    public static Site of(int layer, Kind kind) {").find());
    }
}
