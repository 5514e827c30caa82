package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Clip;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.TextConfig;
import io.github.vit4j.model.TextTower;
import io.github.vit4j.model.TextWeights;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.ZeroShot;
import io.github.vit4j.model.kernels.KernelSet;
import io.github.vit4j.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CLIP's text tower and zero-shot classification against ../shared/reference/families/clip-tiny: a whole tiny
 * {@code CLIPModel} run in float64 PyTorch on the five prompts of {@code prompts.txt} and three images. Every text
 * site within 1e-4 of its array's largest |value| (observed ≤ 1e-6), on the plain and the configured kernels; the
 * zero-shot logits of the three images within 1e-4 of the largest |logit| ({@code logits_per_image_float64.npy}),
 * from the reference's {@code input_ids} and from the prompts' words through vit-text's {@code ClipTokenizer}.
 * The image tower is {@link ModelLoader}'s, from the same folder (its own sites are {@code FamilyGoldenTest}'s).
 */
class ClipGoldenTest {

    static final double TOLERANCE = 1e-4;
    static final Path MODEL = SharedAssets.resolve("models/families/clip-tiny");
    static final Path REFERENCE = SharedAssets.resolve("reference/families/clip-tiny");
    static Map<String, INDArray> ref;
    static long[][] ids;
    static TextWeights text;

    @BeforeAll
    static void load() throws IOException {
        ref = Npy.readNpz(REFERENCE.resolve("reference.npz"));
        INDArray inputIds = ref.get("input_ids");
        ids = new long[(int) inputIds.size(0)][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = inputIds.getRow(i).toLongVector();
        }
        text = ClipTextLoader.load(MODEL);
    }

    @Test
    void theConfigIsTheTextConfigOfTheModel() {
        assertEquals(new TextConfig(49408, 77, 64, 2, 4, 256, 1e-5,
                Architecture.Activation.QUICK_GELU, 32, 49407), text.config());
        int[] pool = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            pool[i] = text.config().poolIndex(ids[i]);
        }
        assertArrayEquals(ref.get("pool_index").toIntVector(), pool);
    }

    @Test
    void everySiteOfTheTextRunMatchesHuggingFacesClipModelOnThePlainAndTheConfiguredKernels() {
        for (KernelSet kernels : List.of(KernelSet.PLAIN, KernelSet.configured())) {
            textSitesMatch(kernels);
        }
    }

    private static void textSitesMatch(KernelSet kernels) {
        try (Activations run = new TextTower(text, kernels).run(ids, Keep.all())) {
            Map<String, Double> diffs = new LinkedHashMap<>();
            for (Site s : text.config().sites()) {
                if (s.kind() == Site.Kind.LOGITS) {
                    continue;
                }
                INDArray want = ref.get(s.toString());
                diffs.put(s.toString(), relative(run.get(s), want));
            }
            assertEquals(text.config().sites().size() - 1, diffs.size());
            diffs.forEach((site, d) -> assertTrue(d <= TOLERANCE, kernels + ": " + site + " differs by " + d
                    + " of its largest value; all: " + diffs));
            INDArray pattern = run.get(Site.pattern(1));
            if (kernels == KernelSet.PLAIN) {
                assertEquals(0.0, pattern.getDouble(2, 3, 10, 11), "above the diagonal");
            }
        }
    }

    @Test
    void aConfigStatingTheLegacyEndOfTextIdTwoPoolsAtTheLargestIdWhichIsTheSameRow() {
        TextConfig c = text.config();
        TextConfig legacy = new TextConfig(c.vocabSize(), c.contextLength(), c.hiddenSize(), c.layers(), c.heads(),
                c.mlpSize(), c.layerNormEps(), c.activation(), c.projection(), TextConfig.LEGACY_EOS_TOKEN_ID);
        INDArray got = new TextTower(TextWeights.fromTensors(legacy, text.tensors()), KernelSet.PLAIN).textEmbeds(ids);
        assertTrue(relative(got, ref.get("text_embeds")) <= TOLERANCE);
    }

    @Test
    void zeroShotLogitsOfTheThreeImagesMatchLogitsPerImage() throws IOException {
        Clip clip = ClipTextLoader.clip(MODEL, ModelLoader.load(MODEL).weights());
        assertEquals(ref.get("logit_scale").getDouble(0), clip.logitScale(), 1e-6);
        List<String> classes = Files.readAllLines(REFERENCE.resolve("prompts.txt")).stream()
                .filter(line -> !line.isBlank()).toList();
        VitWeights classifier = ZeroShot.classifier(clip, classes, ids);
        INDArray pixels = ref.get("pixel_values").castTo(DataType.FLOAT);
        INDArray want = Npy.read(REFERENCE.resolve("logits_per_image_float64.npy"));
        Vit vit = new Vit(classifier);
        double logits = relative(vit.logits(Input.normalized(pixels)), want);
        assertTrue(logits <= TOLERANCE, "logits differ by " + logits + " of the largest");
        // The head alone, from the reference's own image_embeds substituted into the run.
        INDArray imageEmbeds = ref.get("image_embeds").castTo(DataType.FLOAT);
        try (Activations run = vit.run(Input.normalized(pixels), Keep.logitsOnly(),
                Map.of(Site.imageEmbeds(), Substitution.whole(imageEmbeds)))) {
            double head = relative(run.logits(), want);
            assertTrue(head <= TOLERANCE, "logits from the reference's image_embeds differ by " + head);
        }
        Predictions p = vit.classify(Input.normalized(pixels));
        INDArray probs = ref.get("probs");
        for (int i = 0; i < 3; i++) {
            assertEquals(classes.get(probs.getRow(i).argMax().getInt(0)), p.top1(i).label(), "image " + i);
        }
    }

    @Test
    void zeroShotFromThePromptsWordsThroughClipsTokenizerGivesTheSameLogits() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.fromFolder(MODEL);
        List<String> prompts = Files.readAllLines(REFERENCE.resolve("prompts.txt")).stream()
                .filter(line -> !line.isBlank()).toList();
        assertArrayEquals(ids, tokenizer.tokenize(prompts));
        Clip clip = ClipTextLoader.clip(MODEL, ModelLoader.load(MODEL).weights());
        VitWeights classifier = ZeroShot.classifier(clip, prompts, List.of("{}"), tokenizer::tokenize);
        INDArray logits = new Vit(classifier).logits(Input.normalized(ref.get("pixel_values").castTo(DataType.FLOAT)));
        double d = relative(logits, Npy.read(REFERENCE.resolve("logits_per_image_float64.npy")));
        assertTrue(d <= TOLERANCE, "logits differ by " + d + " of the largest");
    }

    /** max |actual − want| over max |want|. */
    static double relative(INDArray actual, INDArray want) {
        assertArrayEquals(want.shape(), actual.shape(), "shape");
        INDArray w = want.castTo(DataType.DOUBLE);
        return actual.castTo(DataType.DOUBLE).sub(w).amaxNumber().doubleValue() / w.amaxNumber().doubleValue();
    }
}
