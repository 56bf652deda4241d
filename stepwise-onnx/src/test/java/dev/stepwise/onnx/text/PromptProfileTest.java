package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token windows with weights per profile: A1111's tokenize_line and ComfyUI's tokenize_with_weights, by hand. */
class PromptProfileTest {
    static final int BOS = 49406;
    static final int EOS = 49407;
    static final int A = 320;       // "a</w>"
    static final int PHOTO = 1125;  // "photo</w>"
    static final int RED = 736;     // "red</w>"
    static final int BLUE = 1746;   // "blue</w>"
    static final int COMMA = 267;   // ",</w>"
    static final int BREAK_WORD = 2568;  // "break</w>"

    static ClipTokenizer clip;

    @BeforeAll
    static void load() throws URISyntaxException {
        clip = ClipTokenizer.load(Path.of(PromptProfileTest.class.getResource("/clip/vocab.json").toURI()).getParent());
    }

    @Test
    void a1111WeightsFollowTheirTokens() {
        TokenWindows w = PromptProfile.A1111.tokenize(clip, "a (photo:1.2)");
        assertEquals(1, w.count());
        assertArrayEquals(window(EOS, A, PHOTO), w.ids(0));
        assertArrayEquals(weights(1f, 1.2f), w.weights(0));
        assertEquals(2, w.length(0));
        assertEquals(2, w.tokenCount());
        assertEquals(75, w.tokenLimit());
        assertTrue(w.hasWeights());
        assertFalse(PromptProfile.A1111.tokenize(clip, "a photo").hasWeights());
    }

    @Test
    void a1111Counter() {
        TokenWindows w = PromptProfile.A1111.tokenize(clip, words("red", 80));
        assertEquals(2, w.count());
        assertEquals(80, w.tokenCount());
        assertEquals(150, w.tokenLimit());
        // A BREAK counts the rest of its chunk as used.
        TokenWindows broken = PromptProfile.A1111.tokenize(clip, "red BREAK blue");
        assertEquals(2, broken.count());
        assertArrayEquals(window(EOS, RED), broken.ids(0));
        assertArrayEquals(window(EOS, BLUE), broken.ids(1));
        assertEquals(76, broken.tokenCount());
        assertEquals(150, broken.tokenLimit());
        TokenWindows empty = PromptProfile.A1111.tokenize(clip, "");
        assertEquals(1, empty.count());
        assertArrayEquals(clip.emptyWindow(), empty.ids(0));
        assertEquals(0, empty.tokenCount());
        assertEquals(75, empty.tokenLimit());
    }

    @Test
    void a1111CommaBacktrackMovesWeights() {
        // 70 reds, a comma (index 70), then 10 blues at 1.5: the 76th token breaks after the comma; the 4 blues that
        // were in the first chunk move on with their weight.
        TokenWindows w = PromptProfile.A1111.tokenize(clip, words("red", 70) + ", (" + words("blue", 10) + ":1.5)");
        assertEquals(2, w.count());
        assertArrayEquals(window(EOS, concat(repeat(RED, 70), new int[] {COMMA})), w.ids(0));
        assertArrayEquals(weights(repeatF(1f, 71)), w.weights(0));
        assertArrayEquals(window(EOS, repeat(BLUE, 10)), w.ids(1));
        assertArrayEquals(weights(repeatF(1.5f, 10)), w.weights(1));
        assertEquals(75 + 10, w.tokenCount());
    }

    @Test
    void a1111WindowsMatchTheUnweightedWindows() {
        String prompt = words("red", 55) + ", " + words("blue", 30) + " BREAK a photo";
        TokenWindows w = PromptProfile.A1111.tokenize(clip, prompt);
        assertEquals(clip.windows(prompt).size(), w.count());
        for (int i = 0; i < w.count(); i++) {
            assertArrayEquals(clip.windows(prompt).get(i), w.ids(i));
        }
    }

    @Test
    void comfyuiCutsLongRunsAtSeventyFive() {
        // One unweighted run of 81 tokens (>= 8): it fills the window, no comma rule.
        TokenWindows w = PromptProfile.COMFYUI.tokenize(clip, words("red", 70) + ", " + words("red", 10));
        assertEquals(2, w.count());
        assertArrayEquals(window(EOS, concat(repeat(RED, 70), new int[] {COMMA}, repeat(RED, 4))), w.ids(0));
        assertArrayEquals(window(EOS, repeat(RED, 6)), w.ids(1));
        assertEquals(81, w.tokenCount());
    }

