package dev.stepwise.onnx.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer, as SD1.x and SDXL's text encoders use it, read from a diffusers/optimum
 * {@code tokenizer/} folder: {@code vocab.json} (token to id), {@code merges.txt} (a {@code #version}
 * header, then one merge "a b" a line, rank = line order) and, when present, {@code special_tokens_map.json}
 * or {@code tokenizer_config.json} for the pad token. Follows OpenAI CLIP's {@code simple_tokenizer.py};
 * {@link #windows} chunks long prompts the way A1111's {@code sd_hijack_clip.py} does, and {@link PromptProfile}
 * gives each UI's windows with prompt weights. Thread-safe.
 */
public final class ClipTokenizer {

    /** Tokens a text encoder window holds: BOS, {@value #CHUNK} tokens, EOS. */
    public static final int WINDOW = TokenWindows.WINDOW;
    /** Prompt tokens in one window. */
    public static final int CHUNK = TokenWindows.CHUNK;

    private static final String BOS = "<|startoftext|>";
    private static final String EOS = "<|endoftext|>";
    private static final String END_OF_WORD = "</w>";
    private static final int CACHE_SIZE = 10_000;

    // simple_tokenizer.py's pattern; IGNORECASE there too, though the text is lowercased first.
    private static final Pattern PIECES = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);
    // A1111's prompt_parser splits on \s*\bBREAK\b\s* before tokenizing: uppercase, as its own word.
    private static final Pattern BREAK = Pattern.compile("\\s*\\bBREAK\\b\\s*", Pattern.UNICODE_CHARACTER_CLASS);
    private static final char[] BYTE_CHARS = byteChars();

    private final Map<String, Integer> vocab;
    private final String[] symbols;
    private final Map<String, Integer> ranks;
    private final int bos;
    private final int eos;
    private final int pad;
    private final int comma;
    private final Map<String, int[]> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private ClipTokenizer(Map<String, Integer> vocab, Map<String, Integer> ranks, int pad) {
        this.vocab = vocab;
        this.ranks = ranks;
        this.bos = vocab.get(BOS);
        this.eos = vocab.get(EOS);
        this.pad = pad;
        this.comma = vocab.getOrDefault("," + END_OF_WORD, -1);
        int max = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.symbols = new String[max + 1];
        vocab.forEach((symbol, id) -> symbols[id] = symbol);
    }

    /**
     * Reads a tokenizer folder. A missing or malformed file is an {@link IllegalArgumentException} with one
     * line naming the file and what was expected.
     */
    public static ClipTokenizer load(Path dir) {
        ObjectMapper json = new ObjectMapper();
        Path vocabFile = dir.resolve("vocab.json");
        JsonNode root = readJson(json, vocabFile);
        if (root == null) {
            throw new IllegalArgumentException(vocabFile + ": missing (expected a JSON object of token to id)");
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(vocabFile + ": expected a JSON object of token to id");
        }
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber() || e.getValue().intValue() < 0) {
                throw new IllegalArgumentException(vocabFile + ": token " + quote(e.getKey())
                        + " has id " + e.getValue() + ", expected a non-negative integer");
            }
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        for (String special : List.of(BOS, EOS)) {
            if (!vocab.containsKey(special)) {
                throw new IllegalArgumentException(vocabFile + ": expected the special token " + special);
            }
        }
        Map<String, Integer> ranks = readMerges(dir.resolve("merges.txt"), vocab);
        return new ClipTokenizer(vocab, ranks, readPad(json, dir, vocab));
    }

    private static Map<String, Integer> readMerges(Path file, Map<String, Integer> vocab) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": missing (expected one BPE merge \"a b\" a line)");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": unreadable (" + oneLine(e.getMessage()) + ")");
        }
        Map<String, Integer> ranks = new HashMap<>(lines.size() * 2);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if ((i == 0 && line.startsWith("#version")) || line.isEmpty()) {
                continue;
            }
            String[] pair = line.split(" ", -1);
            if (pair.length != 2 || pair[0].isEmpty() || pair[1].isEmpty()) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + " is " + quote(line)
                        + ", expected two symbols separated by one space");
            }
            String merged = pair[0] + pair[1];
            if (!vocab.containsKey(merged)) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + " merges to " + quote(merged)
                        + ", expected a token of vocab.json");
            }
            // Rank is line order; a repeated merge keeps its first (lowest) rank.
            ranks.putIfAbsent(pair[0] + " " + pair[1], ranks.size());
        }
        return ranks;
    }

    /** SD1 pads with EOS; SD2 and SDXL's OpenCLIP tokenizer with "!". The folder says which; default EOS. */
    private static int readPad(ObjectMapper json, Path dir, Map<String, Integer> vocab) {
        for (String name : List.of("special_tokens_map.json", "tokenizer_config.json")) {
            Path file = dir.resolve(name);
            JsonNode root = readJson(json, file);
            if (root == null) {
                continue;
            }
            if (!root.isObject()) {
                throw new IllegalArgumentException(file + ": expected a JSON object");
            }
            JsonNode padNode = root.get("pad_token");
            if (padNode == null || padNode.isNull()) {
                continue;
            }
            // Either "pad_token": "!" or an AddedToken object {"content": "!", ...}.
            JsonNode content = padNode.isObject() ? padNode.get("content") : padNode;
            if (content == null || !content.isTextual()) {
                throw new IllegalArgumentException(file + ": pad_token is " + padNode
                        + ", expected a string or an object with a string \"content\"");
            }
            Integer id = vocab.get(content.asText());
            if (id == null) {
                throw new IllegalArgumentException(file + ": pad_token " + quote(content.asText())
                        + " is not in vocab.json, expected one of its tokens");
            }
            return id;
        }
        return vocab.get(EOS);
    }

    /** The file's JSON, or null when it does not exist. */
    private static JsonNode readJson(ObjectMapper json, Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return json.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + oneLine(e.getMessage()) + ")");
        }
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    public int pad() {
        return pad;
    }

    /** The id of ",</w>", A1111's comma for its chunk breaks; -1 when the vocabulary has none. */
    public int comma() {
        return comma;
    }

    /** The text's token ids, without BOS and EOS, cleaned as OpenAI's tokenizer and A1111 do ({@link TextCleaning#FTFY}). */
    public int[] encode(String text) {
        return encode(text, TextCleaning.FTFY);
    }

    /** The text's token ids, without BOS and EOS, after the given cleaning. */
    public int[] encode(String text, TextCleaning cleaning) {
        IntList out = new IntList();
        encodeInto(cleaning.clean(text), out);
        return out.toArray();
    }

    /** The empty prompt's window: BOS, EOS, then pad (ComfyUI's {@code gen_empty_tokens}). */
    public int[] emptyWindow() {
        return window(new IntList());
    }

    /** The vocabulary's symbol for an id, as vocab.json spells it ("photo</w>", byte-level characters); null if none. */
    public String symbol(int id) {
        return id >= 0 && id < symbols.length ? symbols[id] : null;
    }

    /**
     * A token as text: its symbol's bytes decoded as UTF-8, with "</w>" (end of word) kept; the symbol itself when
     * its bytes are not whole UTF-8 characters (a multi-byte character split across tokens).
     */
    public String text(int id) {
        String symbol = symbol(id);
        if (symbol == null) {
            return null;
        }
        if (symbol.equals(BOS) || symbol.equals(EOS)) {
            return symbol;
        }
        boolean word = symbol.endsWith(END_OF_WORD);
        String body = word ? symbol.substring(0, symbol.length() - END_OF_WORD.length()) : symbol;
        byte[] bytes = new byte[body.length()];
        for (int i = 0; i < body.length(); i++) {
            int b = byteOf(body.charAt(i));
            if (b < 0) {
                return symbol;
            }
            bytes[i] = (byte) b;
        }
        try {
            String decoded = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return decoded + (word ? END_OF_WORD : "");
        } catch (java.nio.charset.CharacterCodingException e) {
            return symbol;
        }
    }

    private static int byteOf(char c) {
        for (int b = 0; b < 256; b++) {
            if (BYTE_CHARS[b] == c) {
                return b;
            }
        }
        return -1;
    }

    /** BOS, the prompt's tokens, EOS; no truncation, no padding. */
    public int[] ids(String prompt) {
        IntList out = new IntList();
        out.add(bos);
        encodeInto(TextCleaning.FTFY.clean(prompt), out);
        out.add(eos);
        return out.toArray();
    }

    /**
     * The prompt as {@value #WINDOW}-token windows (BOS, up to {@value #CHUNK} tokens, EOS, then pad), one a
     * chunk, chunked as A1111's {@code sd_hijack_clip.py} {@code tokenize_line} does: a chunk that would
     * overflow breaks after its last comma if that is among its last {@value #COMMA_BACKTRACK} tokens (the
     * tokens after it start the next chunk), otherwise at {@value #CHUNK} tokens; {@code BREAK} always starts
     * a new chunk. An empty prompt gives one window.
     */
    public List<int[]> windows(String prompt) {
        // The text as it is (no weight syntax), split at BREAK: A1111's chunking with every weight 1.
        List<PromptAttention.Run> runs = new ArrayList<>();
        String[] parts = BREAK.split(prompt, -1);
        for (int p = 0; p < parts.length; p++) {
            if (p > 0) {
                runs.add(new PromptAttention.Run("BREAK", -1));
            }
            runs.add(new PromptAttention.Run(parts[p], 1));
        }
        TokenWindows windows = PromptChunking.a1111(this, runs, TextCleaning.FTFY);
        List<int[]> out = new ArrayList<>(windows.count());
        for (int w = 0; w < windows.count(); w++) {
            out.add(windows.ids(w));
        }
        return out;
    }

    private int[] window(IntList chunk) {
        int[] w = new int[WINDOW];
        Arrays.fill(w, pad);
        w[0] = bos;
        System.arraycopy(chunk.array(), 0, w, 1, chunk.size());
        w[chunk.size() + 1] = eos;
        return w;
    }

    private void encodeInto(String cleaned, IntList out) {
        Matcher m = PIECES.matcher(cleaned);
        while (m.find()) {
            String piece = m.group();
            // simple_tokenizer.py seeds its cache with the special tokens, so they pass through whole.
            if (piece.equals(BOS) || piece.equals(EOS)) {
                out.add(vocab.get(piece));
                continue;
            }
            out.addAll(bpe(piece));
        }
    }

    /** simple_tokenizer.py's cleaning as far as {@link TextCleaning#FTFY} goes: ftfy in part, whitespace, lower case. */
    static String normalise(String text) {
        return TextCleaning.FTFY.clean(text);
    }

    private int[] bpe(String piece) {
        synchronized (cache) {
            int[] hit = cache.get(piece);
            if (hit != null) {
                return hit;
            }
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            word.add(String.valueOf(BYTE_CHARS[b & 0xff]));
        }
        word.set(word.size() - 1, word.get(word.size() - 1) + END_OF_WORD);
        while (word.size() > 1) {
            // The adjacent pair with the lowest rank is merged everywhere it occurs, left to right.
            int best = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < best) {
                    best = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(word.get(i));
            if (id == null) {
                throw new IllegalArgumentException("vocab.json: expected the BPE symbol " + quote(word.get(i)));
            }
            ids[i] = id;
        }
        synchronized (cache) {
            cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * GPT-2/CLIP's byte-to-unicode table ({@code bytes_to_unicode} in simple_tokenizer.py): printable Latin-1
     * bytes map to themselves, the others to code points from 256 up, so every byte is a visible symbol.
     */
    private static char[] byteChars() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = (char) (printable ? b : next++);
        }
        return table;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }

    private static String oneLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    /** A growable int array, to keep token lists unboxed. */
    private static final class IntList {
        private int[] data = new int[16];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int size() {
            return size;
        }

        int[] array() {
            return data;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
