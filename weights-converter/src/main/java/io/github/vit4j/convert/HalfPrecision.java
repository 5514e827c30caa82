package io.github.vit4j.convert;

/**
 * The two 16-bit float formats weights are saved in, widened to float32 exactly (every value of either is a float):
 * IEEE 754 binary16 (safetensors {@code F16}, {@code torch.float16}) and bfloat16 ({@code BF16},
 * {@code torch.bfloat16}).
 */
final class HalfPrecision {

    private HalfPrecision() {
    }

    /** IEEE 754 binary16 to float32, exactly (every half is a float), including subnormals, ±inf and NaN. */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal (or zero): mantissa · 2^-24, exact in float
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
    }

    /** bfloat16 is the upper half of a float32. */
    static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }
}
