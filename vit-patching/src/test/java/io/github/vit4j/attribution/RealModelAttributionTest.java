package io.github.vit4j.attribution;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The sum invariant on the trained CIFAR-10 model of ../shared (4 layers × 4 heads, 65 tokens) over its first 8 test
 * images and all 10 classes: within {@link DirectLogitAttributionTest#TOLERANCE} (1e-5) of the parts' total size (observed 1.8e-7).
 */
class RealModelAttributionTest {

    @Test
    void theTrainedCifarModelsLogitsAreTheSumOfTheirParts() throws IOException {
        Pretrained model = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
        Vit vit = new Vit(model.weights());
        ImageSource.Batch images = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, 8, model.preprocessing());
        LogitAttribution a = DirectLogitAttribution.of(model.weights()).attribute(vit, images.input(),
                IntStream.range(0, 10).toArray());
        double worst = DirectLogitAttributionTest.assertSumsToTheLogits(a);
        assertTrue(worst < DirectLogitAttributionTest.TOLERANCE, "worst relative gap " + worst);
    }
}
