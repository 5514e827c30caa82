package io.github.vit4j.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Which kernel set a model gets when it names none, from the system properties, the backend and oneDNN's natives. */
class KernelSetTest {

    @Test
    void withNothingNamedTheFastestCpuSetRunsOnTheCpuBackendAndThePlainOneOnCuda() {
        assertEquals(KernelSet.ONEDNN, KernelSet.configured(null, null, true, () -> true));
        assertEquals(KernelSet.OPENBLAS, KernelSet.configured(null, null, true, () -> false));
        assertEquals(KernelSet.PLAIN, KernelSet.configured(null, null, false, () -> true));
        assertTrue(Nd4j.getEnvironment().isCPU(), "these tests run on the CPU backend");
    }

    @Test
    void thePropertyNamesEachSetInAnyCaseAndTheOlderNamesStillWork() {
        assertEquals(KernelSet.ONEDNN, KernelSet.configured(" OneDNN ", null, true, () -> true));
        assertEquals(KernelSet.OPENBLAS, KernelSet.configured("openblas", null, true, () -> true));
        assertEquals(KernelSet.PLAIN, KernelSet.configured("plain", null, true, () -> true));
        assertEquals(KernelSet.PLAIN, KernelSet.configured("portable", null, true, () -> true));
        assertEquals(KernelSet.ONEDNN, KernelSet.configured("cpu", null, true, () -> true));
        assertEquals(KernelSet.OPENBLAS, KernelSet.configured("cpu", null, true, () -> false));
    }

    @Test
    void theOlderOneDnnSwitchOffMeansOpenBlasUnlessASetIsNamed() {
        assertEquals(KernelSet.OPENBLAS, KernelSet.configured(null, "false", true, () -> true));
        assertEquals(KernelSet.OPENBLAS, KernelSet.configured("cpu", "false", true, () -> true));
        assertEquals(KernelSet.ONEDNN, KernelSet.configured(null, "true", true, () -> true));
        assertEquals(KernelSet.PLAIN, KernelSet.configured("plain", "false", true, () -> true));
    }

    @Test
    void anUnknownSetOrSwitchIsRefusedNamingTheValueAndTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelSet.configured("mkl", null, true, () -> true));
        assertTrue(e.getMessage().contains("-Dvit4j.kernels=mkl") && e.getMessage().contains("onednn")
                && e.getMessage().contains("openblas") && e.getMessage().contains("plain"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelSet.configured(null, "no", true, () -> true));
        assertTrue(e.getMessage().contains("-Dvit4j.onednn=no"), e.getMessage());
    }

    @Test
    void configuredReadsTheSystemProperty() throws Throwable {
        SystemProperty.with(KernelSet.PROPERTY, "plain", () -> assertEquals(KernelSet.PLAIN, KernelSet.configured()));
        SystemProperty.with(KernelSet.PROPERTY, "openblas",
                () -> assertEquals(KernelSet.OPENBLAS, KernelSet.configured()));
    }

    @Test
    void eachSetIsOneTypeOfItsOwn() {
        assertTrue(KernelSet.PLAIN.ops() instanceof PlainOps);
        assertTrue(KernelSet.OPENBLAS.ops() instanceof OpenBlasOps);
        if (KernelSet.ONEDNN.runsHere()) {
            assertTrue(KernelSet.ONEDNN.ops() instanceof OneDnnOps);
        } else {
            assertFalse(OneDnn.available());
            assertThrows(IllegalArgumentException.class, KernelSet.ONEDNN::ops);
        }
    }
}
