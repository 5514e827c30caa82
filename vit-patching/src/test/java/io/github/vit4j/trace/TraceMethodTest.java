package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TraceMethodTest {

    @Test
    void methodsParseCaseInsensitivelyAndPrintAsTheyParse() {
        assertEquals(TraceMethod.exact(), TraceMethod.of(" Exact "));
        assertEquals(TraceMethod.atp(), TraceMethod.of("ATP"));
        assertEquals(TraceMethod.atpIg(4), TraceMethod.of("atp-ig"));
        assertEquals(TraceMethod.atpIg(16), TraceMethod.of("atp-IG:16"));
        for (String s : new String[] {"exact", "atp", "atp-ig:1", "atp-ig:4"}) {
            assertEquals(s, TraceMethod.of(s).label());
        }
    }

    @Test
    void aBadMethodIsRefusedNamingItAndTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceMethod.of("fast"));
        assertTrue(e.getMessage().contains("'fast'") && e.getMessage().contains("atp-ig:K"), e.getMessage());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> TraceMethod.of("atp-ig:0"));
        assertTrue(k.getMessage().contains("'0'") && k.getMessage().contains("atp-ig:4"), k.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TraceMethod.of("atp-ig:x"));
        assertThrows(IllegalArgumentException.class, () -> new TraceMethod(TraceMethod.Kind.ATP, 3));
    }
}
