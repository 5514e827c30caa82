package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.fuzz.FuzzSeeds;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class VitFileTest {

    private static Pretrained cifar;

    @TempDir
    Path dir;

    @BeforeAll
    static void weights() {
        cifar = new Pretrained(VitWeights.random(VitConfig.cifar10(), 7), Preprocessing.cifar10());
    }

    @Test
    void roundTripGivesBitIdenticalTensors() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        Pretrained back = VitFile.read(file);

        assertEquals(cifar.config(), back.config());
        assertEquals(cifar.preprocessing(), back.preprocessing());
        Map<String, INDArray> want = cifar.weights().tensors();
        Map<String, INDArray> got = back.weights().tensors();
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
        for (String name : want.keySet()) {
            assertBitIdentical(name, want.get(name), got.get(name));
        }
    }

    @Test
    void readWrapsTheMappedFileWithoutCopying() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        Pretrained back = VitFile.read(file);
        INDArray head = back.weights().head().weight();
        TensorEntry entry = VitFile.inspect(file).tensors().stream()
                .filter(t -> t.name().equals("head.weight")).findFirst().orElseThrow();

        // Write a new value for head.weight[0, 0] into the file behind the reader's back: a copy would not see it,
        // a mapping of the same page cache does.
        float before = head.getFloat(0, 0);
        float changed = before + 1234.5f;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(changed).flip();
            ch.write(b, entry.offset());
        }
        assertEquals(changed, head.getFloat(0, 0), "the array must be a view of the file's pages");
        assertEquals(DataType.FLOAT, head.dataType());
        assertEquals('c', head.ordering());
    }

    @Test
    void mappedArraysOutliveTheirModelAcrossGarbageCollections() throws IOException, InterruptedException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        INDArray fc2 = VitFile.read(file).weights().blocks().get(3).fc2().weight().reshape(-1);
        float[] want = cifar.weights().blocks().get(3).fc2().weight().dup().data().asFloat();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(want[want.length - 1], fc2.getFloat(want.length - 1));
        assertEquals(want[0], fc2.getFloat(0));
    }

    @Test
    void writingTheSameModelTwiceGivesTheSameBytes() throws IOException {
        Path a = dir.resolve("a.vit");
        Path b = dir.resolve("b.vit");
        VitFile.write(a, cifar);
        VitFile.write(b, VitFile.read(a)); // also writes from mapped arrays
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void writeReplacesTheTargetAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("model.vit");
        Files.writeString(file, "old contents");
        VitFile.write(file, cifar);
        assertTrue(VitFile.isVitFile(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void tensorsAreAlignedAndTheHeaderDescribesTheModel() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        Inspection inspection = VitFile.inspect(file);

        assertTrue(inspection.ok(), inspection.problems().toString());
        assertEquals(1, inspection.formatVersion());
        assertEquals(Files.size(file), inspection.fileSize());
        assertEquals(VitConfig.cifar10(), inspection.config());
        assertEquals(Preprocessing.cifar10(), inspection.preprocessing());
        assertEquals(List.copyOf(VitWeights.expectedShapes(VitConfig.cifar10()).keySet()),
                inspection.tensors().stream().map(TensorEntry::name).toList());
        assertEquals(546_186, inspection.parameterCount());
        for (TensorEntry t : inspection.tensors()) {
            assertEquals(0, t.offset() % VitFile.ALIGNMENT, t.name());
            assertEquals(4 * t.elements(), t.length(), t.name());
            assertTrue(inspection.checksumOk().get(t.name()), t.name());
        }
        String header = new String(Files.readAllBytes(file), 16, (int) inspection.headerLength(),
                StandardCharsets.UTF_8);
        assertTrue(header.contains("config.layerNormEps=1.0E-5\n"), header);
        assertTrue(header.contains("config.label.9=truck\n"), header);
    }

    @Test
    void unusualLabelsAndEpsilonSurviveExactly() throws IOException {
        List<String> labels = List.of("a=b: c#!", " leading space", "chat 🐈 ü", "two\nlines", "back\\slash", "");
        VitConfig config = new VitConfig(8, 4, 3, 8, 1, 2, 16, 1.2345678901234567e-7, labels);
        Preprocessing prep = new Preprocessing(8, 1 / 255.0, new double[] {0.1, 0.2, 0.3},
                new double[] {Math.PI, Math.E, 1 / 3.0});
        Path file = dir.resolve("odd.vit");
        VitFile.write(file, new Pretrained(VitWeights.random(config, 3), prep));
        Pretrained back = VitFile.read(file);
        assertEquals(labels, back.config().labels());
        assertEquals(config.layerNormEps(), back.config().layerNormEps());
        assertEquals(prep, back.preprocessing());
    }

    @Test
    void roundResizedSurvivesTheRoundTripAndIsWrittenOnlyWhenOn() throws IOException {
        Path on = dir.resolve("rounded.vit");
        Path off = dir.resolve("cifar.vit");
        VitFile.write(on, new Pretrained(cifar.weights(), Preprocessing.imagenet(32).withRoundResized(true)));
        VitFile.write(off, cifar);

        assertEquals(Preprocessing.imagenet(32).withRoundResized(true), VitFile.read(on).preprocessing());
        assertEquals(cifar.preprocessing(), VitFile.read(off).preprocessing());
        assertTrue(headerText(on).contains("preprocessing.std=0.229,0.224,0.225\npreprocessing.roundResized=true\n"),
                headerText(on));
        assertFalse(headerText(off).contains("roundResized"), "off: the header is the same as before the key existed");
    }

    @Test
    void aHeaderWrittenBeforeRoundResizedExistedLoadsWithItOff() throws ModelFormatException {
        // The header of a model converted by vit4j before the key existed, as that version rendered it.
        Header old = Header.parse(withChecksum("""
                # vit4j native model: a Properties header, then 64-byte-aligned little-endian float32 tensors
                format.version=1
                config.imageSize=224
                config.patchSize=16
                config.channels=3
                config.hiddenSize=192
                config.layers=12
                config.heads=3
                config.mlpSize=768
                config.layerNormEps=1.0E-12
                config.labels=2
                config.label.0=cat
                config.label.1=dog
                preprocessing.size=224
                preprocessing.rescaleFactor=0.00392156862745098
                preprocessing.mean=0.5,0.5,0.5
                preprocessing.std=0.5,0.5,0.5
                tensors=0
                """), Path.of("old.vit"));

        assertFalse(old.preprocessing().roundResized());
        assertEquals(new Preprocessing(224, 1 / 255.0, new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5}),
                old.preprocessing());
    }

    @Test
    void theOriginalVitIsStillWrittenAsFormat1AndAnotherArchitectureAsFormat2WithItsKeys() throws Exception {
        Path vit = dir.resolve("vit.vit");
        Path clip = dir.resolve("clip.vit");
        VitConfig small = new VitConfig(32, 8, 3, 16, 1, 2, 32, 1e-5, VitConfig.numberedLabels(6));
        VitFile.write(vit, new Pretrained(VitWeights.random(small, 1), Preprocessing.cifar10()));
        VitConfig clipConfig = small.withArchitecture(io.github.vit4j.model.Architecture.clipVision(6));
        VitFile.write(clip, new Pretrained(VitWeights.random(clipConfig, 1), Preprocessing.cifar10()));

        assertTrue(headerText(vit).contains("format.version=1\n"), headerText(vit));
        assertFalse(headerText(vit).contains("architecture"), headerText(vit));
        assertTrue(headerText(clip).contains("format.version=2\n")
                && headerText(clip).contains("config.architecture.activation=QUICK_GELU\n"), headerText(clip));
        assertEquals(io.github.vit4j.model.Architecture.VIT, VitFile.read(vit).weights().config().architecture());
        assertEquals(clipConfig, VitFile.read(clip).weights().config());
    }

    @Test
    void aRoundResizedValueOtherThanTrueOrFalseIsRefusedNamingIt() {
        Header on = new Header(Header.VERSION, VitConfig.cifar10(), Preprocessing.cifar10().withRoundResized(true),
                List.of());
        String text = new String(on.render(), StandardCharsets.UTF_8);
        String bad = text.substring(0, text.indexOf(Header.CHECKSUM_KEY)).replace("roundResized=true", "roundResized=yes");

        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Header.parse(withChecksum(bad), Path.of("bad.vit")));
        assertTrue(e.getMessage().contains("preprocessing.roundResized is 'yes'; expected true or false"),
                e.getMessage());
    }

    /** Header text with its CRC-32C line appended, as Header.render ends it. */
    private static byte[] withChecksum(String body) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        crc.update(bytes);
        return (body + Header.CHECKSUM_KEY + "=" + String.format("%08x", crc.getValue()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String headerText(Path file) throws IOException {
        return new String(Files.readAllBytes(file), 16, (int) VitFile.inspect(file).headerLength(),
                StandardCharsets.UTF_8);
    }

    @Test
    void labelsHoldingLineBreaksThatPropertiesLeavesRawSurviveExactly() throws IOException {
        // found by HeaderFuzzTest: a vertical tab (or U+0085, U+2028, U+2029) cut the label short when written
        List<String> labels = List.of("a\u000Bb", "c\u0085d", "e\u2028f", "g\u2029h", "back\\\u000B");
        VitConfig config = new VitConfig(8, 4, 3, 8, 1, 2, 16, 1e-6, labels);
        Path file = dir.resolve("breaks.vit");
        VitFile.write(file, new Pretrained(VitWeights.random(config, 3), new Preprocessing(8, 1 / 255.0,
                new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.5, 0.5})));
        assertEquals(labels, VitFile.read(file).config().labels());
    }

    @Test
    void corruptedByteFailsTheChecksumNamingTheTensor() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        TensorEntry fc1 = entry(file, "blocks.1.mlp.fc1.weight");
        flipByte(file, fc1.offset() + 100);

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("blocks.1.mlp.fc1.weight [256, 128] fails its checksum"), e.getMessage());
        assertTrue(e.getMessage().contains("vit convert"), e.getMessage());

        Inspection inspection = VitFile.inspect(file);
        assertFalse(inspection.ok());
        assertFalse(inspection.checksumOk().get("blocks.1.mlp.fc1.weight"));
        assertEquals(1, inspection.checksumOk().values().stream().filter(ok -> !ok).count());

        // Reading without verification is the caller's explicit choice.
        assertEquals(VitConfig.cifar10(), VitFile.read(file, false).config());
    }

    @Test
    void corruptedHeaderIsDetected() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        byte[] bytes = Files.readAllBytes(file);
        int at = FuzzSeeds.indexOf(bytes, "config.heads=4".getBytes(StandardCharsets.UTF_8));
        bytes[at + "config.heads=".length()] = '2';
        Files.write(file, bytes);

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains(file + ": header checksum mismatch"), e.getMessage());
    }

    @Test
    void truncatedFileGivesAClearError() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        long size = Files.size(file);
        truncate(file, size / 2);

        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ": tensor "), e.getMessage());
        assertTrue(e.getMessage().contains("past the end of the file (" + size / 2 + " bytes): the file is truncated"),
                e.getMessage());

        Inspection inspection = VitFile.inspect(file);
        assertFalse(inspection.checksumOk().get("head.bias"));
        assertTrue(inspection.checksumOk().get("patch_embed.proj.weight"));
    }

    @Test
    void fileCutInsideTheHeaderOrPreambleGivesAClearError() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        truncate(file, 200);
        ModelFormatException inHeader = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(inHeader.getMessage().contains("runs past the end of the file (200 bytes"), inHeader.getMessage());

        truncate(file, 12);
        ModelFormatException inPreamble = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(inPreamble.getMessage().contains(file + " is truncated: 12 bytes"), inPreamble.getMessage());

        truncate(file, 5);
        ModelFormatException inMagic = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(inMagic.getMessage().contains(file + " is truncated: 5 bytes"), inMagic.getMessage());
    }

    @Test
    void absurdHeaderLengthIsRejectedBeforeAllocating() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 3).flip(), 8);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains("header length " + (Long.MAX_VALUE - 3) + " bytes is absurd"),
                e.getMessage());
    }

    @Test
    void badMagicSaysItIsNotAVitFile() throws IOException {
        Path text = dir.resolve("notes.vit");
        Files.writeString(text, "hello, this is not a model at all");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(text));
        assertTrue(e.getMessage().contains(text + " is not a vit4j file"), e.getMessage());
        assertTrue(e.getMessage().contains("vit convert"), e.getMessage());
        assertFalse(VitFile.isVitFile(text));

        Path safetensors = dir.resolve("model.safetensors");
        byte[] json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer st = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        st.putLong(json.length).put(json).putFloat(1f);
        Files.write(safetensors, st.array());
        ModelFormatException s = assertThrows(ModelFormatException.class, () -> VitFile.inspect(safetensors));
        assertTrue(s.getMessage().contains("looks like a safetensors file"), s.getMessage());

        Path empty = Files.createFile(dir.resolve("empty.vit"));
        ModelFormatException z = assertThrows(ModelFormatException.class, () -> VitFile.read(empty));
        assertTrue(z.getMessage().contains(empty + " is empty (0 bytes), not a vit4j file"), z.getMessage());
    }

    @Test
    void headerDeclaringTenMillionLayersIsRefusedBeforeItsShapesAreBuilt() throws IOException {
        Path file = dir.resolve("cifar.vit");
        for (String layers : List.of("2000", "10000000")) { // checksummed: a consistent lie, not a corrupt byte
            VitFile.write(file, cifar);
            replaceInHeader(file, "config.layers=4\n", "config.layers=" + layers + "\n");
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
            assertTrue(e.getMessage().contains(file + ": the header's config is invalid: layers is " + layers
                    + ", more than VitConfig.MAX_LAYERS = " + VitConfig.MAX_LAYERS), e.getMessage());
            ModelFormatException i = assertThrows(ModelFormatException.class, () -> VitFile.inspect(file));
            assertEquals(e.getMessage(), i.getMessage());
        }
    }

    @Test
    void flippedMagicByteSaysItIsNotAValidVitFileWithExpectedAndActualBytes() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        flipByte(file, 3); // '4' (0x34) becomes '$' (0x24)
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains(file + " is not a valid .vit file: bad magic (expected 56 49 54 34 4a 00"
                + " 76 31 \"VIT4J\\0v1\", got 56 49 54 24 4a 00 76 31)"), e.getMessage());
        assertTrue(e.getMessage().contains("vit convert"), e.getMessage());
        assertFalse(VitFile.isVitFile(file));
        assertTrue(VitFile.looksLikeVitFile(file), "one byte off the magic: a damaged .vit file");

        Path renamed = Files.move(file, dir.resolve("weights.bin"));
        assertTrue(VitFile.looksLikeVitFile(renamed), "whatever its name");
        Path other = Files.writeString(dir.resolve("notes.txt"), "hello, this is not a model at all");
        assertFalse(VitFile.looksLikeVitFile(other));
        assertTrue(VitFile.looksLikeVitFile(Files.writeString(dir.resolve("notes.VIT"), "hello")), "named .vit");
    }

    @Test
    void headerConfigThatDoesNotFitTheTensorsNamesTheTensor() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        rewriteHeader(file, "config.imageSize=32", "config.imageSize=16");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains(file + ": tensor pos_embed has shape [65, 128] but"), e.getMessage());
        assertTrue(e.getMessage().contains("needs [17, 128]; 65 tokens is a 8×8 patch grid: is this a 32px model?"),
                e.getMessage());

        VitFile.write(file, cifar);
        rewriteHeader(file, "config.layers=4", "config.layers=5");
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(missing.getMessage().contains("tensor blocks.4.norm1.weight [128] is missing"), missing.getMessage());

        VitFile.write(file, cifar);
        rewriteHeader(file, "config.layers=4", "config.layers=3");
        ModelFormatException unknown = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(unknown.getMessage().contains("unknown tensor blocks.3.norm1.weight [128]"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("is config.layers right?"), unknown.getMessage());
    }

    @Test
    void offsetOutsideTheFileIsReported() throws IOException {
        Path file = dir.resolve("cifar.vit");
        VitFile.write(file, cifar);
        List<TensorEntry> table = VitFile.inspect(file).tensors();
        int k = table.size() - 1;
        TensorEntry bias = table.get(k);
        assertEquals("head.bias", bias.name());
        String from = "tensor." + k + ".offset=" + bias.offset();
        String to = "tensor." + k + ".offset=" + (bias.offset() + 6400); // same number of digits, 64-aligned
        rewriteHeader(file, from, to);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VitFile.read(file));
        assertTrue(e.getMessage().contains("tensor head.bias [10] lies at bytes [" + (bias.offset() + 6400)),
                e.getMessage());
    }

    private static void assertBitIdentical(String name, INDArray want, INDArray got) {
        assertArrayEquals(want.shape(), got.shape(), name);
        float[] a = want.dup().data().asFloat();
        float[] b = got.data().asFloat();
        assertEquals(a.length, b.length, name);
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                throw new AssertionError(name + "[" + i + "]: " + a[i] + " != " + b[i]);
            }
        }
    }

    private static TensorEntry entry(Path file, String name) throws IOException {
        return VitFile.inspect(file).tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x10);
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Replaces text of equal length in the header and recomputes the header checksum (a consistent lie). */
    private static void rewriteHeader(Path file, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 16, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.contains(from + "\n"), from);
        String body = header.substring(0, header.lastIndexOf(Header.CHECKSUM_KEY)).replace(from + "\n", to + "\n");
        String fixed = body + Header.CHECKSUM_KEY + "=" + Header.hex(Header.crc32c(body.getBytes(StandardCharsets.UTF_8)))
                + "\n";
        byte[] newHeader = fixed.getBytes(StandardCharsets.UTF_8);
        assertEquals(headerLength, newHeader.length);
        System.arraycopy(newHeader, 0, bytes, 16, newHeader.length);
        Files.write(file, bytes);
    }

    /** Replaces header text (any length) and recomputes the header checksum and length; the tensors shift. */
    private static void replaceInHeader(Path file, String from, String to) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 16, headerLength, StandardCharsets.UTF_8);
        String body = header.substring(0, header.lastIndexOf(Header.CHECKSUM_KEY));
        assertTrue(body.contains(from), from);
        body = body.replace(from, to);
        byte[] newHeader = (body + Header.CHECKSUM_KEY + "=" + Header.hex(Header.crc32c(
                body.getBytes(StandardCharsets.UTF_8))) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(bytes.length - headerLength + newHeader.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(bytes, 0, 8).putLong(newHeader.length).put(newHeader)
                .put(bytes, 16 + headerLength, bytes.length - 16 - headerLength);
        Files.write(file, out.array());
    }

    /** The fuzz seeds' models ({@link VitFileFuzzSeeds}, laid out without ND4J) are byte for byte the writer's. */
    @Test
    void fuzzSeedModelsAreLaidOutAsTheWriterLaysThemOut() throws IOException {
        VitConfig config = new VitConfig(2, 1, 1, 2, 1, 1, 2, 1e-6, List.of("cat", "dog, or \u00e9\n"));
        Preprocessing prep = new Preprocessing(2, 1 / 255.0, new double[] {0.5}, new double[] {0.25});
        Path file = dir.resolve("seed-layout.vit");
        VitFile.write(file, new Pretrained(VitWeights.random(config, 3), prep));
        assertArrayEquals(Files.readAllBytes(file), VitFileFuzzSeeds.model(config, prep, 3).bytes());
    }
}
