package io.github.vit4j.corruption;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Vit;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A corruption of the [0, 1] pixels before normalisation; the model then runs on the changed image. */
public interface PixelCorruption extends Corruption {

    /** The corrupted pixels {@code [B, 3, H, W]} in [0, 1] (a new array; {@code images.pixels()} is not changed). */
    INDArray corrupt(Images images, int patchSize);

    @Override
    default Activations run(Vit vit, Images images, Activations clean, Keep keep) {
        INDArray pixels = corrupt(images, vit.config().patchSize());
        return vit.run(Input.pixels(images.preprocessing().normalize(pixels)), keep);
    }
}
