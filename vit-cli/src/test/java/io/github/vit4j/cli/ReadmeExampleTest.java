package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.corruption.Grayscale;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Gradients;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Objective;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.patching.Tokens;
import io.github.vit4j.trace.AttributionPatching;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.Metric;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The README's "Patching from Java" and "Gradients from Java" examples, verbatim between the markers, so that it keeps compiling and working. */
class ReadmeExampleTest {

    @Test
    void theReadmePatchingExampleRunsAndRestoresSomeOfTheClassProbability() throws Exception {
        java.nio.file.Path shared = SharedAssets.root();                                   // ../shared
        // README example begins
        Pretrained model = ModelLoader.load(shared.resolve("models/simplevit-cifar10/hf"));
        Vit vit = new Vit(model.weights());
        ImageSource images = ImageSource.parse("cifar10:" + shared.resolve("data/cifar10/test_batch_first1017.bin"));
        ImageSource.Batch batch = images.read(7, 1, model.preprocessing());   // image 7: [1, 3, 32, 32] in [0, 1]
        ImageSource.Batch gray = new Grayscale().corrupt(batch, vit.config());   // the same image without colour
        int y = batch.labels()[0];                                             // 6 = frog
        Predictions.Prediction best = vit.classify(batch.input()).top1(0);   // frog: a run keeping only the logits

        Activations clean = vit.run(batch.input(), Keep.all());              // input(): the pixels, normalised
        Activations corrupt = vit.run(gray.input(), Patcher.keepForResume(vit.config()));

        // Restore attention's output at block 1 from the clean run: the run resumes at block 1 from the corrupted
        // run's cached resid_pre and uses the clean array itself (no copy) at blocks.1.attn_out.
        Activations patched = new Patcher(vit).run(corrupt, List.of(Patch.restore(Site.attnOut(1), clean)), Keep.all());
        double ie = Predictions.of(patched.logits()).probability(0, y)
                - Predictions.of(corrupt.logits()).probability(0, y);

        // The same patched run without the Patcher: one call of the forward pass.
        Activations same = vit.run(Input.residPre(1, corrupt.get(Site.residPre(1))), Keep.all(),
                Map.of(Site.attnOut(1), Substitution.whole(clean.get(Site.attnOut(1)))));
        // README example ends
        assertSame(clean.get(Site.attnOut(1)), patched.get(Site.attnOut(1)));
        assertTrue(same.logits().equalsWithEps(patched.logits(), 1e-6));
        assertEquals("frog", best.label());
        double pClean = Predictions.of(clean.logits()).probability(0, y);
        double pCorrupt = Predictions.of(corrupt.logits()).probability(0, y);
        assertTrue(pClean > pCorrupt, "grayscale lowers p(frog) for this image: " + pClean + " vs " + pCorrupt);
        assertTrue(ie > 0 && ie <= pClean - pCorrupt + 1e-6, "IE " + ie);


        // README gradients example begins
        Gradients g = vit.gradients(batch.input(), Map.of(), Objective.probability(y));  // ∂p(y)/∂(every site)
        INDArray saliency = g.pixels(model.preprocessing());           // ∂p(y)/∂(pixels in [0, 1]) [1, 3, 32, 32]
        INDArray dAttn = g.get(Site.attnOut(1));                        // ∂p(y)/∂attn_out of block 1 [1, 65, 128]

        // Attribution patching by hand: the first-order estimate of the patch above, in log p(y), from one
        // backward at the corrupted run: (s_clean − s_corrupt) · ∂log p(y)/∂s at s = blocks.1.attn_out
        Activations corruptForBackward = vit.run(gray.input(),
                Vit.keepForBackward().and(Keep.kinds(Site.Kind.ATTN_OUT)));
        Gradients atCorrupt = vit.backward(corruptForBackward, Objective.logProbability(y));
        double estimate = clean.get(Site.attnOut(1)).sub(corruptForBackward.get(Site.attnOut(1)))
                .mul(atCorrupt.get(Site.attnOut(1))).sumNumber().doubleValue();              // ≈ 5.45
        double exact = Predictions.of(patched.logits()).logProbability(0, y)
                - Predictions.of(corrupt.logits()).logProbability(0, y);                      // ≈ 5.49
        // README gradients example ends
        assertArrayEquals(new long[] {1, 3, 32, 32}, saliency.shape());
        assertArrayEquals(new long[] {1, 65, 128}, dAttn.shape());
        assertTrue(g.value() > 0.8 && g.value() < 1, "p(y) " + g.value());
        assertTrue(Math.abs(estimate - 5.45) < 0.01 && Math.abs(exact - 5.49) < 0.01,
                "estimate " + estimate + ", exact " + exact + ": the README states 5.45 and 5.49");

        // README attribution example begins
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.RESID, SweepKind.ATTN, SweepKind.MLP), 1,
                Tokens.all(), Metric.PROB);
        Activations cleanRun = vit.run(batch.input(), AttributionPatching.keepForClean(spec));
        Activations grayRun = vit.run(gray.input(), AttributionPatching.keepForCorrupted(spec));
        AttributionPatching.Estimate atp = new AttributionPatching(vit)
                .estimate(cleanRun, grayRun, new int[] {y}, spec, TraceMethod.atp()).get(0);  // one per image of the batch
        double attn1 = atp.cells().effect()[1][1];          // the estimated IE of restoring attn_out at block 1
        double[] heads = atp.perHead()[1];                  // … split over block 1's heads
        // README attribution example ends
        assertEquals(attn1, java.util.Arrays.stream(heads).sum(), 1e-4 * Math.abs(attn1) + 1e-7);
        assertTrue(Double.isFinite(attn1) && attn1 != 0, "estimate " + attn1);
    }
}
