package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTokenizerTest {
    static final int BOS = 49406;
    static final int EOS = 49407;
    static final int A = 320;       // "a</w>"
    static final int PHOTO = 1125;  // "photo</w>"
    static final int RED = 736;     // "red</w>"
    static final int BLUE = 1746;   // "blue</w>"
    static final int COMMA = 267;   // ",</w>"
    static final int BANG = 0;      // "!", SD2's and SDXL's second pad token

    static Path clipDir;
    static ClipTokenizer clip;

    @BeforeAll
    static void load() throws URISyntaxException {
        clipDir = Path.of(ClipTokenizerTest.class.getResource("/clip/vocab.json").toURI()).getParent();
        clip = ClipTokenizer.load(clipDir);
    }

    @Test
    void matchesOpenAiReferenceIds() throws IOException {
        List<String> lines = Files.readAllLines(clipDir.resolve("reference_ids.tsv"), StandardCharsets.UTF_8);
        int checked = 0;
        for (String line : lines) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            String prompt = line.substring(0, tab);
            int[] expected = Arrays.stream(line.substring(tab + 1).split(",")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(expected, clip.ids(prompt), () -> "prompt: " + prompt);
            checked++;
        }
        assertEquals(18, checked);
    }

    /**
     * ComfyUI's cleaning (no ftfy: BERT's BasicTokenizer) gives the reference ids too, except where it sets CJK
     * ideographs apart (the Japanese line); ids() follows the reference (ftfy) path.
     */
    @Test
    void basicCleaningDiffersFromTheReferenceOnlyOnCjk() throws IOException {
        List<String> differ = new ArrayList<>();
        for (String line : Files.readAllLines(clipDir.resolve("reference_ids.tsv"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            String prompt = line.substring(0, tab);
            int[] expected = Arrays.stream(line.substring(tab + 1).split(",")).mapToInt(Integer::parseInt).toArray();
            int[] basic = clip.encode(prompt, TextCleaning.BASIC);
            if (!Arrays.equals(Arrays.copyOfRange(expected, 1, expected.length - 1), basic)) {
                differ.add(prompt);
            }
        }
        assertEquals(List.of("日本語のプロンプト 東京の夜景"), differ);
    }

    @Test
    void specialTokens() {
        assertEquals(BOS, clip.bos());
        assertEquals(EOS, clip.eos());
        assertEquals(EOS, clip.pad());
        assertArrayEquals(new int[] {A, PHOTO}, clip.encode("a photo"));
        assertArrayEquals(new int[] {BOS, A, PHOTO, EOS}, clip.ids("a photo"));
        assertArrayEquals(new int[] {BOS, EOS}, clip.ids(""));
        // Written out, the special tokens are themselves (simple_tokenizer.py's cache holds them).
        assertArrayEquals(new int[] {A, EOS, PHOTO}, clip.encode("a<|endoftext|>photo"));
    }

    @Test
    void tokenText() {
        assertEquals("photo</w>", clip.symbol(PHOTO));
        assertEquals("photo</w>", clip.text(PHOTO));
        assertEquals("<|startoftext|>", clip.text(BOS));
        assertEquals(COMMA, clip.comma());
        // "café" is one BPE word; its symbols are byte-level characters, the text is UTF-8 again.
        StringBuilder joined = new StringBuilder();
        for (int id : clip.encode("caf\u00e9")) {
            joined.append(clip.text(id));
        }
        assertEquals("caf\u00e9</w>", joined.toString());
        assertEquals(null, clip.text(-1));
    }

    @Test
    void normalisesWhitespaceAndCase() {
        int[] expected = {BOS, A, PHOTO, EOS};
        assertArrayEquals(expected, clip.ids("  A\t PHOTO\n"));
        assertArrayEquals(expected, clip.ids("a\u00a0\u2003Photo "));
        assertEquals("a photo of x", ClipTokenizer.normalise("\tA  Photo\r\nOF X  "));
    }

    @Test
    void windowPaddedWithEos() {
        List<int[]> windows = clip.windows("a photo");
        assertEquals(1, windows.size());
        assertArrayEquals(window(EOS, A, PHOTO), windows.get(0));
        assertArrayEquals(window(EOS), clip.windows("").get(0));
        assertEquals(1, clip.windows("").size());
    }

    @Test
    void windowPaddedWithBangFromSpecialTokensMap(@TempDir Path dir) throws IOException {
        copyClip(dir);
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        ClipTokenizer sd2 = ClipTokenizer.load(dir);
        assertEquals(BANG, sd2.pad());
        assertArrayEquals(window(BANG, A, PHOTO), sd2.windows("a photo").get(0));
        assertArrayEquals(new int[] {BOS, A, PHOTO, EOS}, sd2.ids("a photo"));
    }

    @Test
    void padTokenObjectInTokenizerConfig(@TempDir Path dir) throws IOException {
        copyClip(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"pad_token\": {\"content\": \"!\", \"lstrip\": false}, \"model_max_length\": 77}");
        assertEquals(BANG, ClipTokenizer.load(dir).pad());
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");
        assertEquals(EOS, ClipTokenizer.load(dir).pad(), "special_tokens_map.json comes first");
    }

    @Test
    void longPromptBreaksAtSeventyFiveTokens() {
        List<int[]> windows = clip.windows(words("red", 80));
        assertEquals(2, windows.size());
        assertArrayEquals(window(EOS, repeat(RED, 75)), windows.get(0));
        assertArrayEquals(window(EOS, repeat(RED, 5)), windows.get(1));
        assertEquals(1, clip.windows(words("red", 75)).size());
    }

    @Test
    void overflowBreaksAfterCommaWithinLastTwenty() {
        // 70 reds, a comma at index 70, then 10 reds: the 76th token breaks after the comma.
        List<int[]> windows = clip.windows(words("red", 70) + ", " + words("red", 10));
        assertEquals(2, windows.size());
        assertArrayEquals(window(EOS, concat(repeat(RED, 70), new int[] {COMMA})), windows.get(0));
        assertArrayEquals(window(EOS, repeat(RED, 10)), windows.get(1));
    }

    @Test
    void commaBeyondLastTwentyIsIgnored() {
        // The comma at index 50 is 25 tokens from the end of the full chunk: break at 75.
        List<int[]> windows = clip.windows(words("red", 50) + ", " + words("red", 40));
        assertEquals(2, windows.size());
        assertArrayEquals(window(EOS, concat(repeat(RED, 50), new int[] {COMMA}, repeat(RED, 24))), windows.get(0));
        assertArrayEquals(window(EOS, repeat(RED, 16)), windows.get(1));
        // Index 55 is exactly 20 from the end: it counts.
        windows = clip.windows(words("red", 55) + ", " + words("red", 30));
        assertArrayEquals(window(EOS, concat(repeat(RED, 55), new int[] {COMMA})), windows.get(0));
        assertArrayEquals(window(EOS, repeat(RED, 30)), windows.get(1));
    }

    @Test
    void breakStartsNewChunk() {
        List<int[]> windows = clip.windows("red BREAK blue, a photo");
        assertEquals(2, windows.size());
        assertArrayEquals(window(EOS, RED), windows.get(0));
        assertArrayEquals(window(EOS, BLUE, COMMA, A, PHOTO), windows.get(1));
        assertEquals(2, clip.windows("red,BREAK,blue").size());
        // Only the uppercase word: "break" and "BREAKfast" are tokens.
        assertEquals(1, clip.windows("red break blue BREAKfast").size());
        assertArrayEquals(window(EOS, RED, 2568, BLUE, 3290), clip.windows("red break blue BREAKfast").get(0));
        // After a full chunk, BREAK closes it without an empty window; at the start it leaves one (as A1111).
        assertEquals(2, clip.windows(words("red", 75) + " BREAK blue").size());
        List<int[]> leading = clip.windows("BREAK red");
        assertEquals(2, leading.size());
        assertArrayEquals(window(EOS), leading.get(0));
    }

    @Test
    void missingFiles(@TempDir Path dir) throws IOException {
        assertOneLine(dir, "vocab.json", "missing");
        Files.copy(clipDir.resolve("vocab.json"), dir.resolve("vocab.json"));
        assertOneLine(dir, "merges.txt", "missing");
    }

    @Test
    void badJson(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 1,\n");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        assertOneLine(dir, "vocab.json", "not valid JSON");
        Files.writeString(dir.resolve("vocab.json"), "[1, 2]");
        assertOneLine(dir, "vocab.json", "expected a JSON object");
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": \"one\"}");
        assertOneLine(dir, "vocab.json", "expected a non-negative integer");
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 1}");
        assertOneLine(dir, "vocab.json", "<|startoftext|>");
        Files.writeString(dir.resolve("vocab.json"), tinyVocab());
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": ");
        assertOneLine(dir, "special_tokens_map.json", "not valid JSON");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": \"<pad>\"}");
        assertOneLine(dir, "special_tokens_map.json", "not in vocab.json");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"pad_token\": 3}");
        assertOneLine(dir, "special_tokens_map.json", "expected a string");
    }

    @Test
    void badMerges(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("vocab.json"), tinyVocab());
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\na b c\n");
        assertOneLine(dir, "merges.txt", "line 3 is \"a b c\", expected two symbols");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nab\n");
        assertOneLine(dir, "merges.txt", "line 2 is \"ab\", expected two symbols");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\nb a\n");
        assertOneLine(dir, "merges.txt", "line 3 merges to \"ba\", expected a token of vocab.json");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        assertArrayEquals(new int[] {0, 1}, ClipTokenizer.load(dir).ids(""), "a valid tiny folder loads");
    }

    private static String tinyVocab() {
        return "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1, \"a\": 2, \"b\": 3, \"ab\": 4}";
    }

    private static void assertOneLine(Path dir, String file, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        String m = e.getMessage();
        assertTrue(m.contains(file), m);
        assertTrue(m.contains(expected), m);
        assertFalse(m.contains("\n"), m);
    }

    private static void copyClip(Path dir) throws IOException {
        Files.copy(clipDir.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(clipDir.resolve("merges.txt"), dir.resolve("merges.txt"));
    }

    private static String words(String word, int n) {
        return String.join(" ", java.util.Collections.nCopies(n, word));
    }

    private static int[] repeat(int id, int n) {
        return IntStream.generate(() -> id).limit(n).toArray();
    }

    private static int[] concat(int[]... parts) {
        List<Integer> all = new ArrayList<>();
        for (int[] p : parts) {
            for (int v : p) {
                all.add(v);
            }
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    /** BOS, the tokens, EOS, then pad up to 77. */
    private static int[] window(int pad, int... tokens) {
        int[] w = new int[77];
        Arrays.fill(w, pad);
        w[0] = BOS;
        System.arraycopy(tokens, 0, w, 1, tokens.length);
        w[tokens.length + 1] = EOS;
        return w;
    }
}
