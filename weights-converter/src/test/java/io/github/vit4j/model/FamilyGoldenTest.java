package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.NpzEntries;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.Converter;
import io.github.vit4j.convert.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The tiny random models of every family in Hugging Face's layout (../shared/models/families), loaded as users
 * find them, against float64 PyTorch re-implementations of Hugging Face's modeling code
 * (../shared/reference/families): every site the reference holds, through {@link ReferenceForward} and through
 * {@link Vit}, and the gradients of the sum over images of {@code output[:, 0]} ({@link Objective#logit}{@code (0)}:
 * the batch's objective is the sum of its images') at the input and along the residual stream. Tolerance: 1e-4 of
 * the reference array's largest |value|, for each array.
 */
class FamilyGoldenTest {

    static final double TOLERANCE = 1e-4;

    static Path reference(String family) {
        return SharedAssets.resolve("reference/families/" + family + "/reference.npz");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"clip-vision-tiny", "dinov2-tiny", "siglip-vision-tiny", "deit-distilled-tiny"})
    void everySiteOfTheReferenceAndOfTheFastPathMatchesPyTorch(String family) throws IOException {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/families/" + family));
        Path npz = reference(family);
        Input input = Input.normalized(NpzEntries.read(npz, "input_normalized").castTo(DataType.FLOAT));
        List<String> keys = siteKeys(npz, "");
        assertTrue(keys.size() > 30, family + " reference sites: " + keys);
        Map<String, String> diffs = new LinkedHashMap<>();
        try (Activations ref = new ReferenceForward(model.weights()).run(input, Keep.all());
             Activations fast = new Vit(model.weights()).run(input, Keep.all())) {
            for (String key : keys) {
                INDArray expected = NpzEntries.read(npz, key);
                compare(diffs, "reference " + key, site(model.config(), key, ref::get), expected);
                compare(diffs, "vit " + key, site(model.config(), key, fast::get), expected);
            }
            if (model.config().architecture().pooling() == Architecture.Pooling.CLS_AND_PATCH_MEAN) {
                INDArray lnFinal = ref.get(Site.lnFinal());
                int first = model.config().prefixTokens();
                INDArray patchMean = lnFinal.get(NDArrayIndex.all(),
                        NDArrayIndex.interval(first, model.config().tokens()), NDArrayIndex.all()).mean(1);
                INDArray secondHalf = ref.get(Site.pooled()).get(NDArrayIndex.all(),
                        NDArrayIndex.interval(model.config().hiddenSize(), 2L * model.config().hiddenSize()));
                compare(diffs, "pooled's second half = mean of ln_final's patch rows", secondHalf, patchMean);
            }
        }
        assertTrue(diffs.values().stream().allMatch(d -> !d.startsWith("FAIL")), family + ": " + diffs);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"clip-vision-tiny", "dinov2-tiny", "siglip-vision-tiny", "deit-distilled-tiny"})
    void theGradientsOfTheFirstOutputMatchPyTorchThroughTheReferenceAndTheFastPath(String family)
            throws IOException {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/families/" + family));
        Path npz = reference(family);
        Input input = Input.normalized(NpzEntries.read(npz, "input_normalized").castTo(DataType.FLOAT));
        Objective objective = Objective.logit(0);
        List<String> keys = siteKeys(npz, "grad.");
        assertTrue(keys.contains("grad.input") && keys.contains("grad.blocks.1.resid_post"), family + ": " + keys);
        Map<String, String> diffs = new LinkedHashMap<>();
        ReferenceForward reference = new ReferenceForward(model.weights());
        Vit vit = new Vit(model.weights());
        try (Activations run = reference.run(input, Keep.all());
             Gradients ref = reference.backward(run, objective);
             Gradients fast = vit.gradients(input, Map.of(), objective)) {
            for (String key : keys) {
                INDArray expected = NpzEntries.read(npz, key);
                String name = key.substring("grad.".length());
                compare(diffs, "reference " + key, name.equals("input") ? ref.input()
                        : site(model.config(), name, ref::get), expected);
                compare(diffs, "vit " + key, name.equals("input") ? fast.input()
                        : site(model.config(), name, fast::get), expected);
            }
        }
        assertTrue(diffs.values().stream().allMatch(d -> !d.startsWith("FAIL")), family + ": " + diffs);
    }

    @Test
    void theImageTowerOfAWholeClipModelMatchesItsVisionSites() throws IOException {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/families/clip-tiny"));
        assertEquals(Architecture.clipVision(32), model.config().architecture());
        assertEquals(48, model.config().hiddenSize());
        Path npz = reference("clip-tiny");
        Input input = Input.normalized(NpzEntries.read(npz, "pixel_values").castTo(DataType.FLOAT));
        Map<String, String> diffs = new LinkedHashMap<>();
        try (Activations run = new Vit(model.weights()).run(input, Keep.all())) {
            for (String key : siteKeys(npz, "vision.")) {
                String name = key.substring("vision.".length());
                INDArray expected = NpzEntries.read(npz, key);
                if (name.equals("embed")) {          // [CLS, patches] + positions, before pre_layrnorm
                    INDArray patches = expected.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 50),
                            NDArrayIndex.all()).castTo(DataType.DOUBLE);
                    INDArray positions = model.weights().posEmbed().get(NDArrayIndex.interval(1, 50),
                            NDArrayIndex.all()).castTo(DataType.DOUBLE);
                    compare(diffs, key + " − positions", run.get(Site.embed()),
                            patches.sub(positions.reshape(1, 49, 48).broadcast(patches.shape())));
                    continue;
                }
                compare(diffs, key, site(model.config(), name.equals("pre_ln") ? "embed_ln" : name, run::get),
                        expected);
            }
            compare(diffs, "image_embeds", run.get(Site.imageEmbeds()), NpzEntries.read(npz, "image_embeds"));
        }
        assertTrue(diffs.size() > 30, "compared " + diffs.keySet());
        assertTrue(diffs.values().stream().allMatch(d -> !d.startsWith("FAIL")), diffs.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"clip-vision-tiny", "dinov2-tiny", "siglip-vision-tiny", "deit-distilled-tiny",
            "clip-tiny"})
    void convertingToAVitFileAndBackLoadsTheSameModelBitForBit(String family, @TempDir Path dir) throws IOException {
        Path folder = SharedAssets.resolve("models/families/" + family);
        Path file = dir.resolve(family + ".vit");
        Pretrained converted = Converter.convert(folder, file, Optional.empty());
        Pretrained back = ModelLoader.load(file);
        assertEquals(converted.config(), back.config());
        assertEquals(converted.preprocessing(), back.preprocessing());
        assertEquals(converted.weights().tensors().keySet(), back.weights().tensors().keySet());
        converted.weights().tensors().forEach((name, a) -> assertArrayEquals(a.dup('c').data().asFloat(),
                back.weights().tensors().get(name).dup('c').data().asFloat(), name));
        String header = new String(java.nio.file.Files.readAllBytes(file), 0, 4096,
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("format.version=2"), "a family other than ViT is written as format 2");
    }

    /** The arrays of the npz whose names start with {@code prefix}, without the inputs and descriptions. */
    static List<String> siteKeys(Path npz, String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            for (var e : Collections.list(zip.entries())) {
                String key = e.getName().substring(0, e.getName().length() - ".npy".length());
                boolean gradient = key.startsWith("grad.");
                if (key.startsWith(prefix) && (gradient == prefix.startsWith("grad."))
                        && !List.of("input_normalized", "images", "objective").contains(key)) {
                    keys.add(key);
                }
            }
        }
        return keys;
    }

    /**
     * The array of the site named {@code key} (vit4j's names, as the reference's): DINOv2 classifier's
     * {@code pooled} in the reference is the CLS half of vit4j's {@code [B, 2D]} concat(CLS, patch mean).
     */
    static INDArray site(VitConfig config, String key, Function<Site, INDArray> arrays) {
        Site site = config.sites().stream().filter(s -> s.toString().equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError(key + " is not a site of " + config.architecture()));
        INDArray a = arrays.apply(site);
        if (site.kind() == Site.Kind.POOLED && config.pooledSize() == 2 * config.hiddenSize()) {
            return a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, config.hiddenSize()));
        }
        return a;
    }

    /** Records the largest difference relative to the reference's largest |value|, FAIL past the tolerance. */
    static void compare(Map<String, String> diffs, String what, INDArray actual, INDArray expected) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        INDArray e = expected.castTo(DataType.DOUBLE);
        double scale = e.amaxNumber().doubleValue();
        double diff = actual.castTo(DataType.DOUBLE).sub(e).amaxNumber().doubleValue();
        double relative = diff / Math.max(scale, 1e-30);
        diffs.put(what, (relative <= TOLERANCE ? "" : "FAIL ") + String.format("%.2e", relative));
    }
}
