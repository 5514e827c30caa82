package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When a model advises setting OPENBLAS_CORETYPE: only where OpenBLAS 0.3.19 misses the CPU's AVX-512. */
class OpenBlasCoreTypeTest {

    static final String FLAGS_AVX512 = "fpu sse sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16";

    static String cpuinfo(String vendor, String flags) {
        return "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: 26\nmodel name\t: AMD EPYC\nflags\t\t: "
                + flags + "\n\nprocessor\t: 1\nvendor_id\t: " + vendor + "\n";
    }

    @Test
    void anAmdCpuWithAvx512AndNoCoreTypeSetGetsTheAdvice() {
        Optional<String> advice = OpenBlasCoreType.advice(cpuinfo("AuthenticAMD", FLAGS_AVX512), Map.of());
        assertTrue(advice.orElseThrow().contains("OPENBLAS_CORETYPE=SKYLAKEX"), advice.toString());
    }

    @Test
    void anAvx2CoreTypeOnAnAvx512CpuGetsTheAdviceWhateverTheVendor() {
        for (String vendor : new String[] {"AuthenticAMD", "GenuineIntel"}) {
            Optional<String> advice = OpenBlasCoreType.advice(cpuinfo(vendor, FLAGS_AVX512),
                    Map.of("OPENBLAS_CORETYPE", "Haswell"));
            assertTrue(advice.orElseThrow().contains("its Haswell kernels (AVX2"), advice.toString());
        }
    }

    @Test
    void noAdviceWhenTheVariableNamesAnAvx512KernelSet() {
        assertEquals(Optional.empty(), OpenBlasCoreType.advice(cpuinfo("AuthenticAMD", FLAGS_AVX512),
                Map.of("OPENBLAS_CORETYPE", "SKYLAKEX")));
        assertEquals(Optional.empty(), OpenBlasCoreType.advice(cpuinfo("GenuineIntel", FLAGS_AVX512),
                Map.of("OPENBLAS_CORETYPE", "COOPERLAKE")));
    }

    @Test
    void noAdviceForAnUnsetVariableOnIntelWhichOpenBlasRecognisesOrForCpusWithoutAvx512() {
        assertEquals(Optional.empty(), OpenBlasCoreType.advice(cpuinfo("GenuineIntel", FLAGS_AVX512), Map.of()));
        assertEquals(Optional.empty(), OpenBlasCoreType.advice(cpuinfo("AuthenticAMD",
                "fpu sse sse2 avx avx2 fma avx512f"), Map.of("OPENBLAS_CORETYPE", "Haswell")));
        assertEquals(Optional.empty(), OpenBlasCoreType.advice("", Map.of()));
    }
}
