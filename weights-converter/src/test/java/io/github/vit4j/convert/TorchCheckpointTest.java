package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.TorchCheckpoints.Storage;
import io.github.vit4j.convert.TorchCheckpoints.Tensor;
import io.github.vit4j.format.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch checkpoints are read without running them: real files from ../shared, the two files of
 * {@code src/test/resources/torch/make.py} (views sharing a storage, float16, bfloat16, float64, in the zip and legacy
 * formats) as the test writer {@link TorchCheckpoints} writes them, with the values PyTorch 1.13 gave, other files of
 * the test writer, and hostile files built here byte by byte, each refused with a message naming what is wrong.
 */
class TorchCheckpointTest {

    /** Where the test writes make.py's two checkpoints (generated fixtures belong in target/). */
    static final Path GENERATED = Path.of("target", "torch-checkpoints");

    @TempDir
    Path dir;

    // --- real checkpoints --------------------------------------------------------------------------------------------

    @Test
    void simpleVitCheckpointGivesTheTensorsOfItsSafetensorsTwinBitForBit() throws IOException {
        Path pytorch = SharedAssets.resolve("models/simplevit-cifar10/pytorch");
        try (WeightsFile pt = WeightsFile.open(pytorch.resolve("vit.pt"));
             WeightsFile st = WeightsFile.open(pytorch.resolve("model.safetensors"))) {
            assertTrue(pt instanceof TorchCheckpoint);
            assertEquals(56, pt.names().size());
            assertEquals(st.names(), pt.names());
            for (String name : st.names()) {
                assertArrayEquals(st.shape(name), pt.shape(name), name);
                assertBitIdentical(st.load(name), pt.load(name), name);
            }
        }
    }

