package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensCommandTest {
    @TempDir
    static Path sd;

    /** A diffusers-style folder: tokenizer/ padding with EOS (SD1) and tokenizer_2/ padding with "!" (SDXL). */
    @BeforeAll
    static void folder() throws IOException, URISyntaxException {
        Path clip = Path.of(TokensCommandTest.class.getResource("/clip/vocab.json").toURI()).getParent();
        for (String name : List.of("tokenizer", "tokenizer_2")) {
            Path dir = Files.createDirectories(sd.resolve(name));
            Files.copy(clip.resolve("vocab.json"), dir.resolve("vocab.json"));
            Files.copy(clip.resolve("merges.txt"), dir.resolve("merges.txt"));
        }
        Files.writeString(sd.resolve("tokenizer/special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");
        Files.writeString(sd.resolve("tokenizer_2/special_tokens_map.json"), "{\"pad_token\": \"!\"}");
    }

    static Cli.Result tokens(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "tokens";
        all[1] = "--model";
        all[2] = sd.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return Cli.run(all);
    }

    @Test
    void printsTokensWeightsAndTheCounter() {
        Cli.Result r = tokens("a (photo:1.2)");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of(
                "tokenizer: 2 tokens in 1 chunk (comfyui), A1111 counter 2/75, pad 49407 <|endoftext|>",
                "chunk 1: 2 tokens",
                "    1    320  1      a</w>",
                "    2   1125  1.2    photo</w>",
                "tokenizer_2: the same tokens as tokenizer, pad 0 !"), lines);
    }

    @Test
    void longPromptsCountAsA1111Does() {
        Cli.Result r = tokens("--compat", "a1111", String.join(" ", Collections.nCopies(80, "red")));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("tokenizer: 80 tokens in 2 chunks (a1111), A1111 counter 80/150"), r.out());
        assertTrue(r.out().contains("chunk 2: 5 tokens"), r.out());
        Cli.Result broken = tokens("--compat", "A1111", "red BREAK blue");
        assertTrue(broken.out().startsWith("tokenizer: 2 tokens in 2 chunks (a1111), A1111 counter 76/150"), broken.out());
    }

    @Test
    void profilesParseDifferently() {
        Cli.Result a = tokens("--compat", "a1111", "[red]");
        assertTrue(a.out().contains("    1    736  0.9091 red</w>"), a.out());
        // ComfyUI has no [] de-emphasis: the brackets are tokens.
        Cli.Result c = tokens("[red]");
        assertTrue(c.out().startsWith("tokenizer: 3 tokens in 1 chunk"), c.out());
        assertTrue(c.out().contains("    2    736  1      red</w>"), c.out());
    }

    @Test
    void json() throws IOException {
        Cli.Result r = tokens("--json", "a (photo:1.2)");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals("comfyui", root.get("profile").asText());
        JsonNode t2 = root.get("tokenizers").get(1);
        assertEquals("tokenizer_2", t2.get("tokenizer").asText());
        assertEquals(0, t2.get("pad").asInt());
        assertEquals(2, t2.get("a1111TokenCount").asInt());
        JsonNode chunk = t2.get("chunks").get(0);
        assertEquals(77, chunk.get("ids").size());
        assertEquals(49406, chunk.get("ids").get(0).asInt());
        assertEquals(1125, chunk.get("ids").get(2).asInt());
        assertEquals(49407, chunk.get("ids").get(3).asInt());
        assertEquals(0, chunk.get("ids").get(4).asInt());
        assertEquals(1.2, chunk.get("weights").get(2).asDouble(), 1e-6);
        assertEquals("photo</w>", chunk.get("tokens").get(2).asText());
    }

    @Test
    void sd3sT5TokenizerIsNamedNotShown(@TempDir Path sd3) throws IOException {
        for (String name : List.of("tokenizer", "tokenizer_2")) {
            Files.createDirectories(sd3.resolve(name));
            for (String file : List.of("vocab.json", "merges.txt", "special_tokens_map.json")) {
                Files.copy(sd.resolve(name).resolve(file), sd3.resolve(name).resolve(file));
            }
        }
        Files.createDirectories(sd3.resolve("tokenizer_3"));
        Cli.Result r = Cli.run("tokens", "--model", sd3.toString(), "a photo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith("tokenizer_3: not shown (SD3's T5 tokenizer is not a CLIP tokenizer)"
                + System.lineSeparator()), r.out());
    }

    @Test
    void aTokenizerFolderItself() {
        Cli.Result r = Cli.run("tokens", "--model", sd.resolve("tokenizer_2").toString(), "a photo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("tokenizer_2: 2 tokens in 1 chunk (comfyui), A1111 counter 2/75, pad 0 !"), r.out());
    }

    @Test
    void badInputIsOneLineExitTwo(@TempDir Path empty) throws IOException {
        assertBad(Cli.run("tokens", "--model", empty.resolve("nope").toString(), "a"), "no such folder");
        assertBad(Cli.run("tokens", "--model", empty.toString(), "a"), "no tokenizer/ folder");
        Files.createDirectories(empty.resolve("tokenizer"));
        Files.writeString(empty.resolve("tokenizer/vocab.json"), "{\"a\": ");
        assertBad(Cli.run("tokens", "--model", empty.toString(), "a"), "vocab.json: not valid JSON");
        assertBad(tokens("--compat", "a1111", "(a:1.2.3)"), "\"1.2.3\" is not a number");
        assertBad(tokens("(a:nan)"), "not finite");
        assertBad(tokens("--compat", "invokeai", "a"), "--compat 'invokeai' is not a profile; use comfyui or a1111");
        assertBad(tokens("embedding:easynegative"), "embeddings are not supported");
        try {
            Cli.useFixtureModels();
            assertBad(Cli.run("tokens", "--model", "tiny-eps", "a"), "built-in class model");
        } finally {
            Cli.clearModels();
        }
    }

    private static void assertBad(Cli.Result r, String expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertTrue(r.err().startsWith("stepwise tokens: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
    }
}
