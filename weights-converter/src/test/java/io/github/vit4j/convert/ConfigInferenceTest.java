package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.convert.TorchCheckpoints.Storage;
import io.github.vit4j.convert.TorchCheckpoints.Tensor;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config read off the weights' shapes: every tensor it reads, given a shape of the wrong rank or with an empty
 * or oversized dimension, is refused naming the tensor and its shape (by inference, with the shape expected, or by
 * the weight mapper when the shape can be read but does not fit), never an index error or a size wrapped round.
 */
class ConfigInferenceTest {

    /** The tensors whose shapes inference reads, with the shape it expects of each. */
    private static final Map<String, String> READ = Map.of(
            "norm.weight", "[D]",
            "patch_embed.proj.weight", "[D, C, p, p]",
            "blocks.0.mlp.fc1.weight", "[mlpSize, D]",
            "pos_embed", "[1, 1 + g·g, D]",
            "head.weight", "[classes, D]");

    /** Nothing about the shapes stated: everything the tensors can tell is read off them. */
    private static final String MAPPING = """
            config.heads = 2
            config.layerNormEps = 1e-6
            preprocessing.mean = 0.5, 0.5, 0.5
            preprocessing.std = 0.25, 0.25, 0.25
            """;

    @TempDir
    Path dir;

    @Test
    void theTinyModelsConfigIsReadOffItsShapes() throws IOException {
        Path file = write("tiny.pt", shapes());
        VitConfig read = ModelLoader.load(file, Optional.of(mapping())).config();
        assertEquals(ModelLoaderTest.TINY.hiddenSize(), read.hiddenSize());
        assertEquals(ModelLoaderTest.TINY.imageSize(), read.imageSize());
        assertEquals(ModelLoaderTest.TINY.mlpSize(), read.mlpSize());
        assertEquals(ModelLoaderTest.TINY.classes(), read.classes());
    }

    @Test
    void aScalarEmptyOrWrongRankTensorThatInferenceReadsIsRefusedNamingItsShapeAndTheShapeExpected()
            throws IOException {
        List<long[]> odd = List.of(new long[] {}, new long[] {0}, new long[] {1, 2, 3}, new long[] {0, 16},
                new long[] {3, 0, 4, 4}, new long[] {1, 2, 3, 4, 5});
        for (String tensor : READ.keySet()) {
            for (long[] shape : odd) {
                Map<String, long[]> shapes = shapes();
                shapes.put(tensor, shape);
                Path file = write("odd.pt", shapes);
                String what = tensor + " " + Arrays.toString(shape);
                ModelFormatException e = assertThrows(ModelFormatException.class,
                        () -> ModelLoader.load(file, Optional.of(mapping())), what);
                assertTrue(e.getMessage().contains(tensor) && e.getMessage().contains(Arrays.toString(shape)),
                        what + ": " + e.getMessage());
            }
        }
    }

    @Test
    void aScalarNormWeightIsRefusedFromInferenceWithTheShapeExpectedAndWhatToState() throws IOException {
        Map<String, long[]> shapes = shapes();
        shapes.put("norm.weight", new long[] {});
        Path file = write("scalar.pt", shapes);
        ModelLoaderTest.assertMessage(() -> ModelLoader.load(file, Optional.of(mapping())),
                file + ": cannot read hiddenSize off norm.weight [] (expected [D]); state config.hiddenSize");
    }

    @Test
    void dimensionsTooLargeForAConfigAreRefusedNotWrappedRound() throws IOException {
        for (String tensor : READ.keySet()) {
            Map<String, long[]> shapes = shapes();
            long[] huge = shapes.get(tensor).clone();
            huge[tensor.equals("pos_embed") ? 1 : 0] = 1L << 32;
            shapes.put(tensor, huge);
            Path file = write("huge.pt", shapes);
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> ModelLoader.load(file, Optional.of(mapping())), tensor);
            assertTrue(e.getMessage().contains(tensor + " " + Arrays.toString(huge)), e.getMessage());
        }
    }

    /** The tiny model's tensor shapes as PyTorch saves them. */
    private static Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        ModelLoaderTest.sourceShaped(VitWeights.random(ModelLoaderTest.TINY, 1)).forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    private Path mapping() throws IOException {
        return Files.writeString(dir.resolve("m.properties"), MAPPING);
    }

    /**
     * A PyTorch checkpoint of zero-valued float32 tensors of these shapes, each in a storage of its own; a tensor of
     * over 2^31 elements is a broadcast view (stride 0) of one element, as torch.expand makes, so the file stays small.
     */
    private Path write(String name, Map<String, long[]> shapes) throws IOException {
        Map<String, Storage> storages = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long[] shape = e.getValue();
            long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            boolean broadcast = elements > Integer.MAX_VALUE / 4;
            long stored = broadcast ? 1 : elements;
            String key = Integer.toString(storages.size());
            storages.put(key, new Storage("FloatStorage", stored, new byte[(int) (4 * stored)]));
            tensors.put(e.getKey(), new Tensor(key, 0, shape,
                    broadcast ? new long[shape.length] : TorchCheckpoints.contiguousStrides(shape)));
        }
        return Files.write(dir.resolve(name),
                TorchCheckpoints.zip("archive", TorchCheckpoints.statePickle(storages, tensors), storages, "little"));
    }
}