    @Test
    void comfyuiKeepsShortRunsWhole() {
        // 72 reds, then a run of 4 blues (< 8 tokens) that does not fit: it starts the next window.
        TokenWindows w = PromptProfile.COMFYUI.tokenize(clip, words("red", 72) + " (" + words("blue", 4) + ":1.2)");
        assertEquals(2, w.count());
        assertArrayEquals(window(EOS, repeat(RED, 72)), w.ids(0));
        assertEquals(72, w.length(0));
        assertArrayEquals(window(EOS, repeat(BLUE, 4)), w.ids(1));
        assertArrayEquals(weights(repeatF(1.2f, 4)), w.weights(1));
        // A run of 10 (>= 8) is split: 3 fill the first window, 7 go on.
        TokenWindows split = PromptProfile.COMFYUI.tokenize(clip, words("red", 72) + " (" + words("blue", 10) + ":1.2)");
        assertArrayEquals(window(EOS, concat(repeat(RED, 72), repeat(BLUE, 3))), split.ids(0));
        assertArrayEquals(weights(concatF(repeatF(1f, 72), repeatF(1.2f, 3))), split.weights(0));
        assertArrayEquals(window(EOS, repeat(BLUE, 7)), split.ids(1));
    }

    @Test
    void comfyuiHasNoBreakAndPadsWithTheFolderPad(@TempDir Path dir) throws IOException, URISyntaxException {
        TokenWindows w = PromptProfile.COMFYUI.tokenize(clip, "red BREAK blue");
        assertEquals(1, w.count());
        assertArrayEquals(window(EOS, RED, BREAK_WORD, BLUE), w.ids(0));
        assertEquals(1, PromptProfile.COMFYUI.tokenize(clip, "").count());
        assertArrayEquals(clip.emptyWindow(), PromptProfile.COMFYUI.tokenize(clip, "").ids(0));
        Path src = Path.of(getClass().getResource("/clip/vocab.json").toURI()).getParent();
        Files.copy(src.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(src.resolve("merges.txt"), dir.resolve("merges.txt"));
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        ClipTokenizer sd2 = ClipTokenizer.load(dir);
        assertArrayEquals(window(0, A, PHOTO), PromptProfile.COMFYUI.tokenize(sd2, "a (photo)").ids(0));
        assertArrayEquals(window(0), sd2.emptyWindow());
    }

    @Test
    void comfyuiRejectsEmbeddings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PromptProfile.COMFYUI.tokenize(clip, "a photo embedding:easynegative, red"));
        assertTrue(e.getMessage().contains("embedding"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalArgumentException.class, () -> PromptProfile.COMFYUI.tokenize(clip, "(embedding:x:1.2)"));
        // Not after a space or at the start: text.
        assertEquals(1, PromptProfile.COMFYUI.tokenize(clip, "myembedding:x").count());
    }

    @Test
    void comfyuiCleansAsBasicTokenizer() {
        // Without ftfy, BERT's BasicTokenizer sets CJK ideographs apart: the reference line's kanji become words.
        String line = "日本語のプロンプト 東京の夜景";
        int[] spaced = clip.encode("日 本 語 のプロンプト 東 京 の 夜 景");
        assertArrayEquals(spaced, clip.encode(line, TextCleaning.BASIC));
        assertNotEquals(Arrays.toString(spaced), Arrays.toString(clip.encode(line)));
        assertArrayEquals(window(EOS, spaced), PromptProfile.COMFYUI.tokenize(clip, line).ids(0));
    }

    static String words(String word, int n) {
        return String.join(" ", Collections.nCopies(n, word));
    }

    static int[] repeat(int id, int n) {
        int[] a = new int[n];
        Arrays.fill(a, id);
        return a;
    }

    static float[] repeatF(float v, int n) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static float[] concatF(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** BOS, the tokens, EOS, then pad up to 77. */
    static int[] window(int pad, int... tokens) {
        int[] w = new int[77];
        Arrays.fill(w, pad);
        w[0] = BOS;
        System.arraycopy(tokens, 0, w, 1, tokens.length);
        w[tokens.length + 1] = EOS;
        return w;
    }

    /** 1 for BOS, the tokens' weights, 1 for EOS and pad. */
    static float[] weights(float... tokens) {
        float[] w = new float[77];
        Arrays.fill(w, 1f);
        System.arraycopy(tokens, 0, w, 1, tokens.length);
        return w;
    }
}
