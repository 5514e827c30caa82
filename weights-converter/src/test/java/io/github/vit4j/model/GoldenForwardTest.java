package io.github.vit4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageFiles;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The forward pass against references computed outside this project with PyTorch in float64
 * (../shared/reference). Tolerance: 1e-4 absolute at every site (float32 forward vs float64 reference; observed
 * ≤ 4e-6 for the CIFAR-10 model).
 */
class GoldenForwardTest {

    static final double TOLERANCE = 1e-4;
    static Pretrained cifar;
    static Vit cifarVit;

    @BeforeAll
    static void load() throws IOException {
        cifar = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"), Optional.empty());
        cifarVit = new Vit(cifar.weights());
    }

    static double maxDiff(INDArray actual, INDArray reference) {
        assertArrayEquals(reference.shape(), actual.shape(), "shape");
        return actual.castTo(DataType.DOUBLE).sub(reference.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void everySiteOfTheCifarModelMatchesPyTorchOnTheFirstEightImages() throws IOException {
        Map<String, INDArray> ref = Npy.readNpz(
                SharedAssets.resolve("reference/simplevit-cifar10/activations_first8_float64.npz"));
        ImageSource.Batch batch = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 8, cifar.preprocessing());
        Activations run = cifarVit.run(batch.input(), Keep.all());
        Map<String, Double> diffs = new LinkedHashMap<>();
        diffs.put("input_normalized", maxDiff(batch.preprocessing().normalize(batch.pixels()), ref.get("input_normalized")));
        diffs.put("patch_embed_out", maxDiff(run.get(Site.embed()), ref.get("patch_embed_out")));
        diffs.put("resid_pre_0", maxDiff(run.get(Site.residPre(0)), ref.get("resid_pre_0")));
        for (int l = 0; l < cifar.config().layers(); l++) {
            diffs.put("attn_probs_" + l, maxDiff(run.get(Site.pattern(l)), ref.get("attn_probs_" + l)));
            diffs.put("attn_out_" + l, maxDiff(run.get(Site.attnOut(l)), ref.get("attn_out_" + l)));
            diffs.put("resid_mid_" + l, maxDiff(run.get(Site.residMid(l)), ref.get("resid_mid_" + l)));
            diffs.put("mlp_out_" + l, maxDiff(run.get(Site.mlpOut(l)), ref.get("mlp_out_" + l)));
            diffs.put("resid_post_" + l, maxDiff(run.get(Site.residPost(l)), ref.get("resid_post_" + l)));
        }
        diffs.put("ln_final_out", maxDiff(run.get(Site.lnFinal()), ref.get("ln_final_out")));
        diffs.put("logits", maxDiff(run.logits(), ref.get("logits")));
        diffs.forEach((site, d) -> assertTrue(d <= TOLERANCE, site + " differs by " + d + "; all: " + diffs));
        assertArrayEquals(ref.get("labels").toIntVector(), batch.labels());
    }

    @Test
    void allOfTheCifarLogitsMatchPyTorchAndSevenHundredFiftyAreCorrect() throws IOException {
        INDArray reference = Npy.read(SharedAssets.resolve("reference/simplevit-cifar10/logits_first1017_float64.npy"));
        Path bin = SharedAssets.resolve("data/cifar10/test_batch_first1017.bin");
        ImageSource source = ImageSource.cifar10(bin);
        int[] labels = Cifar10.read(bin).labels();
        int correct = 0;
        double worst = 0;
        int batch = 128;
        for (int first = 0; first < source.size(); first += batch) {
            int n = Math.min(batch, source.size() - first);
            INDArray logits = cifarVit.logits(source.read(first, n, cifar.preprocessing()).input());
            for (int i = 0; i < n; i++) {
                INDArray mine = logits.getRow(i);
                INDArray theirs = reference.getRow(first + i);
                worst = Math.max(worst, maxDiff(mine, theirs));
                int argmax = mine.argMax().getInt(0);
                assertEquals(theirs.argMax().getInt(0), argmax, "argmax of image " + (first + i));
                correct += argmax == labels[first + i] ? 1 : 0;
            }
        }
        assertEquals(1017, source.size());
        assertTrue(worst <= TOLERANCE, "logits differ by " + worst);
        assertEquals(750, correct);
    }

    @Test
    void deitTinyInTimmAndHuggingFaceLayoutsGivesTheReferenceLogitsAndCatsOnTop() throws IOException {
        INDArray input = Npy.read(SharedAssets.resolve("reference/deit-tiny-imagenet/cats_input_1x3x224x224_float64.npy"))
                .castTo(DataType.FLOAT);
        INDArray reference = Npy.read(SharedAssets.resolve("reference/deit-tiny-imagenet/cats_logits_float64.npy"));
        for (String layout : new String[] {"timm", "hf"}) {
            Pretrained deit = ModelLoader.load(SharedAssets.resolve("models/deit-tiny-imagenet/" + layout),
                    Optional.empty());
            INDArray logits = new Vit(deit.weights()).logits(Input.normalized(input));
            double d = maxDiff(logits, reference.reshape(logits.shape()));
            assertTrue(d <= TOLERANCE, layout + " logits differ by " + d);
            assertArrayEquals(new int[] {285, 281, 282}, top(logits, 3), layout + " top-3");
        }
    }

    @Test
    void deitTinyOnTheCatsPngThroughOurOwnPreprocessingPutsTheSameThreeCatsOnTop() throws IOException {
        Pretrained deit = ModelLoader.load(SharedAssets.resolve("models/deit-tiny-imagenet/timm"), Optional.empty());
        INDArray pixels = deit.preprocessing().apply(
                ImageFiles.read(SharedAssets.resolve("data/images/coco_000000039769.png")));
        INDArray logits = new Vit(deit.weights()).logits(Input.normalized(pixels));
        assertArrayEquals(new int[] {285, 281, 282}, top(logits, 3));
        assertEquals("Egyptian cat", deit.config().labels().get(285));
    }

    @Test
    void theAuthorsNamesWithAMappingFileAndTheNativeFileGiveTheHuggingFaceLogits() throws IOException {
        Input images = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 16, cifar.preprocessing()).input();
        INDArray hf = cifarVit.logits(images);
        Path mapping = Path.of("src/test/resources/mappings/simplevit-cifar10-pytorch.properties");
        Pretrained mapped = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/pytorch/model.safetensors"),
                Optional.of(mapping));
        INDArray viaMapping = new Vit(mapped.weights()).logits(images);
        assertEquals(0.0, maxDiff(viaMapping, hf), "same float32 weights, same arithmetic");
        Path dir = java.nio.file.Files.createTempDirectory("vit4j-golden");
        for (Pretrained model : new Pretrained[] {cifar, mapped}) {
            Path file = dir.resolve("m" + System.identityHashCode(model) + ".vit");
            io.github.vit4j.convert.Converter.convert(
                    model == cifar ? SharedAssets.resolve("models/simplevit-cifar10/hf")
                            : SharedAssets.resolve("models/simplevit-cifar10/pytorch/model.safetensors"),
                    file, model == cifar ? Optional.empty() : Optional.of(mapping));
            Pretrained roundTrip = ModelLoader.load(file, Optional.empty());
            INDArray logits = new Vit(roundTrip.weights()).logits(images);
            assertArrayEquals(hf.data().asFloat(), logits.dup().data().asFloat(), "bit for bit");
            assertEquals(cifar.preprocessing(), roundTrip.preprocessing());
        }
    }

    static int[] top(INDArray logits, int k) {
        float[] v = logits.dup().data().asFloat();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        return Arrays.stream(idx).limit(k).mapToInt(Integer::intValue).toArray();
    }
}
