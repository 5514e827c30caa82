package io.github.vit4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelLoader#load(String)} takes a path or an {@code hf:} spec; the download itself is {@link Hub}'s (see
 * {@link HubDownloadTest}), so here only what needs no environment: paths as before, malformed specs named.
 */
class ModelLoaderLocationTest {

    @Test
    void aPathGivenAsTextLoadsAsThePathDoes() throws IOException {
        String folder = SharedAssets.resolve("models/simplevit-cifar10/hf").toString();
        assertEquals(ModelLoader.load(java.nio.file.Path.of(folder)).config(), ModelLoader.load(folder).config());
    }

    @Test
    void aMalformedHubSpecIsRefusedBeforeAnyRequest() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelLoader.load("hf:not a repo"));
        assertTrue(e.getMessage().contains("\"not a repo\" is not a Hub repository id"), e.getMessage());
    }
}
