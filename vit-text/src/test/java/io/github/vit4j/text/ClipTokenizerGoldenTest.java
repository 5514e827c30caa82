package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The five prompts of ../shared/reference/families/clip-tiny/prompts.txt give exactly the {@code input_ids} [5, 77]
 * that OpenAI's {@code clip.tokenize} gave for the reference (reference.npz), from the model folder's own files.
 */
class ClipTokenizerGoldenTest {

    @Test
    void thePromptsGiveTheReferenceInputIdsExactly() throws IOException {
        Path reference = SharedAssets.resolve("reference/families/clip-tiny");
        List<String> prompts = Files.readAllLines(reference.resolve("prompts.txt"), StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isEmpty()).toList();
        INDArray expected = Npy.readNpz(reference.resolve("reference.npz")).get("input_ids");
        assertArrayEquals(new long[] {5, 77}, expected.shape());

        long[][] rows = ClipTokenizer.fromFolder(SharedAssets.resolve("models/families/clip-tiny")).tokenize(prompts);

        assertEquals(5, rows.length);
        for (int i = 0; i < rows.length; i++) {
            assertArrayEquals(expected.getRow(i).toLongVector(), rows[i], prompts.get(i));
        }
    }
}
