package io.github.vit4j.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the binary seed corpora of this module's fuzz tests ({@link SafetensorsFuzzTest},
 * {@link TorchCheckpointFuzzTest}, and {@link ShardedCheckpointFuzzTest}'s one binary finding), so that no binary
 * file is committed: the build runs {@link #main} in
 * {@code process-test-classes} (exec-maven-plugin, see the pom) with {@code target/test-classes} as its argument, and
 * Jazzer finds {@code <Class>Inputs/<method>/} there on the class path, both in the normal test run (regression mode)
 * and in the {@code fuzz} profile's campaigns. Inputs a campaign found ({@code finding-*}) are re-created here, each
 * built to hit the same refusal it once showed; {@code FuzzSeedsTest} checks that they still do. A new finding is
 * added here, not committed as a file.
 */
public final class FuzzSeeds {

    private static final String METHOD = "anyBytesAreTensorsOrANamedRefusal";

    private FuzzSeeds() {
    }

    /** {@code args[0]}: the test class path's root ({@code ${project.build.testOutputDirectory}}). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FuzzSeeds <test-classes folder>");
        }
        Path root = Path.of(args[0]).resolve(FuzzSeeds.class.getPackageName().replace('.', '/'));
        safetensors(inputs(root, "SafetensorsFuzzTest"));
        torch(inputs(root, "TorchCheckpointFuzzTest"));
        shardIndex(Files.createDirectories(root.resolve("ShardedCheckpointFuzzTestInputs")
                .resolve("anyIndexIsShardsOrANamedRefusal")));
    }

    private static Path inputs(Path packageDir, String testClass) throws IOException {
        return Files.createDirectories(packageDir.resolve(testClass + "Inputs").resolve(METHOD));
    }

    // ---------------------------------------------------------------------------------------------- safetensors

    /** The safetensors seeds: headers padded with spaces to a multiple of 8 bytes, as the Python writer does. */
    static void safetensors(Path dir) throws IOException {
        SafetensorsFiles.write(dir.resolve("f32-two-tensors.safetensors"), padded("{\"__metadata__\":{\"format\":"
                + "\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"b\":{\"dtype\":\"F32\","
                + "\"shape\":[2],\"data_offsets\":[24,32]}}"), SafetensorsFiles.floats(0, 1, 2, 3, 4, 5, 1, -1));
        SafetensorsFiles.write(dir.resolve("f16-and-bf16.safetensors"), padded("{\"h\":{\"dtype\":\"F16\",\"shape\":"
                + "[3],\"data_offsets\":[0,6]},\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]}}"),
                SafetensorsFiles.shorts(0x3c00, 0x3800, 0xc000, 0x3f80, 0xc040)); // 1, 0.5, -2 | 1, -3
        SafetensorsFiles.write(dir.resolve("i64-unsupported.safetensors"), padded("{\"n\":{\"dtype\":\"I64\","
                + "\"shape\":[2],\"data_offsets\":[0,16]}}"), longs(1, 2));
        SafetensorsFiles.write(dir.resolve("empty-tensor-and-scalar.safetensors"), padded("{\"e\":{\"dtype\":\"F32\","
                + "\"shape\":[0,4],\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":"
                + "[0,4]}}"), SafetensorsFiles.floats(7));
        SafetensorsFiles.write(dir.resolve("hf-names.safetensors"), padded("{\"vit.embeddings.cls_token\":{\"dtype\":"
                + "\"F32\",\"shape\":[1,1,2],\"data_offsets\":[0,8]},\"classifier.bias\":{\"dtype\":\"F32\",\"shape\":"
                + "[2],\"data_offsets\":[8,16]}}"), SafetensorsFiles.floats(1, 1, 0, 0));
        SafetensorsFiles.write(dir.resolve("header-not-json.safetensors"), "{\"a\":", new byte[0]);
        SafetensorsFiles.write(dir.resolve("header-length-only.safetensors"), 2, ascii("{}"));
        // Found by the 2026-11-25 campaign after 263 executions: "{" then five NULs make Jackson guess UTF-32, and
        // its CharConversionException did not name the file (now refused as "not UTF-8 JSON"). The found bytes.
        SafetensorsFiles.write(dir.resolve("finding-header-read-as-utf32-refused-without-file-name.safetensors"), 56,
                concat(ascii("{\0\0\0\0\0\"n\":{\"dtype\":\"I65\",\"shape\":[2],\"data_offsets\":Y0,1"),
                        HexFormat.of().parseHex("365d7d0020017d0004000000000200000000000000")));
    }

    /** {@code json} followed by spaces up to a multiple of 8 bytes. */
    private static String padded(String json) {
        int n = json.getBytes(StandardCharsets.UTF_8).length;
        return json + " ".repeat((8 - n % 8) % 8);
    }

    // ---------------------------------------------------------------------------------------------- shard index

    /**
     * The binary finding of {@link ShardedCheckpointFuzzTest} (its text seeds are committed): an index whose first
     * bytes, "{" and seven NULs, make Jackson guess UTF-32, whose CharConversionException did not name the file (now
     * refused as "not UTF-8 JSON"). Found by the 2026-12-07 campaign after 77 executions; the found bytes.
     */
    static void shardIndex(Path dir) throws IOException {
        byte[] ff = new byte[23];
        Arrays.fill(ff, (byte) 0xff);
        Files.write(dir.resolve("finding-index-read-as-utf32-refused-without-file-name.json"), concat(concat(
                ascii("{\0\0\0\0\0\0\0imap\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"mode"), ff),
                ascii(".index.json\"}}\n")));
    }

    // ---------------------------------------------------------------------------------------------- torch.save

    /**
     * One state dict in both of torch.save's formats, as {@code src/test/resources/torch/make.py} saves it with
     * PyTorch 1.13: a float32 storage of 0…11 seen as {@code w [3, 4]}, its transpose {@code wt} and {@code row} (a
     * view from element 4), and float16, bfloat16 and float64 tensors of storages of their own. Then a zip whose
     * {@code data.pkl} calls {@code os.system}, and the three damaged zips the campaigns found.
     */
    static void torch(Path dir) throws IOException {
        Map<String, TorchCheckpoints.Storage> storages = new LinkedHashMap<>();
        storages.put("0", new TorchCheckpoints.Storage("FloatStorage", 12,
                SafetensorsFiles.floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
        storages.put("1", new TorchCheckpoints.Storage("HalfStorage", 4,
                SafetensorsFiles.shorts(0x3c00, 0xc000, 0x3800, 0x7bff))); // 1, -2, 0.5, 65504
        storages.put("2", new TorchCheckpoints.Storage("BFloat16Storage", 3,
                SafetensorsFiles.shorts(0x3f80, 0xc040, 0x3e20))); // 1, -3, 0.15625
        storages.put("3", new TorchCheckpoints.Storage("DoubleStorage", 2, doubles(0.1, -0.001)));
        Map<String, TorchCheckpoints.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", new TorchCheckpoints.Tensor("0", 0, new long[] {3, 4}, new long[] {4, 1}));
        tensors.put("wt", new TorchCheckpoints.Tensor("0", 0, new long[] {4, 3}, new long[] {1, 4}));
        tensors.put("row", new TorchCheckpoints.Tensor("0", 4, new long[] {4}, new long[] {1}));
        tensors.put("h", new TorchCheckpoints.Tensor("1", 0, new long[] {4}, new long[] {1}));
        tensors.put("b", new TorchCheckpoints.Tensor("2", 0, new long[] {3}, new long[] {1}));
        tensors.put("d", new TorchCheckpoints.Tensor("3", 0, new long[] {2}, new long[] {1}));

        byte[] viewsAndDtypes = TorchCheckpoints.zip("views-and-dtypes",
                TorchCheckpoints.statePickle(storages, tensors), storages, "little");
        Files.write(dir.resolve("zip-views-and-dtypes"), viewsAndDtypes);
        Files.write(dir.resolve("legacy-views-and-dtypes"), legacy(storages, tensors));

        byte[] osSystem = osSystemZip();
        Files.write(dir.resolve("zip-os-system"), osSystem);

        // The three findings of the TorchCheckpointFuzzTest campaigns, each a way the JDK's ZipFile failed without
        // naming the file, now a ModelFormatException naming the file and the entry (FuzzSeedsTest checks each).
        // 1. One byte inserted after data.pkl's CRC: the central directory now starts a byte later than the end
        //    record says, so every local header is looked for one byte off: "invalid LOC header (bad signature)".
        byte[] badLoc = new byte[osSystem.length + 1];
        System.arraycopy(osSystem, 0, badLoc, 0, 18);
        System.arraycopy(osSystem, 18, badLoc, 19, osSystem.length - 18);
        Files.write(dir.resolve("finding-zip-bad-loc-header"), badLoc);
        // 2. The end record's comment length says 0x855d bytes that are not there: opening it, ZipFile ends inside
        //    its central directory with an EOFException that has no message.
        byte[] cutDirectory = osSystem.clone();
        cutDirectory[cutDirectory.length - 2] = 0x5d;
        cutDirectory[cutDirectory.length - 1] = (byte) 0x85;
        Files.write(dir.resolve("finding-zip-cut-central-directory"), cutDirectory);
        // 3. data.pkl's central directory record puts its local header 4 bytes before the end of the file: reading
        //    the entry runs past the end, an EOFException with no message.
        byte[] pastEnd = viewsAndDtypes.clone();
        int cen = centralRecord(pastEnd, "views-and-dtypes/data.pkl");
        ByteBuffer.wrap(pastEnd).order(ByteOrder.LITTLE_ENDIAN).putInt(cen + 42, pastEnd.length - 4);
        Files.write(dir.resolve("finding-zip-entry-past-end"), pastEnd);
    }

    /** A torch.save zip whose pickle is {@code os.system("true")}: the reader must refuse it and run nothing. */
    private static byte[] osSystemZip() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).global("os", "system").string("true").op(0x85) // TUPLE1
                .reduce().stop().toByteArray();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        entries.put("archive/byteorder", ascii("little"));
        return TorchCheckpoints.storedZip(entries);
    }

    /**
     * torch.save's legacy format ({@code _use_new_zipfile_serialization=False}): pickles of the magic number, the
     * protocol version and the system info, the state dict (persistent ids of six items, the last {@code None}), the
     * list of storage keys, then per storage its element count (8 bytes, little-endian) and its bytes.
     */
    static byte[] legacy(Map<String, TorchCheckpoints.Storage> storages,
            Map<String, TorchCheckpoints.Tensor> tensors) {
        PickleBytes p = new PickleBytes();
        p.proto(2).op(0x8a).op(10).raw(HexFormat.of().parseHex("6cfc9c46f9206aa85019")).stop(); // LONG1 magic
        p.proto(2).integer(1001).stop();
        p.proto(2).emptyDict().mark().string("protocol_version").integer(1001).string("little_endian").bool(true)
                .string("type_sizes").emptyDict().mark().string("short").integer(2).string("int").integer(4)
                .string("long").integer(4).setItems().setItems().stop();
        p.proto(2).global("collections", "OrderedDict").emptyTuple().reduce().mark();
        tensors.forEach((name, t) -> {
            TorchCheckpoints.Storage s = storages.get(t.key());
            p.string(name).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().string("storage").global("torch", s.type()).string(t.key()).string("cpu").integer(s.numel())
                    .none().tuple().persistentId();
            p.integer(t.offset()).intTuple(t.shape()).intTuple(t.stride()).bool(false);
            p.global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
        });
        p.setItems().stop();
        p.proto(2).emptyList().mark();
        storages.keySet().forEach(p::string);
        p.op('e').stop(); // APPENDS
        for (TorchCheckpoints.Storage s : storages.values()) {
            p.raw(longs(s.numel())).raw(s.bytes());
        }
        return p.toByteArray();
    }

    /** The offset of the central directory record of entry {@code name}. */
    private static int centralRecord(byte[] zip, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 46 <= zip.length; i++) {
            if (b.getInt(i) == 0x02014b50 && (b.getShort(i + 28) & 0xffff) == n.length
                    && Arrays.equals(zip, i + 46, i + 46 + n.length, n, 0, n.length)) {
                return i;
            }
        }
        throw new IllegalStateException("no central directory record for " + name);
    }

    // ---------------------------------------------------------------------------------------------- bytes

    private static byte[] longs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static byte[] doubles(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
