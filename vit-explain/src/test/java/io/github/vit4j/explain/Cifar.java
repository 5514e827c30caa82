package io.github.vit4j.explain;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The trained CIFAR-10 model of ../shared (4 layers, 4 heads, 8×8 patch grid) and its first test images, loaded once
 * for all the tests of this module.
 */
final class Cifar {

    private static Pretrained pretrained;

    private Cifar() {
    }

    static synchronized Pretrained pretrained() {
        if (pretrained == null) {
            try {
                pretrained = ModelLoader.load(SharedAssets.resolve("models/simplevit-cifar10/hf"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return pretrained;
    }

    static Vit vit() {
        return new Vit(pretrained().weights());
    }

    /** Test images {@code from .. from + count − 1} with their labels. */
    static ImageSource.Batch images(int from, int count) {
        try {
            return ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                    .read(from, count, pretrained().preprocessing());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
