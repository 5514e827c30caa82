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
        List<String> command = new java.util.ArrayList<>(List.of(System.getProperty("java.home") + File.separator
                + "bin" + File.separator + "java", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", NativeEnvironmentProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        for (String v : List.of("OPENBLAS_CORETYPE", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT",
                "VIT4J_KEEP_OPENBLAS_CORETYPE")) {
            pb.environment().remove(v);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out.lines().filter(l -> l.startsWith("corename=")).map(l -> l.substring(9)).findFirst()
                .orElseThrow(() -> new AssertionError("the probe printed no core name: " + out));
    }
}
