package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
        List<String> offenders = new ArrayList<>();
        for (Path file : mainSources()) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (OF_STRING.matcher(lines.get(i)).find()) {
                    offenders.add(root().relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertEquals(List.of(), offenders, "name these parse(String), as CONTRIBUTING.md says");
    }

    @Test
    void noTwoTopLevelTypesShareASimpleName() throws IOException {
        Map<String, List<Path>> byName = new TreeMap<>();
        for (Path file : mainSources()) {
            String name = file.getFileName().toString().replace(".java", "");
            if (!name.equals("package-info") && !name.equals("module-info")) {
                byName.computeIfAbsent(name, k -> new ArrayList<>()).add(root().relativize(file));
            }
        }
        assertTrue(byName.size() > 100, "the scan found only " + byName.size() + " types under " + root());
        byName.values().removeIf(files -> files.size() == 1);
        assertEquals(Map.of(), byName, "give unrelated types names of their own");
    }

    @Test
    void theScanSeesAParserOfTextNamedOf() {
        assertTrue(OF_STRING.matcher("    public static Metric of(String label) {").find());
        assertFalse(OF_STRING.matcher("    public static Site of(int layer, Kind kind) {").find());
    }

    private static Path root() {
        return Path.of("").toAbsolutePath().getParent();
    }

    private static List<Path> mainSources() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root())) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(out::add);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort(null);
        return out;
    }
}
