package io.github.vit4j.report;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * A colour scale for effects that can be negative: white at 0, reds for positive values (restored probability),
 * blues for negative ones, ColorBrewer's RdBu ramp. Bounds are symmetric ({@code ±limit}) when the data has both
 * signs; when it has one sign only the scale covers {@code [0, limit]} (or {@code [−limit, 0]}) and so is the
 * sequential white-to-red half of the same ramp. NaN (an undefined effect) is light grey.
 */
final class DivergingScale implements PaintScale {

    /** RdBu, 11 classes, from most negative (dark blue) to most positive (dark red). */
    private static final Color[] RAMP = {
        new Color(0x053061), new Color(0x2166ac), new Color(0x4393c3), new Color(0x92c5de), new Color(0xd1e5f0),
        new Color(0xf7f7f7),
        new Color(0xfddbc7), new Color(0xf4a582), new Color(0xd6604d), new Color(0xb2182b), new Color(0x67001f)};

    /** The colour of a NaN cell. */
    static final Color NAN_COLOR = new Color(0xd9d9d9);

    private final double limit;
    private final double lower;
    private final double upper;

    private DivergingScale(double limit, double lower, double upper) {
        this.limit = limit;
        this.lower = lower;
        this.upper = upper;
    }

    /**
     * A scale fitted to {@code values} (NaN ignored): the limit is the largest |value| rounded up to two
     * significant digits, so that the colour bar ends on a readable number.
     */
    static DivergingScale fitted(double[][] values) {
        double min = 0;
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        double limit = niceCeiling(Math.max(-min, max));
        return new DivergingScale(limit, min < 0 ? -limit : 0, max > 0 || min == 0 ? limit : 0);
    }

    /** The largest |value| the ramp distinguishes; values beyond it take the end colours. */
    double limit() {
        return limit;
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return upper;
    }

    @Override
    public Paint getPaint(double value) {
        return color(value);
    }

    /** The colour of {@code value}. */
    Color color(double value) {
        if (Double.isNaN(value)) {
            return NAN_COLOR;
        }
        double t = Math.max(-1, Math.min(1, value / limit)); // -1 .. 1
        double pos = (t + 1) / 2 * (RAMP.length - 1);
        int i = (int) Math.min(RAMP.length - 2, Math.floor(pos));
        double f = pos - i;
        Color a = RAMP[i];
        Color b = RAMP[i + 1];
        return new Color(mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f),
                mix(a.getBlue(), b.getBlue(), f));
    }

    /** Black or white, whichever reads better on {@code background}. */
    static Color textColor(Color background) {
        double luminance = 0.299 * background.getRed() + 0.587 * background.getGreen() + 0.114 * background.getBlue();
        return luminance > 140 ? Color.BLACK : Color.WHITE;
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }

    /** {@code x} rounded up to two significant digits; a tiny positive number for 0. */
    static double niceCeiling(double x) {
        if (!(x > 0) || Double.isInfinite(x)) {
            return 1e-9;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(x)) - 1);
        return Math.ceil(x / magnitude - 1e-9) * magnitude;
    }

    @Override
    public String toString() {
        return "DivergingScale[" + lower + ", " + upper + "]";
    }
}