    /**
     * The state dict of {@code src/test/resources/torch/make.py}, as PyTorch 1.13 saved it: w = arange(12) as float32
     * [3, 4]; wt = w.t() and row = w[1], views of w's storage (strides [1, 4]; offset 4); h float16, b bfloat16 and d
     * float64, each in a storage of its own. The storage bytes are those of PyTorch's files; the keys are the zip
     * format's (0 to 3) or the legacy format's (the storages' ids, here those PyTorch's legacy file held, whose
     * sorted order puts w's storage last).
     */
    static byte[] viewsAndDtypes(boolean legacy) throws IOException {
        List<String> keys = legacy ? List.of("232372880", "170574688", "170574992", "232369984")
                : List.of("0", "1", "2", "3");
        ByteBuffer w = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) {
            w.putFloat(i);
        }
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-1e-3);
        Map<String, Storage> storages = new LinkedHashMap<>();
        storages.put(keys.get(0), new Storage("FloatStorage", 12, w.array()));
        storages.put(keys.get(1), new Storage("HalfStorage", 4, shorts(0x3c00, 0xc000, 0x3800, 0x7bff)));
        storages.put(keys.get(2), new Storage("BFloat16Storage", 3, shorts(0x3f80, 0xc040, 0x3e20)));
        storages.put(keys.get(3), new Storage("DoubleStorage", 2, d.array()));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", new Tensor(keys.get(0), 0, new long[] {3, 4}, new long[] {4, 1}));
        tensors.put("wt", new Tensor(keys.get(0), 0, new long[] {4, 3}, new long[] {1, 4}));
        tensors.put("row", new Tensor(keys.get(0), 4, new long[] {4}, new long[] {1}));
        tensors.put("h", new Tensor(keys.get(1), 0, new long[] {4}, new long[] {1}));
        tensors.put("b", new Tensor(keys.get(2), 0, new long[] {3}, new long[] {1}));
        tensors.put("d", new Tensor(keys.get(3), 0, new long[] {2}, new long[] {1}));
        // torch.save names the zip's root folder after the file and, in 1.13, wrote no byteorder record
        return legacy ? TorchCheckpoints.legacy(storages, tensors)
                : TorchCheckpoints.zip("views-and-dtypes", TorchCheckpoints.statePickle(storages, tensors), storages,
                        null);
    }

    /**
     * Writes make.py's two files as the test writer makes them, under {@code target/torch-checkpoints/} (kept there
     * for make.py's by-hand check with PyTorch), and returns their paths: the zip format, then the legacy format.
     */
    static List<Path> writeViewsAndDtypes() throws IOException {
        Files.createDirectories(GENERATED);
        return List.of(Files.write(GENERATED.resolve("views-and-dtypes.pt"), viewsAndDtypes(false)),
                Files.write(GENERATED.resolve("views-and-dtypes-legacy.pt"), viewsAndDtypes(true)));
    }

    @Test
    void makePysZipAndLegacyFilesGiveViewsAndEveryFloatDtypeAsFloat32() throws IOException {
        for (Path file : writeViewsAndDtypes()) {
            String name = file.getFileName().toString();
            try (WeightsFile f = WeightsFile.open(file)) {
                assertTrue(f instanceof TorchCheckpoint, name);
                assertEquals(List.of("w", "wt", "row", "h", "b", "d"), List.copyOf(f.names()), name);
                float[] w = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
                assertArrayEquals(w, floats(f.load("w")), name);
                assertArrayEquals(new long[] {4, 3}, f.shape("wt"));
                assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, floats(f.load("wt")), name);
                assertArrayEquals(new float[] {4, 5, 6, 7}, floats(f.load("row")), name);
                assertArrayEquals(new float[] {1, -2, 0.5f, 65504}, floats(f.load("h")), name);
                assertArrayEquals(new float[] {1, -3, 0.15625f}, floats(f.load("b")), name);
                assertArrayEquals(new float[] {(float) 0.1, (float) -1e-3}, floats(f.load("d")), name);
            }
        }
    }

    // --- the test writer and hand-built storages -------------------------------------------------------------------

    @Test
    void whatTheTestWriterWritesIsReadBackExactly() throws IOException {
        Map<String, INDArray> state = new LinkedHashMap<>();
        state.put("vit.embeddings.cls_token", Nd4j.rand(DataType.FLOAT, 1, 1, 8));
        state.put("classifier.weight", Nd4j.rand(DataType.FLOAT, 3, 8).subi(0.5));
        state.put("scalar", Nd4j.scalar(DataType.FLOAT, -1.5f));
        state.put("empty", Nd4j.create(DataType.FLOAT, 0, 4));
        Path file = dir.resolve("pytorch_model.bin");
        TorchCheckpoints.write(file, state);
        try (WeightsFile f = WeightsFile.open(file)) {
            assertEquals(List.copyOf(state.keySet()), List.copyOf(f.names()));
            for (String name : state.keySet()) {
                assertArrayEquals(state.get(name).shape(), f.shape(name), name);
                assertBitIdentical(state.get(name), f.load(name), name);
            }
        }
    }

    @Test
    void float16Bfloat16AndFloat64StoragesAreWidenedToFloat32() throws IOException {
        Map<String, Storage> storages = new LinkedHashMap<>();
        storages.put("0", new Storage("HalfStorage", 4, shorts(0x3c00, 0xc000, 0x0001, 0x7c00)));
        storages.put("1", new Storage("BFloat16Storage", 2, shorts(0x3f80, 0xc040)));
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-2.5);
        storages.put("2", new Storage("DoubleStorage", 2, d.array()));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("half", new Tensor("0", 0, new long[] {4}, new long[] {1}));
        tensors.put("bf16", new Tensor("1", 0, new long[] {2}, new long[] {1}));
        tensors.put("f64", new Tensor("2", 0, new long[] {2}, new long[] {1}));
        try (WeightsFile f = open(TorchCheckpoints.statePickle(storages, tensors), storages)) {
            // 0x3c00 = 1, 0xc000 = -2, 0x0001 = the smallest subnormal 2^-24, 0x7c00 = +inf
            assertArrayEquals(new float[] {1, -2, 0x1p-24f, Float.POSITIVE_INFINITY}, floats(f.load("half")));
            assertArrayEquals(new float[] {1, -3}, floats(f.load("bf16")));
            assertArrayEquals(new float[] {(float) 0.1, -2.5f}, floats(f.load("f64")));
        }
    }

    @Test
    void stridesAndOffsetsPickElementsOfOneSharedStorage() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) {
            b.putFloat(i);
        }
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 12, b.array()));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("transposed", new Tensor("0", 0, new long[] {3, 2}, new long[] {1, 3})); // of [[0,1,2],[3,4,5]]
        tensors.put("slice", new Tensor("0", 9, new long[] {3}, new long[] {1}));
        tensors.put("expanded", new Tensor("0", 6, new long[] {2, 2}, new long[] {0, 1})); // a row repeated
        try (WeightsFile f = open(TorchCheckpoints.statePickle(storages, tensors), storages)) {
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, floats(f.load("transposed")));
            assertArrayEquals(new float[] {9, 10, 11}, floats(f.load("slice")));
            assertArrayEquals(new float[] {6, 7, 6, 7}, floats(f.load("expanded")));
        }
    }

    @Test
    void aStateDictNestedUnderOneKeyIsFoundAndSeveralCandidatesAreRefused() throws IOException {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 1, new byte[4]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("0", 0, new long[] {1}, new long[] {1}));
        byte[] stateDict = TorchCheckpoints.statePickle(storages, tensors);
        byte[] body = java.util.Arrays.copyOfRange(stateDict, 2, stateDict.length - 1); // without PROTO and STOP
        byte[] nested = new PickleBytes().proto(2).emptyDict().mark().string("epoch").integer(3)
                .string("state_dict").raw(body).setItems().stop().toByteArray();
        try (WeightsFile f = open(nested, storages)) {
            assertEquals(List.of("w"), List.copyOf(f.names()));
        }
        byte[] twice = new PickleBytes().proto(2).emptyDict().mark().string("model").raw(body)
                .string("ema").raw(body).setItems().stop().toByteArray();
        assertRefused(() -> open(twice, storages), "holds a dict with keys [model, ema], several [model, ema] of"
                + " which is a dict of tensors");
    }

    @Test
    void integerTensorsAreNamedWithTheirDtypeWhenLoaded() throws IOException {
        Map<String, Storage> storages = Map.of("0", new Storage("LongStorage", 1, new byte[8]));
        Map<String, Tensor> tensors = Map.of("num_batches_tracked", new Tensor("0", 0, new long[] {}, new long[] {}));
        try (WeightsFile f = open(TorchCheckpoints.statePickle(storages, tensors), storages)) {
            assertRefused(() -> f.load("num_batches_tracked"), "tensor num_batches_tracked [] has dtype int64"
                    + " (torch.LongStorage), which vit4j does not read; supported: float32, float16, bfloat16,"
                    + " float64");
        }
    }

    // --- hostile pickles: refused at the global they name, before any call ---------------------------------------

    @Test
    void osSystemThroughGlobalAndReduceIsRefusedNamingIt() {
        byte[] evil = new PickleBytes().proto(2).global("os", "system").mark().string("touch /tmp/pwned").tuple()
                .reduce().stop().toByteArray();
        assertRefused(() -> open(evil, Map.of()), "data.pkl) at pickle byte 2: the pickle refers to os.system, which"
                + " is not on vit4j's allow-list", "nothing was executed");
    }

    @Test
    void subprocessPopenIsRefusedNamingIt() {
        byte[] evil = new PickleBytes().proto(2).global("subprocess", "Popen").mark().string("sh").tuple()
                .reduce().stop().toByteArray();
        assertRefused(() -> open(evil, Map.of()), "refers to subprocess.Popen");
    }

    @Test
    void builtinsEvalThroughStackGlobalIsRefusedNamingIt() {
        byte[] evil = new PickleBytes().proto(4).string("builtins").string("eval").stackGlobal().mark()
                .string("__import__('os').system('id')").tuple().reduce().stop().toByteArray();
        assertRefused(() -> open(evil, Map.of()), "refers to builtins.eval");
    }

    @Test
    void aGlobalHiddenInTheStateOfABuildIsRefusedAndBuildOnAnythingButADictToo() {
        byte[] nested = new PickleBytes().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
                .emptyDict().mark().string("_metadata").global("builtins", "exec").mark().string("x").tuple()
                .reduce().setItems().build().stop().toByteArray();
        assertRefused(() -> open(nested, Map.of()), "refers to builtins.exec");
        byte[] onString = new PickleBytes().proto(2).string("x").emptyDict().build().stop().toByteArray();
        assertRefused(() -> open(onString, Map.of()), "BUILD sets the state of str 'x', which a state dict never"
                + " does");
    }

    @Test
    void objectCreatingOpcodesAreRefused() {
        byte[] newobj = new PickleBytes().proto(2).global("collections", "OrderedDict").emptyTuple().op(0x81).stop()
                .toByteArray();
        assertRefused(() -> open(newobj, Map.of()), "pickle opcode 0x81 (NEWOBJ) is not something a state dict");
    }

    @Test
    void storageTypesAreNeverCalled() {
        byte[] call = new PickleBytes().proto(2).global("torch", "FloatStorage").emptyTuple().reduce().stop()
                .toByteArray();
        assertRefused(() -> open(call, Map.of()), "torch.FloatStorage is a storage type, which a state dict refers"
                + " to but never calls");
    }

    // --- hostile archives and sizes: refused before anything is allocated ---------------------------------------

    @Test
    void aStorageKeyPointingOutsideTheArchiveIsRefused() {
        Map<String, Storage> storages = Map.of("../../etc/passwd", new Storage("FloatStorage", 1, new byte[4]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("../../etc/passwd", 0, new long[] {1}, new long[] {1}));
        assertRefused(() -> open(TorchCheckpoints.statePickle(storages, tensors), Map.of()),
                "storage key \"../../etc/passwd\" is not a plain name (letters, digits, _); it would point outside"
                        + " archive/data/");
    }

    @Test
    void aStorageMissingFromTheArchiveIsRefused() {
        Map<String, Storage> storages = Map.of("7", new Storage("FloatStorage", 1, new byte[4]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("7", 0, new long[] {1}, new long[] {1}));
        assertRefused(() -> open(TorchCheckpoints.statePickle(storages, tensors), Map.of()),
                "storage 7 has no entry archive/data/7 in the archive");
    }

    @Test
    void aCompressedStorageEntryIsRefusedAsAPossibleZipBomb() throws IOException {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 4, new byte[16]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("0", 0, new long[] {4}, new long[] {1}));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(TorchCheckpoints.statePickle(storages, tensors));
            zip.putNextEntry(new ZipEntry("archive/data/0")); // deflated: 16 MiB of zeros in ~16 KB
            zip.write(new byte[16 << 20]);
        }
        Path file = Files.write(dir.resolve("bomb.pt"), bytes.toByteArray());
        assertRefused(() -> WeightsFile.open(file), "entry archive/data/0 is compressed (", "declaring 16777216)",
                "a zip bomb inflates without bound");
    }

    @Test
    void aPickleEntryInflatingPastItsLimitIsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i <= TorchPickle.MAX_PICKLE_BYTES >> 20; i++) {
                zip.write(zeros);
            }
        }
        Path file = Files.write(dir.resolve("bomb.pt"), bytes.toByteArray());
        assertRefused(() -> WeightsFile.open(file), "entry archive/data.pkl is over 67108864 bytes");
    }

    @Test
    void aStorageDeclaringMoreElementsThanItsEntryHoldsIsRefused() {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 1L << 40, new byte[16]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("0", 0, new long[] {1L << 20, 1L << 20},
                new long[] {1L << 20, 1}));
        assertRefused(() -> open(TorchCheckpoints.statePickle(storages, tensors), storages),
                "storage 0 declares 1099511627776 elements of float32 (4398046511104 bytes) but its entry"
                        + " archive/data/0 holds 16 bytes");
    }

    @Test
    void aTensorReachingPastItsStorageOrTooLargeToExistIsRefused() {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 4, new byte[16]));
        Map<String, Tensor> past = Map.of("w", new Tensor("0", 2, new long[] {2, 2}, new long[] {2, 1}));
        assertRefused(() -> open(TorchCheckpoints.statePickle(storages, past), storages),
                "tensor w [2, 2] (stride [2, 1], offset 2) reaches element 5 of storage 0, which holds 4");
        Map<String, Tensor> huge = Map.of("w", new Tensor("0", 0, new long[] {1L << 31, 1L << 31, 1L << 31},
                new long[] {0, 0, 0}));
        assertRefused(() -> open(TorchCheckpoints.statePickle(storages, huge), storages),
                "tensor w has shape [2147483648, 2147483648, 2147483648]", "too large to exist");
    }

    @Test
    void aBroadcastTensorWhoseFloat32BytesOverflowALongIsRefusedWhenLoadedNotAllocated() throws IOException {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 1, new byte[4]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("0", 0, new long[] {1L << 62}, new long[] {0}));
        try (WeightsFile f = open(TorchCheckpoints.statePickle(storages, tensors), storages)) {
            assertRefused(() -> f.load("w"), "tensor w [4611686018427387904] is over 2 GiB");
        }
    }

    @Test
    void stringsDeclaringHugeOrMissingLengthsAreRefusedBeforeAllocating() {
        byte[] huge = new PickleBytes().proto(2).binUnicodeHeader(0xffff_ffffL).stop().toByteArray();
        assertRefused(() -> open(huge, Map.of()), "BINUNICODE string declares 4294967295 bytes, more than vit4j"
                + " reads in a pickle");
        byte[] missing = new PickleBytes().proto(2).binUnicodeHeader(1000).raw(new byte[5]).toByteArray();
        assertRefused(() -> open(missing, Map.of()), "BINUNICODE string declares 1000 bytes but only 5 remain");
    }

    @Test
    void aPickleOfMoreOpcodesThanAStateDictNeedsIsRefusedBeforeItFillsMemory() {
        PickleBytes p = new PickleBytes().proto(2).emptyList();
        for (long i = 0; i < TorchPickle.MAX_OPCODES / 2; i++) {
            p.emptyDict().op('a'); // APPEND: a list of a million empty dicts in 2 MB
        }
        assertRefused(() -> open(p.stop().toByteArray(), Map.of()), "the pickle runs past 1048576 opcodes");
    }

    @Test
    void aLegacyFileWhosePickleRunsPast64MiBIsRefused() throws IOException {
        Path file = dir.resolve("long-legacy.pt");
        try (var out = Files.newOutputStream(file)) {
            out.write(new PickleBytes().proto(2).long1(TorchCheckpoints.LEGACY_MAGIC).stop().proto(2).integer(1001)
                    .stop().proto(2).emptyDict().stop().proto(2).toByteArray());
            byte[] string = new PickleBytes().binUnicodeHeader(1 << 20).raw(new byte[1 << 20]).op('0').toByteArray();
            for (int i = 0; i <= TorchPickle.MAX_PICKLE_BYTES >> 20; i++) {
                out.write(string); // a string of 1 MiB, popped: 65 of them
            }
        }
        assertRefused(() -> WeightsFile.open(file), "the pickle runs past 67108864 bytes");
    }

    @Test
    void bigEndianCheckpointsAreRefusedInBothFormats() throws IOException {
        Map<String, Storage> storages = Map.of("0", new Storage("FloatStorage", 1, new byte[4]));
        Map<String, Tensor> tensors = Map.of("w", new Tensor("0", 0, new long[] {1}, new long[] {1}));
        Path zip = Files.write(dir.resolve("big.pt"),
                TorchCheckpoints.zip("archive", TorchCheckpoints.statePickle(storages, tensors), storages, "big"));
        assertRefused(() -> WeightsFile.open(zip), "was saved on a big-endian machine (archive/byteorder: big);"
                + " vit4j reads little-endian checkpoints only");
        PickleBytes legacy = new PickleBytes().proto(2).long1(TorchCheckpoints.LEGACY_MAGIC).stop()
                .proto(2).integer(1001).stop().proto(2).emptyDict().mark().string("little_endian")
                .bool(false).setItems().stop();
        Path old = Files.write(dir.resolve("big-legacy.pt"), legacy.toByteArray());
        assertRefused(() -> WeightsFile.open(old), "its system info says little_endian: False");
    }

    @Test
    void aTruncatedLegacyFileIsRefused() throws IOException {
        byte[] whole = viewsAndDtypes(true);
        Path cut = Files.write(dir.resolve("cut.pt"), java.util.Arrays.copyOf(whole, whole.length - 10));
        assertRefused(() -> WeightsFile.open(cut), "the file ends at byte " + (whole.length - 10)
                + ": it is truncated or corrupt");
    }

    @Test
    void aFileThatIsNoCheckpointSaysHowItStarts() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.pt"), "hello, world");
        assertRefused(() -> WeightsFile.open(file), "is not a PyTorch checkpoint: it starts with 68 65 6c 6c");
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /** A zip checkpoint of this pickle and these storages, opened. */
    private WeightsFile open(byte[] pickle, Map<String, Storage> storages) throws IOException {
        Path file = Files.write(dir.resolve("model.pt"), TorchCheckpoints.zip("archive", pickle, storages, "little"));
        return WeightsFile.open(file);
    }

    private static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private static float[] floats(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    static void assertBitIdentical(INDArray expected, INDArray actual, String name) {
        assertArrayEquals(expected.shape(), actual.shape(), name);
        float[] x = floats(expected);
        float[] y = floats(actual);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "]");
        }
    }

    private interface Call {
        Object run() throws IOException;
    }

    private static void assertRefused(Call call, String... expectedParts) {
        ModelFormatException e = assertThrows(ModelFormatException.class, call::run);
        for (String part : expectedParts) {
            assertTrue(e.getMessage().contains(part), "message: " + e.getMessage() + "\nexpected to contain: " + part);
        }
    }
}
