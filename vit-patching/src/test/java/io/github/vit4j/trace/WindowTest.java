package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** ROME's window: layers l − ⌊w/2⌋ … l + ⌈w/2⌉ − 1, clipped to [0, L − 1]. */
class WindowTest {

    @Test
    void windowOfThreeIsTheLayerAndItsTwoNeighbours() {
        assertEquals(new Window(4, 6), Window.around(5, 3, 12));
    }

    @Test
    void windowOfOneIsTheLayerAlone() {
        assertEquals(new Window(0, 0), Window.around(0, 1, 12));
        assertEquals(new Window(11, 11), Window.around(11, 1, 12));
    }

    @Test
    void windowClipsAtTheFirstLayer() {
        // l = 0, w = 3: 0 − 1 = −1 clips to 0; 0 + 2 − 1 = 1.
        assertEquals(new Window(0, 1), Window.around(0, 3, 12));
        // l = 1, w = 10: 1 − 5 = −4 clips to 0; 1 + 5 − 1 = 5.
        assertEquals(new Window(0, 5), Window.around(1, 10, 12));
    }

    @Test
    void windowClipsAtTheLastLayer() {
        // l = 11, w = 3: 10 .. 12 clips to 10 .. 11.
        assertEquals(new Window(10, 11), Window.around(11, 3, 12));
        // l = 3, w = 3 in a 4-layer model: 2 .. 4 clips to 2 .. 3.
        assertEquals(new Window(2, 3), Window.around(3, 3, 4));
    }

    @Test
    void evenWindowsReachOneLayerFurtherBackThanForward() {
        // w = 2: l − 1 .. l + 1 − 1 = l − 1 .. l.   w = 4: l − 2 .. l + 1.
        assertEquals(new Window(4, 5), Window.around(5, 2, 12));
        assertEquals(new Window(3, 6), Window.around(5, 4, 12));
    }

    @Test
    void aWindowWiderThanTheModelCoversEveryLayer() {
        assertEquals(new Window(0, 3), Window.around(2, 9, 4));
    }

    @Test
    void nonPositiveWidthsAndLayersOutsideTheModelAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Window.around(0, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> Window.around(4, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> Window.around(-1, 3, 4));
    }
}
