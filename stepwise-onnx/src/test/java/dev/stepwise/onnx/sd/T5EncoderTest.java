package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.onnx.text.PromptAttention;
import dev.stepwise.onnx.text.PromptProfile;
import dev.stepwise.onnx.text.SentencePieceTokenizer;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * SD3's T5 sequences as each UI forms them, on the test spiece.model. The ids of each word are python3-sentencepiece's
 * (a = 57, photograph = 1567, of = 70 30, cat = 41 92, grass = 1465, "a cat, on grass" = 57 41 92 5 341 1465); the
 * rules are ComfyUI's T5XXLTokenizer (no start token, EOS 1, pad 0 to at least 77, no upper limit) and A1111's
 * Sd3T5.tokenize_line (padded or cut to the CLIP part's length, weights not applied).
 */
class T5EncoderTest {
    private static SentencePieceTokenizer tokenizer() {
        try {
            return SentencePieceTokenizer.load(Path.of(T5EncoderTest.class.getResource("/t5/spiece.model").toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] padded(int length, int... head) {
        return Arrays.copyOf(head, length);   // pad id 0
    }

    private static float[] ones(int length) {
        float[] w = new float[length];
        Arrays.fill(w, 1f);
        return w;
    }

    @Test
    void comfyuiTokenizesEachWordWithItsRunsWeightThenEosAndPadsTo77() {
        T5Encoder.Tokens t = T5Encoder.comfyui(tokenizer(), PromptAttention.comfyui("a (photograph:1.2) of"));
        assertArrayEquals(padded(77, 57, 1567, 70, 30, 1), t.ids());
        float[] w = ones(77);
        w[1] = 1.2f;
        assertArrayEquals(w, t.weights());
    }

    @Test
    void comfyuiKeepsALongPromptInOneSequence() {
        T5Encoder.Tokens t = T5Encoder.plain(tokenizer(), "cat ".repeat(40));
        assertEquals(81, t.ids().length);
        assertEquals(41, t.ids()[78]);
        assertEquals(92, t.ids()[79]);
        assertEquals(1, t.ids()[80]);
    }

    @Test
    void a1111SkipsBreakIgnoresWeightsAndPadsToTheClipLength() {
        T5Encoder.Tokens t = T5Encoder.a1111(tokenizer(), PromptAttention.a1111("a cat, on (grass:1.5) BREAK grass"),
                154);
        assertArrayEquals(padded(154, 57, 41, 92, 5, 341, 1465, 1465, 1), t.ids());
        assertArrayEquals(ones(154), t.weights());
    }

    @Test
    void a1111CutsALongPromptToTheClipLength() {
        T5Encoder.Tokens t = T5Encoder.a1111(tokenizer(), PromptAttention.a1111("cat ".repeat(50)), 77);
        assertEquals(77, t.ids().length);
        assertEquals(92, t.ids()[75]);
        assertEquals(41, t.ids()[76]);   // cut inside a word, the end token with the rest, as A1111 cuts it
    }

    @Test
    void profilesPickTheirRules() {
        try (SdModel sd = SdModelTest.load("sd3")) {
            T5Encoder t5 = ((TextEncoders) sd.promptEncoder()).t5();
            assertEquals(77, t5.tokens("(cat:1.2)", PromptProfile.COMFYUI, 154).ids().length);
            assertEquals(1.2f, t5.tokens("(cat:1.2)", PromptProfile.COMFYUI, 154).weights()[0]);
            assertEquals(154, t5.tokens("(cat:1.2)", PromptProfile.A1111, 154).ids().length);
            assertEquals(1f, t5.tokens("(cat:1.2)", PromptProfile.A1111, 154).weights()[0]);
        }
    }
}
