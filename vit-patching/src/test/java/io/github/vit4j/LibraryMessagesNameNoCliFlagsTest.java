package io.github.vit4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library modules are used without the CLI, so their messages name the library's API
 * ({@code DatasetTrace.Target.CLEAN_TOP1}, {@code ModelLoader.load(path, mapping)}), never a command-line flag; the CLI
 * adds its flags. Scans every string literal of the library modules' main sources for "--" followed by a letter.
 */
class LibraryMessagesNameNoCliFlagsTest {

    private static final List<String> LIBRARY_MODULES = List.of("vit-core", "weights-converter", "vit-text",
            "vit-patching");
    private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*\"");
    private static final Pattern FLAG = Pattern.compile("--[A-Za-z]");

    @Test
    void noStringLiteralInTheLibraryModulesNamesACommandLineFlag() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (String module : LIBRARY_MODULES) {
            Path root = Path.of("..", module, "src", "main", "java");
            assertTrue(Files.isDirectory(root), "no sources at " + root.toAbsolutePath().normalize());
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path p : paths.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(p);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")) {
                            continue; // documentation may show the CLI
                        }
                        Matcher m = STRING_LITERAL.matcher(line);
                        while (m.find()) {
                            if (FLAG.matcher(m.group()).find()) {
                                found.add(module + "/" + root.relativize(p) + ":" + (i + 1) + ": " + m.group());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(files > 50, "scanned only " + files + " files; are the module folders where this test expects?");
        assertTrue(found.isEmpty(), "library messages name command-line flags; name the API (the enum constant, the "
                + "method, the Options field) and let vit-cli add its flag:\n  " + String.join("\n  ", found));
    }
}
