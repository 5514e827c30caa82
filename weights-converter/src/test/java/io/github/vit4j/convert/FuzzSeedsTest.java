package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeds {@link FuzzSeeds} generates into the test class path are there, and the re-created findings still hit
 * the refusals their campaigns found.
 */
class FuzzSeedsTest {

    @TempDir
    Path tmp;

    @Test
    void theBuildPutTheSeedsWhereJazzerLooks() throws IOException, URISyntaxException {
        Path torch = Path.of(TorchCheckpointFuzzTest.class
                .getResource("TorchCheckpointFuzzTestInputs/anyBytesAreTensorsOrANamedRefusal").toURI());
        Path safetensors = Path.of(SafetensorsFuzzTest.class
                .getResource("SafetensorsFuzzTestInputs/anyBytesAreTensorsOrANamedRefusal").toURI());
        assertEquals(Set.of("zip-views-and-dtypes", "legacy-views-and-dtypes", "zip-os-system",
                "finding-zip-bad-loc-header", "finding-zip-cut-central-directory", "finding-zip-entry-past-end"),
                names(torch));
        assertEquals(8, names(safetensors).size(), names(safetensors).toString());
    }

    @Test
    void bothTorchFormatsHoldTheSameTensors() throws IOException {
        Path dir = generated();
        for (String name : List.of("zip-views-and-dtypes", "legacy-views-and-dtypes")) {
            try (TorchCheckpoint c = TorchCheckpoint.open(dir.resolve(name))) {
                assertEquals(List.of("w", "wt", "row", "h", "b", "d"), List.copyOf(c.names()), name);
                assertEquals(5f, c.load("row").getFloat(1), name);
                assertEquals(4f, c.load("wt").getFloat(0, 1), name);
                assertEquals(65504f, c.load("h").getFloat(3), name);
                assertEquals(-3f, c.load("b").getFloat(1), name);
                assertEquals(-0.001, c.load("d").getDouble(1), 1e-9, name);
            }
        }
    }

    @Test
    void theRecreatedFindingsStillHitTheirRefusals() throws IOException {
        Path dir = generated();
        assertTrue(refusal(dir, "zip-os-system").getMessage().contains("os.system"));
        ModelFormatException badLoc = refusal(dir, "finding-zip-bad-loc-header");
        assertTrue(badLoc.getMessage().contains("invalid LOC header"), badLoc.getMessage());
        ModelFormatException cut = refusal(dir, "finding-zip-cut-central-directory");
        assertInstanceOf(java.io.EOFException.class, cut.getCause(), cut.getMessage());
        assertTrue(cut.getMessage().contains("ends inside its central directory"), cut.getMessage());
        ModelFormatException pastEnd = refusal(dir, "finding-zip-entry-past-end");
        assertInstanceOf(java.io.EOFException.class, pastEnd.getCause(), pastEnd.getMessage());
        assertTrue(pastEnd.getMessage().contains("entry views-and-dtypes/data.pkl cannot be read"),
                pastEnd.getMessage());

        Path utf32 = tmp.resolve("safetensors");
        FuzzSeeds.safetensors(Files.createDirectories(utf32));
        Path finding = utf32.resolve("finding-header-read-as-utf32-refused-without-file-name.safetensors");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Safetensors.open(finding).close());
        assertTrue(e.getMessage().contains(finding.toString()) && e.getMessage().contains("UTF-8"), e.getMessage());

        Path shards = Files.createDirectories(tmp.resolve("shards"));
        FuzzSeeds.shardIndex(shards);
        Path index = Files.move(shards.resolve("finding-index-read-as-utf32-refused-without-file-name.json"),
                shards.resolve("model.safetensors.index.json"));
        ModelFormatException notUtf8 = assertThrows(ModelFormatException.class, () -> ModelLoader.shardsOf(index));
        assertTrue(notUtf8.getMessage().startsWith(index + " is not UTF-8 JSON: Invalid UTF-32 character"),
                notUtf8.getMessage());
    }

    private Path generated() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("torch"));
        FuzzSeeds.torch(dir);
        return dir;
    }

    private static ModelFormatException refusal(Path dir, String name) {
        Path file = dir.resolve(name);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        return e;
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}
