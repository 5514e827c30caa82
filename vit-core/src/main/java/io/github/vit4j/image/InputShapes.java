package io.github.vit4j.image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The shape checks of {@link Preprocessing#checkModelInput(INDArray, int, int)}, with their hints. */
final class InputShapes {

    private InputShapes() {
    }

    /** See {@link Preprocessing#checkModelInput(INDArray, int, int)}. */
    static void checkModelInput(INDArray x, int channels, int size) {
        if (x == null) {
            throw new IllegalArgumentException("expected pixels [B, " + channels + ", " + size + ", " + size
                    + "] but got null");
        }
        long[] s = x.shape();
        List<String> problems = new ArrayList<>();
        if (s.length != 4) {
            String hint = s.length == 3 && s[0] == channels
                    ? "; a single image without the batch dimension? reshape to [1, " + s[0] + ", " + s[1] + ", "
                            + s[2] + "]"
                    : "";
            problems.add("rank " + s.length + " instead of 4" + hint);
        } else {
            if (s[0] < 1) {
                problems.add("an empty batch");
            }
            if (s[1] != channels) {
                if (s[3] == channels && s[1] != channels) {
                    problems.add(s[1] + " channels; channels last [B, H, W, C]? permute(0, 3, 1, 2)");
                } else {
                    problems.add(s[1] + " channels" + channelHint(s[1], channels));
                }
            }
            if (s[2] != size || s[3] != size) {
                problems.add(s[2] + "×" + s[3] + " pixels (resize to " + size + "×" + size
                        + ": Preprocessing.normalize or apply do that)");
            }
        }
        if (x.dataType() != DataType.FLOAT) {
            problems.add("data type " + x.dataType() + " (the model computes in float32: x.castTo(DataType.FLOAT))");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("expected pixels [B, " + channels + ", " + size + ", " + size
                    + "] but got " + Arrays.toString(s) + ": " + String.join("; ", problems));
        }
    }

    static String channelHint(long got, int expected) {
        if (expected == 3 && got == 4) {
            return " (RGBA? drop alpha)";
        }
        if (expected == 3 && got == 1) {
            return " (grayscale? repeat it into 3 channels)";
        }
        return "";
    }
}
