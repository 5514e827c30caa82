package io.github.vit4j.cli;

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

/** The project's Java sources with their lines, for the tests that hold a rule over all of them. */
final class ProjectSources {

    /** The repository: the folder above vit-cli, where the tests run. */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private ProjectSources() {
    }

    /** The Java files under {@code src/<set>/java} of every module of the build (a folder with a pom.xml). */
    static Map<Path, List<String>> ofEveryModule(String set) throws IOException {
        Map<Path, List<String>> files = new TreeMap<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(m -> Files.isRegularFile(m.resolve("pom.xml"))).toList()) {
                Path java = module.resolve("src").resolve(set).resolve("java");
                if (Files.isDirectory(java)) {
                    files.putAll(under(java));
                }
            }
        }
        return files;
    }

    /** The Java files under {@code folder}, sorted, with their lines. */
    static Map<Path, List<String>> under(Path folder) throws IOException {
        Map<Path, List<String>> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
                try {
                    files.put(p.toAbsolutePath(), Files.readAllLines(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return files;
    }

    /** Every line of {@code files} that {@code pattern} finds something in, as {@code path:line: text}. */
    static List<String> linesMatching(Map<Path, List<String>> files, Pattern pattern) {
        List<String> found = new ArrayList<>();
        files.forEach((file, lines) -> {
            for (int i = 0; i < lines.size(); i++) {
                if (pattern.matcher(lines.get(i)).find()) {
                    found.add(where(file, i, lines.get(i)));
                }
            }
        });
        return found;
    }

    /** {@code path:line: text} of {@code line}, line {@code i} (from 0) of {@code file}. */
    static String where(Path file, int i, String line) {
        return relative(file) + ":" + (i + 1) + ": " + line.strip();
    }

    /** {@code file}'s path from the repository, with forward slashes. */
    static String relative(Path file) {
        return ROOT.relativize(file.toAbsolutePath()).toString().replace('\\', '/');
    }
}
