package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** vit4j sets ND4J's native environment itself, so that a JVM started with nothing prepared runs the fast kernels. */
class NativeEnvironmentTest {

    private static final String AMD = OpenBlasCoreTypeTest.cpuinfo("AuthenticAMD", OpenBlasCoreTypeTest.FLAGS_AVX512);

    @Test
    void onAnAvx512AmdCpuWithNothingSetItAsksForTheAvx512KernelsAndSleepingThreads() {
        assertEquals(Map.of("OPENBLAS_CORETYPE", "SKYLAKEX", "OMP_WAIT_POLICY", "PASSIVE",
                "OPENBLAS_THREAD_TIMEOUT", "4"), NativeEnvironment.wanted(AMD, Map.of()));
    }

    @Test
    void anAvx2KernelSetIsReplacedButNotWhenTheUserSaysKeepItAndNoSetVariableIsTouched() {
        Map<String, String> env = Map.of("OPENBLAS_CORETYPE", "Haswell", "OMP_WAIT_POLICY", "ACTIVE",
                "OPENBLAS_THREAD_TIMEOUT", "1");
        assertEquals(Map.of("OPENBLAS_CORETYPE", "SKYLAKEX"), NativeEnvironment.wanted(AMD, env));
        Map<String, String> keep = new java.util.HashMap<>(env);
        keep.put("VIT4J_KEEP_OPENBLAS_CORETYPE", "1");
        assertEquals(Map.of(), NativeEnvironment.wanted(AMD, keep));
    }

    @Test
    void askingForThreadsSizesOpenMpAndOpenBlasAndThePropertyWinsOverTheVariable() {
        assertEquals(java.util.OptionalInt.of(1), NativeEnvironment.requested("1", "3"));
        assertEquals(java.util.OptionalInt.of(3), NativeEnvironment.requested(null, " 3 "));
        assertEquals(java.util.OptionalInt.empty(), NativeEnvironment.requested(null, null));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NativeEnvironment.requested("two", null));
        assertEquals("-Dvit4j.threads=two: expected a whole number of threads from 1 to 4096, e.g. 2; leave it unset"
                + " to use every core", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NativeEnvironment.requested(null, "0"));
    }

    @Test
    void aJvmAskedForOneThreadRunsOpenMpWithOneThread() throws Exception {
        assumeAvx512MissedByOpenBlas();
        assertEquals("1", probe(Map.of("VIT4J_THREADS", "1"), "omp_max_threads="));
        assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()),
                probe(Map.of("OMP_NUM_THREADS", Integer.toString(Runtime.getRuntime().availableProcessors())),
                        "omp_max_threads="));
    }

    @Test
    void aJvmStartedWithNothingSetRunsOpenBlassAvx512KernelsAfterVit4jCreatesItsFirstArrays() throws Exception {
        assumeAvx512MissedByOpenBlas();
        assertEquals("SkylakeX", coreName(Map.of()));
        assertEquals("SkylakeX", coreName(Map.of("OPENBLAS_CORETYPE", "Haswell")));
    }

    @Test
    void theUsersChoiceIsKeptWhenAskedAndNothingChangesOnceNd4jHasLoadedFirst() throws Exception {
        assumeAvx512MissedByOpenBlas();
        assertEquals("Haswell", coreName(Map.of("OPENBLAS_CORETYPE", "Haswell", "VIT4J_KEEP_OPENBLAS_CORETYPE", "1")));
        assertEquals("Haswell", coreName(Map.of("OPENBLAS_CORETYPE", "Haswell"), "nd4j-first"));
    }

    /** This machine is one where OpenBLAS 0.3.19 left alone misses the CPU's AVX-512 (an AMD one). */
    private static void assumeAvx512MissedByOpenBlas() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        assumeTrue(Files.isReadable(cpuinfo) && OpenBlasCoreType.advice(Files.readString(cpuinfo), Map.of())
                .isPresent(), "not a CPU whose AVX-512 OpenBLAS 0.3.19 misses");
    }

    /** The kernel set OpenBLAS chose in a fresh JVM whose environment is this one without ND4J's variables, plus {@code env}. */
    private static String coreName(Map<String, String> env, String... args) throws Exception {
        return probe(env, "corename=", args);
    }

    /** What the probe printed after {@code key} in a fresh JVM whose environment is this one without ND4J's variables, plus {@code env}. */
    private static String probe(Map<String, String> env, String key, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(System.getProperty("java.home") + File.separator
                + "bin" + File.separator + "java", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", NativeEnvironmentProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        for (String v : List.of("OPENBLAS_CORETYPE", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT",
                "VIT4J_KEEP_OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VIT4J_THREADS")) {
            pb.environment().remove(v);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out.lines().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length())).findFirst()
                .orElseThrow(() -> new AssertionError("the probe printed no " + key + " " + out));
    }
}
