/**
 * Image input for the models: decoding pixels and turning them into what a Vision Transformer reads.
 *
 * <p>Reading order: {@link io.github.vit4j.image.RgbImage} (8-bit RGB pixels, the one in-memory image type) →
 * {@link io.github.vit4j.image.Preprocessing} (resize, rescale, normalise into a model input) →
 * {@link io.github.vit4j.image.Cifar10} and {@link io.github.vit4j.image.ImageFiles} (where pixels come from) →
 * {@link io.github.vit4j.image.ImageSource} (what the command line hands over: a CIFAR-10 file, an image or a
 * folder of images, read in batches).
 *
 * <p>Every array this package produces is float32, C-order, channels first and batch first:
 * {@code [B, 3, H, W]}. Two kinds of array appear:
 * <ul>
 *   <li><em>pixels</em>: resized and rescaled but not normalised, {@code byte × rescaleFactor} (so in [0, 1] for
 *       the usual 1/255) — the space in which corruptions such as grayscale or noise are applied;</li>
 *   <li><em>model input</em>: {@code (pixels − mean) / std} per channel, what the patch embedding reads.</li>
 * </ul>
 * {@link io.github.vit4j.image.Preprocessing#normalize} and {@link io.github.vit4j.image.Preprocessing#denormalize}
 * go between the two.
 */
package io.github.vit4j.image;
