package io.github.vit4j.attribution;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.format.Npy;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sum invariant on the trained models of ../shared, within {@link DirectLogitAttributionTest#TOLERANCE} (1e-5) of
 * the parts' total size: the CIFAR-10 model (4 layers × 4 heads, 65 tokens) over its first 8 test images and all 10
 * classes (observed 1.8e-7), and DeiT-tiny (12 layers × 3 heads, 197 tokens) on the cats image of the golden tests
 * at its top 5 classes (observed 5.3e-8).
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

    @Test
    void deitTinysLogitsOnTheCatsImageAreTheSumOfTheirParts() throws IOException {
        Pretrained deit = ModelLoader.load(SharedAssets.resolve("models/deit-tiny-imagenet/hf"));
        Vit vit = new Vit(deit.weights());
        Input input = Input.normalized(Npy.read(SharedAssets.resolve(
                "reference/deit-tiny-imagenet/cats_input_1x3x224x224_float64.npy")).castTo(DataType.FLOAT));
        int[] top = vit.classify(input).top(0, 5).stream().mapToInt(Predictions.Prediction::index).toArray();
        LogitAttribution a = DirectLogitAttribution.of(deit.weights()).attribute(vit, input, top);
        DirectLogitAttributionTest.assertSumsToTheLogits(a);
        INDArray perHead = a.perHead();                                                          // [1, 5, 12, 3]
        assertTrue(perHead.sum(2, 3).getDouble(0, 0) != 0, "the heads carry part of the top logit");
    }
}
