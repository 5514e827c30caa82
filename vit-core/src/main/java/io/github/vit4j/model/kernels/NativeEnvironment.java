package io.github.vit4j.model.kernels;

import com.sun.jna.Function;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * The environment ND4J's native libraries read once, when they load: what {@code nd4j-env.sh} sets in a shell, set
 * by vit4j itself inside the JVM, so that a user who embeds the library and prepares nothing gets the fast kernels.
 *
 * <p>Before ND4J's natives are in the process, {@link #prepare()} sets, in the process environment (through the C
 * library's {@code setenv}, which OpenBLAS and OpenMP read with {@code getenv} when they load):
 * <ul>
 *   <li>{@code OPENBLAS_CORETYPE=SKYLAKEX} on a CPU with AVX-512 where OpenBLAS 0.3.19 would run slower kernels
 *       (see {@link OpenBlasCoreType}): about 3.6× the GEMM speed on a Zen 5 left alone, 1.5× one set to Haswell;
 *       a value the user set is replaced only when it names an AVX2 kernel set, and never when
 *       {@code VIT4J_KEEP_OPENBLAS_CORETYPE=1};</li>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE} and {@code OPENBLAS_THREAD_TIMEOUT=4} when unset: idle OpenMP and OpenBLAS
 *       threads sleep instead of spinning against each other or against other native code in the JVM
 *       (docs/performance.md);</li>
 *   <li>{@code OMP_NUM_THREADS} and {@code OPENBLAS_NUM_THREADS} when the system property {@value #THREADS} (or
 *       the variable {@code VIT4J_THREADS}) asks for a number of threads: then every pool vit4j's kernels use —
 *       OpenMP's (ND4J's and oneDNN's), OpenBLAS's and vit4j's own parallel loops ({@link #threads()}) — has that
 *       many, so that vit4j can share a machine with other native libraries (a server).</li>
 * </ul>
 * vit4j calls it from the classes that create its first arrays (model files, images, weights), so this happens by
 * itself unless the application used ND4J before vit4j; then call it first thing in {@code main}. Once the natives
 * are loaded it changes nothing, and the first model built says once (an SLF4J warning) what to set instead.
 * Linux and macOS; elsewhere it does nothing.
 */
public final class NativeEnvironment {

    /** The system property that sizes vit4j's thread pools; the variable {@code VIT4J_THREADS} does too. */
    public static final String THREADS = "vit4j.threads";

    private static final Object LOCK = new Object();
    private static Map<String, String> applied;

    private NativeEnvironment() {
    }

    /** Sets the variables above if ND4J's natives are not loaded yet; once per JVM, later calls return at once. */
    public static void prepare() {
        synchronized (LOCK) {
            if (applied != null) {
                return;
            }
            applied = Map.of();
            threads();                                       // a bad -Dvit4j.threads is named now, not ignored
            try {
                if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).matches(".*(linux|mac).*")
                        || nativesLoaded()) {
                    return;
                }
                Map<String, String> wanted = wanted(cpuinfo(), System.getenv());
                for (Map.Entry<String, String> e : wanted.entrySet()) {
                    int rc = Function.getFunction("c", "setenv").invokeInt(new Object[] {e.getKey(), e.getValue(), 1});
                    if (rc != 0) {
                        return;
                    }
                }
                applied = Map.copyOf(wanted);
                LoggerFactory.getLogger(NativeEnvironment.class).debug("set for ND4J's natives: {}", wanted);
                requested(System.getProperty(THREADS), System.getenv("VIT4J_THREADS")).ifPresent(n -> {
                    // ND4J reads OMP_NUM_THREADS through System.getenv (the JVM's start-up copy, without the value
                    // set above) and sets this thread's OpenMP threads to the core count as it loads: set it back
                    org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(n);
                    org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
                    org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxMasterThreads(n);
                });
            } catch (IOException | RuntimeException | LinkageError e) {
                // an optimisation only: where it cannot be applied, the natives run as they would have
                LoggerFactory.getLogger(NativeEnvironment.class).debug("not applied", e);
            }
        }
    }

    /** The environment the natives saw if they load after {@link #prepare()}: the JVM's, with what it set. */
    static Map<String, String> effective(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        synchronized (LOCK) {
            if (applied != null) {
                all.putAll(applied);
            }
        }
        return all;
    }

    /** What {@link #prepare()} sets on a machine whose {@code /proc/cpuinfo} reads {@code cpuinfo}. */
    static Map<String, String> wanted(String cpuinfo, Map<String, String> env) {
        Map<String, String> wanted = new LinkedHashMap<>();
        boolean keep = "1".equals(env.get("VIT4J_KEEP_OPENBLAS_CORETYPE"));
        Optional<String> advice = OpenBlasCoreType.advice(cpuinfo, env);
        if (!keep && advice.isPresent()) {
            wanted.put(OpenBlasCoreType.VARIABLE, OpenBlasCoreType.AVX512_KERNELS);
        }
        if (!env.containsKey("OMP_WAIT_POLICY")) {
            wanted.put("OMP_WAIT_POLICY", "PASSIVE");
        }
        if (!env.containsKey("OPENBLAS_THREAD_TIMEOUT")) {
            wanted.put("OPENBLAS_THREAD_TIMEOUT", "4");
        }
        requested(System.getProperty(THREADS), env.get("VIT4J_THREADS")).ifPresent(n -> {
            wanted.put("OMP_NUM_THREADS", Integer.toString(n));
            wanted.put("OPENBLAS_NUM_THREADS", Integer.toString(n));
        });
        return wanted;
    }

    /**
     * The threads vit4j's own parallel loops use: the property {@value #THREADS}, else the variable
     * {@code VIT4J_THREADS}, else the JVM's available processors. Set it before vit4j's first model to size every
     * pool (ND4J's and oneDNN's OpenMP threads and OpenBLAS's follow it then; see the class comment).
     *
     * @throws IllegalArgumentException if the property or the variable is not a whole number from 1 to 4096
     */
    public static int threads() {
        return requested(System.getProperty(THREADS), System.getenv("VIT4J_THREADS"))
                .orElse(Runtime.getRuntime().availableProcessors());
    }

    /** The number of threads {@code property}, else {@code variable}, asks for, if either is set. */
    static java.util.OptionalInt requested(String property, String variable) {
        String value = property != null ? property : variable;
        if (value == null || value.isBlank()) {
            return java.util.OptionalInt.empty();
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 4096) {
                return java.util.OptionalInt.of(n);
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException((property != null ? "-D" + THREADS : "VIT4J_THREADS") + "=" + value
                + ": expected a whole number of threads from 1 to 4096, e.g. 2; leave it unset to use every core");
    }

    /** Whether OpenBLAS or OpenMP is mapped into this process already (then their environment is read). */
    private static boolean nativesLoaded() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return false;                                    // macOS: no maps; the natives load with ND4J, after us
        }
        String mapped = Files.readString(maps);
        return mapped.contains("libopenblas") || mapped.contains("libgomp") || mapped.contains("libnd4j");
    }

    /** This machine's {@code /proc/cpuinfo}, or "" where there is none (advice and settings then find nothing). */
    static String cpuinfo() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        return Files.isReadable(cpuinfo) ? Files.readString(cpuinfo) : "";
    }
}
