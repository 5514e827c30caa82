package io.github.vit4j.format;

import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * SHA-256 fingerprints of what a resumable output was made from, so that resuming it with another model or other
 * images is noticed without keeping either: a model's weights (every tensor's name, shape and
 * {@value #WEIGHT_SAMPLES} evenly spaced values) and a source's first images (names, labels and
 * {@value #PIXEL_SAMPLES} evenly spaced pixel values each, as read). Trace folders and embedding runs record them.
 */
public final class Fingerprints {

    /** Values sampled from each weight tensor, evenly spaced. */
    public static final int WEIGHT_SAMPLES = 1024;
    /** Values sampled from each image's pixels, evenly spaced. */
    public static final int PIXEL_SAMPLES = 256;
    /** Images read at a time. */
    static final int BATCH = 64;

    private Fingerprints() {
    }

    /** The hex SHA-256 of every tensor's name, shape and {@link #WEIGHT_SAMPLES} evenly spaced values. */
    public static String weights(VitWeights weights) {
        MessageDigest digest = sha256();
        for (Map.Entry<String, INDArray> e : weights.tensors().entrySet()) {
            INDArray t = e.getValue();
            digest.update((e.getKey() + Arrays.toString(t.shape())).getBytes(StandardCharsets.UTF_8));
            update(digest, t.ravel(), WEIGHT_SAMPLES);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The hex SHA-256 of the first {@code counts[k]} images' names, labels and {@link #PIXEL_SAMPLES} evenly spaced
     * pixel values each, as read with {@code preprocessing}, for each of the ascending {@code counts}: one pass over
     * the most.
     */
    public static String[] images(ImageSource source, Preprocessing preprocessing, int... counts)
            throws IOException {
        MessageDigest digest = sha256();
        String[] fingerprints = new String[counts.length];
        int next = 0;
        int images = counts[counts.length - 1];
        for (int first = 0; first < images; first += BATCH) {
            ImageSource.Batch batch = source.read(first, Math.min(BATCH, images - first), preprocessing);
            for (int i = 0; i < batch.size(); i++) {
                for (; next < counts.length && counts[next] == first + i; next++) {
                    fingerprints[next] = hex(digest);                 // the first counts[next] images, so far
                }
                digest.update((batch.names().get(i) + ":" + batch.labels()[i] + ":")
                        .getBytes(StandardCharsets.UTF_8));
                INDArray pixels = batch.pixels().get(NDArrayIndex.point(i));
                update(digest, pixels.ravel(), PIXEL_SAMPLES);
            }
        }
        for (; next < counts.length; next++) {
            fingerprints[next] = hex(digest);
        }
        return fingerprints;
    }

    /** The hex digest of what {@code digest} has read so far, which it goes on reading. */
    private static String hex(MessageDigest digest) {
        try {
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 of this JDK cannot be cloned", e);
        }
    }

    /** Adds up to {@code samples} evenly spaced values of the vector {@code flat}, as float bits. */
    private static void update(MessageDigest digest, INDArray flat, int samples) {
        long n = flat.length();
        long count = Math.min(n, samples);
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(4 * count));
        INDArray values = flat.castTo(DataType.FLOAT);
        for (long j = 0; j < count; j++) {
            bytes.putFloat(values.getFloat(j * n / count));
        }
        digest.update(bytes.array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java has no SHA-256, which every Java SE must provide", e);
        }
    }
}
