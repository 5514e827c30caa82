package io.github.vit4j.corruption;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ROME's corruption: Gaussian noise of standard deviation k·σ added to the patch-token embeddings ({@code embed},
 * before CLS and positions), σ the standard deviation of the embeddings' values over a sample of clean runs
 * ({@link #calibrate}). Seeded per image.
 *
 * @param k     multiple of σ (3 in ROME)
 * @param sigma the embeddings' standard deviation; NaN until calibrated
 */
public record GaussianNoise(double k, double sigma) implements Corruption {

    public GaussianNoise {
        if (!(k > 0)) {
            throw new IllegalArgumentException("noise multiple k must be > 0, got " + k);
        }
    }

    @Override
    public boolean needsCleanEmbed() {
        return true;
    }

    /** Until σ is calibrated. */
    @Override
    public boolean needsCalibration() {
        return Double.isNaN(sigma);
    }

    /** σ = the standard deviation of every value of {@code embed} in the sample. */
    @Override
    public Corruption calibrate(Activations cleanSample) {
        INDArray e = cleanSample.get(Site.embed());
        return new GaussianNoise(k, e.stdNumber().doubleValue());
    }

    @Override
    public Activations run(Vit vit, Images images, Activations clean, Keep keep) {
        if (Double.isNaN(sigma)) {
            throw new IllegalStateException("noise σ is not calibrated; call calibrate(cleanSample) first");
        }
        INDArray embed = clean.get(Site.embed());                        // [B, N, D]
        int b = (int) embed.size(0);
        int perImage = (int) (embed.length() / b);
        float[] noise = new float[(int) embed.length()];
        for (int i = 0; i < b; i++) {
            SplittableRandom rng = images.random(i);
            for (int j = 0; j < perImage; j++) {
                noise[i * perImage + j] = (float) (k * sigma * rng.nextGaussian());
            }
        }
        INDArray noisy = embed.add(Nd4j.create(noise, embed.shape(), 'c'));
        return vit.run(images.batch().input(), keep,
                Map.of(Site.embed(), Substitution.whole(noisy)));
    }

    @Override
    public String describe() {
        return "noise(k=" + k + (Double.isNaN(sigma) ? "" : String.format(java.util.Locale.ROOT, ", sigma=%.4g", sigma))
                + ")";
    }
}
