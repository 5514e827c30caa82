package io.github.vit4j.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A library embedded in someone's application speaks through SLF4J, which the application configures, and never
 * to the console itself: the library modules' main code neither prints nor uses another logging API.
 */
class LibrariesPrintNothingTest {

    private static final List<String> LIBRARIES = List.of("vit-core", "weights-converter", "vit-text",
            "vit-patching", "vit-circuits", "vit-explain", "vit-reports", "vit-onnx");
    private static final Pattern CONSOLE = Pattern.compile(
            "System\\.(out|err)\\b|printStackTrace\\(|System\\.getLogger|java\\.util\\.logging|System\\.exit\\(");

    @Test
    void noLibraryModulePrintsToTheConsoleOrLogsOutsideSlf4j() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (String module : LIBRARIES) {
            try (Stream<Path> sources = Files.walk(Path.of("..", module, "src", "main", "java"))) {
                for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(source);
                    for (int i = 0; i < lines.size(); i++) {
                        if (CONSOLE.matcher(lines.get(i)).find()) {
                            found.add(source + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                }
            }
        }
        assertTrue(files > 50, "the library sources were found: " + files + " files");
        assertEquals(List.of(), found);
    }
}
