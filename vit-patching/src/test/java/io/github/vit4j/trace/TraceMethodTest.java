package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TraceMethodTest {

    @Test
    void methodsParseCaseInsensitivelyAndPrintAsTheyParse() {
        assertEquals(TraceMethod.exact(), TraceMethod.parse(" Exact "));
        assertEquals(TraceMethod.atp(), TraceMethod.parse("ATP"));
        assertEquals(TraceMethod.atpIg(4), TraceMethod.parse("atp-ig"));
        assertEquals(TraceMethod.atpIg(16), TraceMethod.parse("atp-IG:16"));
        for (String s : new String[] {"exact", "atp", "atp-ig:1", "atp-ig:4"}) {
            assertEquals(s, TraceMethod.parse(s).label());
        }
    }

    @Test
    void aBadMethodIsRefusedNamingItAndTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceMethod.parse("fast"));
        assertTrue(e.getMessage().contains("'fast'") && e.getMessage().contains("atp-ig:K"), e.getMessage());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> TraceMethod.parse("atp-ig:0"));
        assertTrue(k.getMessage().contains("'0'") && k.getMessage().contains("atp-ig:4"), k.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TraceMethod.parse("atp-ig:x"));
        assertThrows(IllegalArgumentException.class, () -> new TraceMethod(TraceMethod.Kind.ATP, 3));
    }
}
