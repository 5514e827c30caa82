package io.github.vit4j;

import io.github.vit4j.format.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Single arrays out of an {@code .npz} whose other entries {@link Npy#readNpz} would refuse (the families'
 * references also hold string arrays such as {@code images}): the entry is copied to a temporary file and read
 * with {@link Npy#read}.
 */
public final class NpzEntries {

    private NpzEntries() {
    }

    /** The array stored as {@code name} ({@code name.npy} in the zip). */
    public static INDArray read(Path npz, String name) throws IOException {
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            ZipEntry entry = zip.getEntry(name + ".npy");
            if (entry == null) {
                throw new IOException(npz + " has no array " + name);
            }
            Path tmp = Files.createTempFile("npz-entry", ".npy");
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return Npy.read(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
