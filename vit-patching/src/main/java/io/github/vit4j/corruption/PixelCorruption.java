package io.github.vit4j.corruption;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A corruption of the [0, 1] pixels before normalisation; the model then runs on the changed image. Two forms:
 * {@link #corrupt(ImageSource.Batch, VitConfig)} for a batch at hand, and {@link #corrupt(Images, int)}, the one a
 * trace calls, with the seed and patch size spelled out.
 */
public interface PixelCorruption extends Corruption {

    /**
     * The corrupted pixels {@code [B, 3, H, W]} in [0, 1] (a new array; {@code images.pixels()} is not changed).
     *
     * @param patchSize the side in pixels of the model's patches, whose grid {@link Occlusion} occludes cells of
     */
    INDArray corrupt(Images images, int patchSize);

    /**
     * The common case: {@code batch} corrupted for a model with {@code config}'s patch grid, as a trace with seed 0
     * corrupts it (each image seeded by its index in the source; only {@link Occlusion} draws at random). The result
     * is the same images with corrupted pixels; its {@link ImageSource.Batch#input()} is the model's input.
     */
    default ImageSource.Batch corrupt(ImageSource.Batch batch, VitConfig config) {
        return batch.withPixels(corrupt(new Images(batch, 0), config.patchSize()));
    }

    @Override
    default Activations run(Vit vit, Images images, Activations clean, Keep keep) {
        INDArray pixels = corrupt(images, vit.config().patchSize());
        return vit.run(images.batch().withPixels(pixels).input(), keep);
    }
}
