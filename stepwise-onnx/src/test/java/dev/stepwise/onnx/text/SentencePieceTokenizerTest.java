package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the reference SentencePiece library: {@code t5/reference_ids.tsv} holds the ids that Debian's
 * python3-sentencepiece gives for prompts chosen to exercise NFKC rules (ligatures, full-width forms, combining
 * accents, no-break space), whitespace rules and unknown characters, on a unigram model trained with T5's settings
 * (tools/sd/make_t5_tokenizer.py).
 */
class SentencePieceTokenizerTest {

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SentencePieceTokenizerTest.class.getResource("/t5/" + name).toURI());
    }

    @Test
    void idsEqualTheReferenceLibrarysForEveryPrompt() throws Exception {
        SentencePieceTokenizer t = SentencePieceTokenizer.load(resource("spiece.model"));
        ObjectMapper json = new ObjectMapper();
        List<String> rows = Files.readAllLines(resource("reference_ids.tsv"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("#")).toList();
        assertTrue(rows.size() >= 10, "fixture rows: " + rows.size());
        for (String row : rows) {
            String[] cols = row.split("\t", -1);
            String prompt = json.readValue(cols[0], String.class);
            int[] expected = cols[1].isEmpty() ? new int[0]
                    : Arrays.stream(cols[1].split(",")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(expected, t.encode(prompt), "prompt " + cols[0]);
        }
    }

    @Test
    void specialIdsAreT5s() throws Exception {
        SentencePieceTokenizer t = SentencePieceTokenizer.load(resource("spiece.model"));
        assertEquals(1, t.eos());
        assertEquals(0, t.pad());
        assertEquals(3000, t.size());
    }

    @Test
    void whitespaceIsCollapsedAndEscaped() throws Exception {
        SentencePieceTokenizer t = SentencePieceTokenizer.load(resource("spiece.model"));
        assertEquals("\u2581a\u2581b", t.normalize("  a   b  "));
        assertEquals("", t.normalize("   "));
        // nmt_nfkc: the "ﬁ" ligature decomposes, full-width letters become ASCII
        assertEquals("\u2581fiAB", t.normalize("\ufb01\uff21\uff22"));
    }

    @Test
    void aMissingOrBrokenFileIsOneLineNamingIt(@TempDir Path dir) throws IOException, URISyntaxException {
        Path missing = dir.resolve("spiece.model");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SentencePieceTokenizer.load(missing));
        assertEquals(missing + ": missing (expected a SentencePiece model, spiece.model)", e.getMessage());

        byte[] real = Files.readAllBytes(resource("spiece.model"));
        Path truncated = Files.write(dir.resolve("truncated.model"), Arrays.copyOf(real, real.length / 2));
        e = assertThrows(IllegalArgumentException.class, () -> SentencePieceTokenizer.load(truncated));
        assertTrue(e.getMessage().startsWith(truncated + ": not a SentencePiece unigram model ("), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));

        Path text = Files.writeString(dir.resolve("vocab.json"), "{\"a\": 1}");
        e = assertThrows(IllegalArgumentException.class, () -> SentencePieceTokenizer.load(text));
        assertTrue(e.getMessage().startsWith(text + ": not a SentencePiece unigram model ("), e.getMessage());
    }
}
