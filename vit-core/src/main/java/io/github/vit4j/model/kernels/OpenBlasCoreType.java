package io.github.vit4j.model.kernels;

import io.github.vit4j.model.Vit;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * ND4J 1.0.0-M2.1 ships OpenBLAS 0.3.19, which predates AVX-512 on AMD: left alone it gives a Zen 4 its AVX2
 * kernels and takes this project's Zen 5 for a 2007 "Barcelona" (SSE kernels, ≈ 75 GFLOP/s), and the usual
 * workaround {@code OPENBLAS_CORETYPE=Haswell} gets AVX2 (≈ 150). On a CPU with AVX-512,
 * {@code OPENBLAS_CORETYPE=SKYLAKEX}, set before the JVM starts, selects its AVX-512 kernels (226–370 GFLOP/s on
 * ViT-B/16's GEMMs here, the same results; docs/performance.md). {@link NativeEnvironment} sets it inside the JVM
 * before ND4J's natives load; where they were loaded first, a model built where it would help says so, once
 * ({@code nd4j-env.sh}, sourced by the {@code vit} launcher and {@code .ci/run}, sets it in a shell).
 */
final class OpenBlasCoreType {

    static final String VARIABLE = "OPENBLAS_CORETYPE";
    /** The value that selects OpenBLAS's AVX-512 kernels. */
    static final String AVX512_KERNELS = "SKYLAKEX";
    private static final List<String> AVX512 = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
    private static final AtomicBoolean ADVISED = new AtomicBoolean();

    private OpenBlasCoreType() {
    }

    /**
     * The advice for a machine whose {@code /proc/cpuinfo} reads {@code cpuinfo} and whose environment is
     * {@code env}: present for a CPU with AVX-512 when {@code OPENBLAS_CORETYPE} is unset on AMD (which OpenBLAS
     * 0.3.19 misdetects) or names an AVX2 kernel set (Haswell, Zen) on any vendor.
     */
    static Optional<String> advice(String cpuinfo, Map<String, String> env) {
        Set<String> flags = Arrays.stream(field(cpuinfo, "flags").split("\\s+")).collect(Collectors.toSet());
        if (!flags.containsAll(AVX512)) {
            return Optional.empty();
        }
        String set = env.getOrDefault(VARIABLE, "").trim();
        boolean avx2Only = set.equalsIgnoreCase("haswell") || set.equalsIgnoreCase("zen");
        boolean misdetected = set.isEmpty() && field(cpuinfo, "vendor_id").equals("AuthenticAMD");
        if (!avx2Only && !misdetected) {
            return Optional.empty();
        }
        String now = avx2Only ? "its " + set + " kernels (AVX2; about half the speed)"
                : "slower kernels (AVX2 on a Zen 4; SSE on a Zen 5, which it does not recognise: a quarter of the speed)";
        return Optional.of("this CPU has AVX-512 but ND4J's OpenBLAS 0.3.19 will run " + now + "; export " + VARIABLE
                + "=" + AVX512_KERNELS + " before starting Java for its AVX-512 kernels, or call NativeEnvironment.prepare() before"
                + " anything uses ND4J (vit4j does this itself when it creates the first arrays)");
    }

    /**
     * Logs {@link #advice} for this machine once per JVM, a warning through SLF4J (logger {@code io.github.vit4j.model.Vit},
     * shown by whatever SLF4J binding the application has, if any); silent elsewhere.
     */
    static void adviseOnce() {
        if (ADVISED.getAndSet(true)) {
            return;
        }
        try {
            advice(NativeEnvironment.cpuinfo(), NativeEnvironment.effective(System.getenv())).ifPresent(a ->
                    LoggerFactory.getLogger(Vit.class).warn(a));
        } catch (IOException | RuntimeException e) {
            // advice only: a machine whose cpuinfo cannot be read simply gets none
        }
    }

    /** The value of the first {@code name : value} line of {@code cpuinfo}, or "" if there is none. */
    private static String field(String cpuinfo, String name) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return "";
    }
}
