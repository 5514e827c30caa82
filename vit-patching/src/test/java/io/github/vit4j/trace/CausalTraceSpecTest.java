package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a trace's {@link CausalTrace.Spec} accepts: the kinds once each, in the order first given; a window ≥ 1. */
class CausalTraceSpecTest {

    @Test
    void aKindGivenTwiceIsTracedOnceInTheOrderFirstGiven() {
        CausalTrace.Spec spec = new CausalTrace.Spec(List.of(SweepKind.MLP, SweepKind.RESID, SweepKind.MLP), 3,
                CausalTrace.Spec.defaults().tokens(), Metric.PROB);
        assertEquals(List.of(SweepKind.MLP, SweepKind.RESID), spec.kinds());
    }

    @Test
    void noKindsOrAWindowBelowOneAreRefusedNamingTheSetting() {
        SettingException none = assertThrows(SettingException.class, () -> new CausalTrace.Spec(List.of(), 3,
                CausalTrace.Spec.defaults().tokens(), Metric.PROB));
        assertEquals(List.of(DatasetTrace.Setting.KINDS), none.settings());
        SettingException window = assertThrows(SettingException.class, () -> new CausalTrace.Spec(
                List.of(SweepKind.RESID), 0, CausalTrace.Spec.defaults().tokens(), Metric.PROB));
        assertEquals(List.of(DatasetTrace.Setting.WINDOW), window.settings());
    }
}
