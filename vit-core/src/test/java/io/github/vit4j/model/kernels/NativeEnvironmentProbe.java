package io.github.vit4j.model.kernels;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import com.sun.jna.NativeLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A JVM of its own for {@link NativeEnvironmentTest}: creates its first arrays through vit4j (or, given
 * {@code nd4j-first}, through ND4J before vit4j), then prints the kernel set OpenBLAS chose and
 * OpenMP's thread count.
 */
final class NativeEnvironmentProbe {

    private NativeEnvironmentProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("nd4j-first")) {
            Nd4j.create(2, 2);
        }
        VitWeights.random(VitConfig.cifar10(), 1);
        String lib = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("libopenblas"))
                .map(l -> l.substring(l.indexOf('/'))).findFirst().orElseThrow();
        System.out.println("corename=" + NativeLibrary.getInstance(lib).getFunction("openblas_get_corename")
                .invokeString(new Object[0], false));
        String gomp = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("libgomp"))
                .map(l -> l.substring(l.indexOf('/'))).findFirst().orElseThrow();
        System.out.println("omp_max_threads=" + NativeLibrary.getInstance(gomp).getFunction("omp_get_max_threads")
                .invokeInt(new Object[0]));
    }
}
