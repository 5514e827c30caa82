package io.github.vit4j.image;

import java.io.IOException;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Run in a child JVM by {@link ImageFilesMemoryTest} with the heap under test: reads an image file, or a folder of
 * them as one batch, the way {@code vit classify} does (an {@link ImageSource} batch at 224 px) and prints the
 * batch's shape and first pixel, or the refusal and exit code 3. An OutOfMemoryError ends the JVM as it would end
 * the command.
 */
final class LargeImageProbe {

    private LargeImageProbe() {
    }

    public static void main(String[] args) {
        try {
            ImageSource source = ImageSource.parse(args[0]);
            INDArray pixels = source.read(0, source.size(), Preprocessing.imagenet(224)).pixels();
            System.out.println("shape=" + Arrays.toString(pixels.shape()) + " first=" + pixels.getFloat(0, 0, 0, 0));
        } catch (IOException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(3);
        }
    }
}
