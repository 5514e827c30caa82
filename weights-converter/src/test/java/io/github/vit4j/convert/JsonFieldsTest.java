package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JsonFieldsTest {

    private static JsonFields fields(String json) throws IOException {
        return new JsonFields(Path.of("config.json"), new ObjectMapper().readTree(json), "");
    }

    @Test
    void aSquareSizePairIsReadAsTwoStrictIntegers() throws IOException {
        assertEquals(224, fields("{\"image_size\": [224, 224]}").squareSize("image_size"));
        // 4294967520 = 2^32 + 224: wrapped to an int it would read as 224
        ModelFormatException past = assertThrows(ModelFormatException.class,
                () -> fields("{\"image_size\": [4294967520, 4294967520]}").squareSize("image_size"));
        assertTrue(past.getMessage().contains("image_size[0] is 4294967520; expected an integer"), past.getMessage());
        ModelFormatException fraction = assertThrows(ModelFormatException.class,
                () -> fields("{\"image_size\": [224, 224.9]}").squareSize("image_size"));
        assertTrue(fraction.getMessage().contains("image_size[1] is 224.9; expected an integer"),
                fraction.getMessage());
    }
}
