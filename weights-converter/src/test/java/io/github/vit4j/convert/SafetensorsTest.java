package io.github.vit4j.convert;

import static io.github.vit4j.convert.SafetensorsFiles.floats;
import static io.github.vit4j.convert.SafetensorsFiles.shorts;
import static io.github.vit4j.convert.SafetensorsFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void readsFloat32TensorsInCOrderWithTheFileShape() throws IOException {
        Path file = write(dir.resolve("ok.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1,2],\"data_offsets\":[24,32]}}",
                floats(1, 2, 3, 4, 5, 6, -0.5f, 1e-30f));
        try (Safetensors st = Safetensors.open(file)) {
            assertEquals(List.of("a", "b"), List.copyOf(st.tensors().keySet()));
            assertEquals("pt", st.metadata().get("format"));
            INDArray a = st.load("a");
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertEquals(DataType.FLOAT, a.dataType());
            assertEquals(6f, a.getFloat(1, 2));
            assertEquals(4f, a.getFloat(1, 0));
            INDArray b = st.load("b");
            assertArrayEquals(new long[] {1, 1, 2}, b.shape());
            assertEquals(1e-30f, b.getFloat(0, 0, 1));
        }
    }

    @Test
    void decodesFloat16ExactlyIncludingSubnormalsZerosAndInfinities() throws IOException {
        int[] halves = {0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x7E00};
        float[] expected = {1f, -2f, 0.333251953125f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, -0f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        Path file = write(dir.resolve("f16.safetensors"),
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[11],\"data_offsets\":[0,22]}}", shorts(halves));
        try (Safetensors st = Safetensors.open(file)) {
            assertBits(expected, st.load("h").data().asFloat());
        }
    }

    @Test
    void decodesBfloat16AsTheUpperHalfOfAFloat() throws IOException {
        int[] bf16 = {0x3F80, 0xC040, 0x4049, 0x3EAB, 0x0001, 0xFF80, 0x7FC0};
        float[] expected = {1f, -3f, 3.140625f, 0.333984375f, 0x1p-133f, Float.NEGATIVE_INFINITY, Float.NaN};
        Path file = write(dir.resolve("bf16.safetensors"),
                "{\"b\":{\"dtype\":\"BF16\",\"shape\":[7,1],\"data_offsets\":[0,14]}}", shorts(bf16));
        try (Safetensors st = Safetensors.open(file)) {
            INDArray b = st.load("b");
            assertArrayEquals(new long[] {7, 1}, b.shape());
            assertBits(expected, b.data().asFloat());
        }
    }

    @Test
    void fileShorterThanEightBytesIsRejected() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertMessage(() -> Safetensors.open(file), file + " is 3 bytes, too short for a safetensors file");
    }

    @Test
    void headerLengthPastTheEndOfTheFileIsRejected() throws IOException {
        Path file = write(dir.resolve("past.safetensors"), 500, "{}".getBytes());
        assertMessage(() -> Safetensors.open(file), file + ": safetensors header length 500 bytes runs past the end"
                + " of the file (10 bytes");
    }

    @Test
    void absurdHeaderLengthIsRejectedBeforeAllocating() throws IOException {
        Path huge = write(dir.resolve("huge.safetensors"), 1L << 40, new byte[64]);
        assertMessage(() -> Safetensors.open(huge), huge + ": safetensors header length 1099511627776 bytes is"
                + " absurd (the limit is 104857600 bytes)");
        Path negative = write(dir.resolve("negative.safetensors"), -1L, new byte[64]);
        assertMessage(() -> Safetensors.open(negative), "header length 18446744073709551615 bytes is absurd");
    }

    @Test
    void malformedJsonNamesTheFile() throws IOException {
        Path file = write(dir.resolve("json.safetensors"), "{\"a\": {\"dtype\": \"F32\", ", new byte[8]);
        assertMessage(() -> Safetensors.open(file), file + ": the safetensors JSON header is malformed");
        Path array = write(dir.resolve("array.safetensors"), "[1, 2]", new byte[0]);
        assertMessage(() -> Safetensors.open(array), array + ": the safetensors header is not a JSON object");
        Path duplicate = write(dir.resolve("dup.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1));
        assertMessage(() -> Safetensors.open(duplicate), "Duplicate field 'a'");
    }

    @Test
    void offsetsOutsideTheDataSectionNameTheTensor() throws IOException {
        Path file = write(dir.resolve("outside.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", floats(1, 2, 3, 4));
        assertMessage(() -> Safetensors.open(file), file + ": tensor w has data_offsets [8, 24] outside the data"
                + " section [0, 16]");
        Path backwards = write(dir.resolve("backwards.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", floats(1, 2, 3));
        assertMessage(() -> Safetensors.open(backwards), "tensor w has data_offsets [8, 4] outside the data section");
    }

    @Test
    void truncatedFileIsReportedForTheTensorsPastTheEnd() throws IOException {
        Path file = write(dir.resolve("full.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", floats(1, 2, 3, 4));
        byte[] bytes = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 5));
        assertMessage(() -> Safetensors.open(cut), cut + ": tensor b has data_offsets [8, 16] outside the data"
                + " section [0, 11]; the file is truncated or corrupt");
    }

    @Test
    void overlappingTensorsNameBoth() throws IOException {
        Path file = write(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", floats(1, 2, 3));
        assertMessage(() -> Safetensors.open(file), file + ": tensors a (data_offsets [0, 8]) and b (data_offsets"
                + " [4, 12]) overlap");
    }

    @Test
    void byteCountNotMatchingDtypeAndShapeIsRejected() throws IOException {
        Path file = write(dir.resolve("size.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", floats(1, 2, 3, 4, 5));
        assertMessage(() -> Safetensors.open(file), file + ": tensor w F32 [2, 3] needs 24 bytes (4 per element) but"
                + " its data_offsets [0, 20] span 20");
        Path half = write(dir.resolve("half.safetensors"),
                "{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", floats(1, 2));
        assertMessage(() -> Safetensors.open(half), "tensor w F16 [3] needs 6 bytes (2 per element)");
    }

    @Test
    void unknownDtypeIsNamedWithTheSupportedOnes() throws IOException {
        Path file = write(dir.resolve("x9.safetensors"),
                "{\"w\":{\"dtype\":\"X9\",\"shape\":[2],\"data_offsets\":[0,8]}}", floats(1, 2));
        assertMessage(() -> Safetensors.open(file), file + ": tensor w has unknown dtype \"X9\"; supported: F32, F16,"
                + " BF16");
    }

    @Test
    void float64IsRefusedWhenLoadedNamingTheTensor() throws IOException {
        Path file = write(dir.resolve("f64.safetensors"),
                "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                        + "\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", floats(0, 0, 7));
        try (Safetensors st = Safetensors.open(file)) {
            assertEquals(7f, st.load("ok").getFloat(0));
            assertMessage(() -> st.load("w"), file + ": tensor w [1] has dtype F64, which vit4j does not read;"
                    + " supported: F32, F16, BF16");
        }
    }

    @Test
    void missingTensorIsNamedWithASampleOfThePresentOnes() throws IOException {
        Path file = write(dir.resolve("names.safetensors"),
                "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1));
        try (Safetensors st = Safetensors.open(file)) {
            assertMessage(() -> st.load("beta"), file + " has no tensor beta; it holds 1 tensors such as [alpha]");
        }
    }

    @Test
    void malformedEntriesNameTheTensor() throws IOException {
        Path shape = write(dir.resolve("shape.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", floats(1));
        assertMessage(() -> Safetensors.open(shape), shape + ": tensor w has shape [-1]; expected non-negative");
        Path offsets = write(dir.resolve("offsets.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", floats(1));
        assertMessage(() -> Safetensors.open(offsets), offsets + ": tensor w has data_offsets [0]; expected [begin,"
                + " end]");
        Path dtype = write(dir.resolve("dtype.safetensors"), "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                floats(1));
        assertMessage(() -> Safetensors.open(dtype), dtype + ": tensor w has no dtype string");
        Path overflow = write(dir.resolve("overflow.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", floats(1));
        assertMessage(() -> Safetensors.open(overflow), "too large to exist");
    }

    private static void assertMessage(Executable call, String expectedPart) {
        ModelFormatException e = assertThrows(ModelFormatException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), "message: " + e.getMessage() + "\nexpected to contain: "
                + expectedPart);
    }

    private static void assertBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    "element " + i + ": expected " + expected[i] + " but got " + actual[i]);
        }
    }
}
