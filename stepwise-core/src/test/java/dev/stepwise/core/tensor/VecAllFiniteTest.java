package dev.stepwise.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VecAllFiniteTest {
    @Test
    void agreesWithFloatIsFiniteAtEveryPositionAndForEveryKindOfValue() {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.MIN_VALUE, -0f, 0f, Float.MIN_NORMAL, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)};
        for (float special : specials) {
            for (int at : new int[] {0, 1, 17, 999}) {
                float[] x = new float[1000];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (i % 7) - 3.5f;
                }
                x[at] = special;
                assertEquals(Float.isFinite(special), Vec.allFinite(x), special + " at " + at);
            }
        }
        assertEquals(true, Vec.allFinite(new float[0]));
    }
}
