package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.corruption.Grayscale;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a user of the vit4j artifacts writes: load, classify, patch, trace — the documented API only. */
class UsingVit4jTest {

    private static final Path SHARED = Path.of(System.getProperty("vit4j.shared", "../shared"));

    private final Pretrained model;
    private final Vit vit;
    private final ImageSource images;

    UsingVit4jTest() throws Exception {
        model = ModelLoader.load(SHARED.resolve("models/simplevit-cifar10/hf"));
        vit = new Vit(model.weights());
        images = ImageSource.parse("cifar10:" + SHARED.resolve("data/cifar10/test_batch_first1017.bin"));
    }

    @Test
    void classifiesImageSevenAsAFrog() throws Exception {
        ImageSource.Batch batch = images.read(7, 1, model.preprocessing());
        Predictions.Prediction best = vit.classify(batch.input()).top1(0);
        assertEquals("frog", best.label());
        assertEquals(batch.labels()[0], best.index());
        assertTrue(best.probability() > 0.5, "p(frog) = " + best.probability());
    }

    @Test
    void restoringAttentionAtBlockOneBringsTheFrogBack() throws Exception {
        ImageSource.Batch batch = images.read(7, 1, model.preprocessing());
        ImageSource.Batch gray = new Grayscale().corrupt(batch, vit.config());
        int frog = batch.labels()[0];
        Activations clean = vit.run(batch.input(), Keep.all());
        Activations corrupt = vit.run(gray.input(), Patcher.keepForResume(vit.config()));
        Activations patched = new Patcher(vit).run(corrupt, List.of(Patch.restore(Site.attnOut(1), clean)),
                Keep.all());
        double ie = Predictions.of(patched.logits()).probability(0, frog)
                - Predictions.of(corrupt.logits()).probability(0, frog);
        assertTrue(ie > 0.1, "IE of restoring attn_out 1: " + ie);
    }

    @Test
    void tracesEightImagesInMemory() throws Exception {
        DatasetTrace.Options options = new DatasetTrace.Options(new Grayscale(), CausalTrace.Spec.defaults(),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 0, 8, 8);
        DatasetTrace.Traced traced = new DatasetTrace(vit, model.preprocessing(), images, options).trace(n -> { });
        assertEquals(8, traced.summary().images());
        assertEquals(8 * 3 * vit.config().layers(), traced.rows().size());
        assertTrue(traced.summary().mean().get(SweepKind.RESID)[0] > 0.1, "restoring resid 0 restores the image");
    }
}
