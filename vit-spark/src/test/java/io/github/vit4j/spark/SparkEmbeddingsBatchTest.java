package io.github.vit4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.embed.Embedded;
import java.io.IOException;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.junit.jupiter.api.Test;

/** The rows a Spark wave hands back become a batch only when they are the batch's images, one row each. */
class SparkEmbeddingsBatchTest {

    /** A row of image {@code index} whose embedding is {@code floats} float32 values (little-endian 1.0f each). */
    private static Row row(int index, int floats) {
        byte[] values = new byte[4 * floats];
        for (int i = 0; i < floats; i++) {
            values[4 * i + 2] = (byte) 0x80;                     // 1.0f = 0x3F800000, little-endian
            values[4 * i + 3] = 0x3F;
        }
        return new GenericRowWithSchema(new Object[] {index, 7, values}, SparkEmbeddings.SCHEMA);
    }

    @Test
    void rowsNumberedFirstOnwardBecomeTheBatch() throws IOException {
        Embedded batch = SparkEmbeddings.batch(List.of(row(4, 2), row(5, 2)), 4, "parquet:images");
        assertEquals(4, batch.first());
        assertEquals(2, batch.width());
        assertArrayEquals(new float[] {1, 1, 1, 1}, batch.values());
    }

    @Test
    void aDuplicatedIndexIsRefusedNamingTheImagesAndTheIndex() {
        // a table whose index column holds 4 twice (and not 5) has the right count, but row 2 is not image 5
        IOException e = assertThrows(IOException.class,
                () -> SparkEmbeddings.batch(List.of(row(4, 2), row(4, 2)), 4, "parquet:images"));
        assertTrue(e.getMessage().contains("parquet:images"), e.getMessage());
        assertTrue(e.getMessage().contains("image 4 where image 5 was expected"), e.getMessage());
    }

    @Test
    void aRowOfAnotherWidthIsRefusedNamingItsLength() {
        IOException e = assertThrows(IOException.class,
                () -> SparkEmbeddings.batch(List.of(row(0, 2), row(1, 3)), 0, "parquet:images"));
        assertTrue(e.getMessage().contains("image 1 has 12 bytes of values, expected 8"), e.getMessage());
    }
}
