package io.github.vit4j.format;

import io.github.vit4j.fuzz.FuzzSeeds;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Writes {@link VitFileFuzzTest}'s seed corpus (docs/fuzzing.md): two small valid models (one with a label holding
 * a non-ASCII letter and a line break), files cut in the header and in a tensor, the magic alone, a version-2 magic,
 * a safetensors file, and tables with overlapping tensors or an offset past the end of the file.
 *
 * <p>The models are laid out as {@link VitFile#write} lays them out (16-byte preamble, the header {@link Header}
 * renders, 64-byte-aligned little-endian float32 tensors), with plain Java instead of ND4J arrays, so that the
 * build can write them without loading ND4J's natives;
 * {@code VitFileTest.fuzzSeedModelsAreLaidOutAsTheWriterLaysThemOut} checks them against the writer byte for byte.
 */
public final class VitFileFuzzSeeds {

    private static final byte[] MAGIC = {'V', 'I', 'T', '4', 'J', 0, 'v', '1'};
    private static final int PREAMBLE = 16;

    private VitFileFuzzSeeds() {
    }

    /** Writes the seeds under {@code root} (the test class path's root). */
    public static void write(Path root) throws IOException {
        Path dir = FuzzSeeds.inputs(root, VitFileFuzzTest.class, "anyBytesAreAModelOrANamedRefusal");

        Model tiny = model(new VitConfig(2, 1, 1, 2, 1, 1, 2, 1e-6, List.of("cat", "dog, or \u00e9\n")),
                new Preprocessing(2, 1 / 255.0, new double[] {0.5}, new double[] {0.25}), 3);
        Model small = model(new VitConfig(4, 2, 3, 4, 2, 2, 8, 1e-5, List.of("a", "b", "c")),
                new Preprocessing(4, 1 / 255.0, new double[] {0.1, 0.2, 0.3}, new double[] {0.5, 0.5, 0.5}), 4);
        byte[] tinyBytes = tiny.bytes();
        FuzzSeeds.write(dir, "tiny-1-layer.vit", tinyBytes);
        FuzzSeeds.write(dir, "small-2-layers-3-channels.vit", small.bytes());

        FuzzSeeds.write(dir, "magic-only.vit", MAGIC.clone());
        FuzzSeeds.write(dir, "cut-inside-the-header.vit", Arrays.copyOf(tinyBytes, 300));
        TensorEntry last = tiny.entries.get(tiny.entries.size() - 1);
        FuzzSeeds.write(dir, "cut-inside-a-tensor.vit", Arrays.copyOf(tinyBytes, (int) last.offset() + 4));
        byte[] version2 = Arrays.copyOf(tinyBytes, 400);
        version2[7] = '2';
        FuzzSeeds.write(dir, "version-2-magic.vit", version2);

        // tables the reader must refuse, with the header's checksum right (the data stays where it was)
        List<TensorEntry> overlapping = new ArrayList<>(tiny.entries);
        TensorEntry second = overlapping.get(1);
        overlapping.set(1, new TensorEntry(second.name(), second.shape(), overlapping.get(0).offset(), second.length(),
                second.crc32c()));
        FuzzSeeds.write(dir, "overlapping-tensors.vit", tiny.withEntries(overlapping).bytes());
        List<TensorEntry> pastTheEnd = new ArrayList<>(tiny.entries);
        pastTheEnd.set(pastTheEnd.size() - 1, new TensorEntry(last.name(), last.shape(), last.offset() + 90000,
                last.length(), last.crc32c()));
        FuzzSeeds.write(dir, "offset-past-the-end.vit", tiny.withEntries(pastTheEnd).bytes());

        // a safetensors file: 8-byte little-endian header length, JSON, one float32
        byte[] json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
                .getBytes(StandardCharsets.US_ASCII);
        FuzzSeeds.write(dir, "a-safetensors-file.vit", ByteBuffer.allocate(8 + json.length + 4)
                .order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json).putFloat(1f).array());
    }

    /**
     * A model with seeded weights drawn as {@link VitWeights#random} draws them, laid out as {@link VitFile#write}
     * lays them out.
     */
    static Model model(VitConfig config, Preprocessing preprocessing, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        for (Map.Entry<String, long[]> e : VitWeights.expectedShapes(config).entrySet()) {
            String name = e.getKey();
            boolean isNorm = name.startsWith("norm") || name.contains(".norm");
            boolean isBias = name.endsWith(".bias");
            double scale = isNorm ? 0.1 : isBias ? 0.01 : 0.02;
            double offset = isNorm && name.endsWith(".weight") ? 1.0 : 0.0;
            int n = Math.toIntExact(Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b));
            ByteBuffer bytes = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                bytes.putFloat((float) (offset + scale * rng.nextGaussian()));
            }
            names.add(name);
            shapes.add(e.getValue());
            data.add(bytes.array());
        }
        // offsets are absolute: iterate to the fixed point, as the writer does
        long dataStart = 0;
        while (true) {
            List<TensorEntry> entries = new ArrayList<>();
            long at = dataStart;
            for (int k = 0; k < names.size(); k++) {
                CRC32C crc = new CRC32C();
                crc.update(data.get(k));
                entries.add(new TensorEntry(names.get(k), shapes.get(k), at, data.get(k).length,
                        (int) crc.getValue()));
                at = align(at + data.get(k).length);
            }
            Model model = new Model(config, preprocessing, entries, data, entries);
            long start = align(PREAMBLE + (long) model.header().length);
            if (start == dataStart) {
                return model;
            }
            dataStart = start;
        }
    }

    /** A model file: its header's table ({@code entries}) and where its data lies ({@code placed}). */
    record Model(VitConfig config, Preprocessing preprocessing, List<TensorEntry> entries, List<byte[]> data,
                 List<TensorEntry> placed) {

        byte[] header() {
            return new Header(Header.VERSION, config, preprocessing, entries).render();
        }

        /** The same data in the same places, under a header with another table. */
        Model withEntries(List<TensorEntry> table) {
            return new Model(config, preprocessing, table, data, placed);
        }

        byte[] bytes() {
            byte[] header = header();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(ByteBuffer.allocate(PREAMBLE).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC)
                    .putLong(header.length).array());
            out.writeBytes(header);
            for (int k = 0; k < placed.size(); k++) {
                while (out.size() < placed.get(k).offset()) {
                    out.write(0);
                }
                out.writeBytes(data.get(k));
            }
            return out.toByteArray();
        }
    }

    private static long align(long position) {
        return (position + VitFile.ALIGNMENT - 1) / VitFile.ALIGNMENT * VitFile.ALIGNMENT;
    }
}
