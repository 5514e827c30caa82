package io.github.vit4j.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's dependency block is the one the user project in src/it/consumer builds with. */
class ReadmeDependencyBlockTest {

    @Test
    void theReadmesDependencyBlockIsTheConsumerProjectsWithTheVersionFilledIn() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        int section = readme.indexOf("## Use it as a library");
        int start = readme.indexOf("```xml\n", section) + "```xml\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));

        String pom = Files.readString(Path.of("src/it/consumer/pom.xml"));
        int from = pom.indexOf('\n', pom.indexOf("<!-- README: begin -->")) + 1;
        String marked = pom.substring(from, pom.indexOf("    <!-- README: end")) + "  </dependencies>\n";

        String version = System.getProperty("vit4j.version");
        assertEquals(marked.replace("@project.version@", version), block,
                "the README's dependency block and src/it/consumer/pom.xml (between its README markers) differ");
    }
}
