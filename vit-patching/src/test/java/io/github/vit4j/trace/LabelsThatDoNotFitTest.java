package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * CIFAR-10's labels name 10 classes; a model with 1000 (ImageNet's) would be scored on class ids that mean
 * something else, so tracking the "true" label is refused and the clean top-1 is proposed instead.
 */
class LabelsThatDoNotFitTest {

    private static final VitConfig THOUSAND_CLASSES = VitConfig.cifar10().withLabels(VitConfig.numberedLabels(1000));

    private static ImageSource cifar() throws IOException {
        return ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
    }

    @Test
    void imageRunsRefuseTrueCifarLabelsForAThousandClassModel() throws IOException {
        Vit vit = new Vit(VitWeights.random(THOUSAND_CLASSES, 1));
        ImageSource source = cifar();
        Corruption noise = Corruption.parse("noise");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImageRuns(vit,
                Preprocessing.cifar10(), source, noise, DatasetTrace.Target.TRUE_LABEL, 1, 4));

        assertTrue(e.getMessage().contains("CIFAR-10's 10 classes but the model has 1000 classes")
                && e.getMessage().contains("DatasetTrace.Target.CLEAN_TOP1"), e.getMessage());
        new ImageRuns(vit, Preprocessing.cifar10(), source, noise, DatasetTrace.Target.CLEAN_TOP1, 1, 4);
    }

    @Test
    void aDatasetTraceOfTrueCifarLabelsOnAThousandClassModelIsRefusedWhenMade() throws IOException {
        Vit vit = new Vit(VitWeights.random(THOUSAND_CLASSES, 1));
        DatasetTrace.Options options = new DatasetTrace.Options(Corruption.parse("noise"),
                CausalTrace.Spec.defaults(), TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 1, 4, 8);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetTrace(vit, Preprocessing.cifar10(), cifar(), options));

        assertTrue(e.getMessage().contains("but the model has 1000 classes"), e.getMessage());
    }
}
