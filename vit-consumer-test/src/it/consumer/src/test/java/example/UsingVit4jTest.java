package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.corruption.Grayscale;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.patching.Patch;
import io.github.vit4j.patching.Patcher;
import io.github.vit4j.trace.CausalTrace;
import io.github.vit4j.trace.Metric;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** What a user of the vit4j artifacts writes: load, classify, patch, trace — the documented API only. */
class UsingVit4jTest {

    private static final Path SHARED = Path.of(System.getProperty("vit4j.shared", "../shared"));

    @Test
    void loadsClassifiesPatchesAndTraces() throws Exception {
        Pretrained model = ModelLoader.load(SHARED.resolve("models/simplevit-cifar10/hf"));
        Vit vit = new Vit(model.weights());
        ImageSource images = ImageSource.parse("cifar10:" + SHARED.resolve("data/cifar10/test_batch_first1017.bin"));
        ImageSource.Batch batch = images.readPixels(7, 1, model.preprocessing());
        int frog = batch.labels()[0];
        assertEquals("frog", model.config().labels().get(frog));

        Activations clean = vit.run(Input.pixels(model.preprocessing().normalize(batch.pixels())), Keep.all());
        assertTrue(Metric.probability(clean.logits().toFloatVector(), frog) > 0.5);

        INDArray gray = new Grayscale().corrupt(
                new Corruption.Images(batch.pixels(), model.preprocessing(), new int[] {7}, 0), 4);
        Activations corrupt = vit.run(Input.pixels(model.preprocessing().normalize(gray)),
                Patcher.keepForResume(vit.config()));
        Activations patched = new Patcher(vit).run(corrupt, List.of(Patch.restore(Site.attnOut(1), clean)),
                Keep.all());
        double ie = Metric.probability(patched.logits().toFloatVector(), frog)
                - Metric.probability(corrupt.logits().toFloatVector(), frog);
        assertTrue(ie > 0.1, "restoring attn_out 1 brings the frog back: IE " + ie);

        CausalTrace.ImageTrace trace = new CausalTrace(new Patcher(vit)).trace(clean, corrupt, frog,
                CausalTrace.Spec.defaults());
        assertEquals(vit.config().layers(), trace.pPatched()[0].length);
    }
}
