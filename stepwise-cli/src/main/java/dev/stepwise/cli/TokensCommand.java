package dev.stepwise.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.io.Printable;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.onnx.text.ClipTokenizer;
import dev.stepwise.onnx.text.PromptProfile;
import dev.stepwise.onnx.text.TokenWindows;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise tokens}: how a prompt is cut into the text encoder's 77-token windows, with each token's id, text
 * and weight, and A1111's token counter, for the tokenizers of a diffusers model folder.
 */
@Command(name = "tokens", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Show a prompt's CLIP tokens per 77-token chunk (id, weight, text) and A1111's token counter "
                + "(\"12/75\"), as ComfyUI or A1111 would cut and weight it.",
        footer = {"", "DIR is a diffusers/optimum model folder with tokenizer/ (vocab.json, merges.txt, and"
                + " special_tokens_map.json or tokenizer_config.json naming the pad token) and optionally tokenizer_2/,"
                + " or a tokenizer folder itself.", "",
                "Exit codes: 0 done, 2 bad input (a bad folder or prompt weight).", "",
                "Example:", "  stepwise tokens --model sd15-onnx \"a (photo:1.2) of a cat, BREAK, night\" --compat a1111"})
final class TokensCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "The model folder (with tokenizer/ and optionally tokenizer_2/) or a tokenizer folder.")
    String model;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "The prompt, in the weight syntax of --compat.")
    String prompt;

    @Option(names = "--compat", paramLabel = "comfyui|a1111", defaultValue = "comfyui",
            description = "Whose parsing, text cleaning and chunking: comfyui or a1111. Default: ${DEFAULT-VALUE}.")
    String compat;

    @Option(names = "--json", description = "Write JSON: per tokenizer, every window's 77 ids, weights and token texts.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PromptProfile profile = profile(compat);
        Map<String, ClipTokenizer> tokenizers = tokenizers(model);
        PrintWriter out = spec.commandLine().getOut();
        // Every window first: a bad weight is one error line before any output.
        Map<String, TokenWindows> windows = new LinkedHashMap<>();
        Map<String, TokenWindows> a1111 = new LinkedHashMap<>();
        for (Map.Entry<String, ClipTokenizer> e : tokenizers.entrySet()) {
            windows.put(e.getKey(), profile.tokenize(e.getValue(), prompt));
            a1111.put(e.getKey(), profile == PromptProfile.A1111 ? windows.get(e.getKey())
                    : PromptProfile.A1111.tokenize(e.getValue(), prompt));
        }
        if (json) {
            writeJson(out, profile, tokenizers, windows, a1111);
        } else {
            writeText(out, profile, tokenizers, windows, a1111);
            if (Files.isDirectory(Path.of(model).resolve("tokenizer_3"))) {
                out.println("tokenizer_3: not shown (SD3's T5 tokenizer is not a CLIP tokenizer)");
            }
        }
        out.flush();
        return 0;
    }

    static PromptProfile profile(String value) {
        for (PromptProfile p : PromptProfile.values()) {
            if (p.label().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new UsageException("--compat '" + value + "' is not a profile; use comfyui or a1111");
    }

    /** The folder's tokenizers by sub-folder name ("tokenizer", "tokenizer_2"), or the folder itself as one. */
    static Map<String, ClipTokenizer> tokenizers(String value) {
        Path dir = Path.of(value);
        if (!Files.isDirectory(dir)) {
            if (!ModelFolders.looksLikePath(value) && ModelFolders.names().contains(value)) {
                throw new UsageException("--model '" + value + "' is a built-in class model, which has no CLIP tokenizer"
                        + " (its prompts are class names, see 'stepwise generate'); give a diffusers model folder with"
                        + " tokenizer/vocab.json");
            }
            throw new UsageException("--model '" + value + "': no such folder; give a diffusers model folder with"
                    + " tokenizer/vocab.json, or a tokenizer folder");
        }
        Map<String, ClipTokenizer> out = new LinkedHashMap<>();
        if (Files.isRegularFile(dir.resolve("vocab.json"))) {
            out.put(dir.getFileName() == null ? value : dir.getFileName().toString(), ClipTokenizer.load(dir));
            return out;
        }
        for (String name : List.of("tokenizer", "tokenizer_2")) {
            Path sub = dir.resolve(name);
            if (Files.isDirectory(sub)) {
                out.put(name, ClipTokenizer.load(sub));
            }
        }
        if (!out.containsKey("tokenizer")) {
            throw new UsageException("--model '" + value + "' has no tokenizer/ folder (expected tokenizer/vocab.json and"
                    + " tokenizer/merges.txt, as a diffusers export writes them)");
        }
        return out;
    }

    private void writeText(PrintWriter out, PromptProfile profile, Map<String, ClipTokenizer> tokenizers,
            Map<String, TokenWindows> windows, Map<String, TokenWindows> a1111) {
        String previous = null;
        for (String name : tokenizers.keySet()) {
            ClipTokenizer tok = tokenizers.get(name);
            TokenWindows w = windows.get(name);
            TokenWindows a = a1111.get(name);
            String pad = "pad " + tok.pad() + " " + tok.symbol(tok.pad());
            if (previous != null && sameTokens(windows.get(previous), w)) {
                out.println(name + ": the same tokens as " + previous + ", " + pad);
                continue;
            }
            previous = name;
            int tokens = 0;
            for (int c = 0; c < w.count(); c++) {
                tokens += w.length(c);
            }
            out.println(name + ": " + count(tokens, "token") + " in " + count(w.count(), "chunk")
                    + " (" + profile.label() + "), A1111 counter " + a.tokenCount() + "/" + a.tokenLimit() + ", " + pad);
            for (int c = 0; c < w.count(); c++) {
                int[] ids = w.ids(c);
                float[] weights = w.weights(c);
                out.println("chunk " + (c + 1) + ": " + count(w.length(c), "token"));
                for (int i = 1; i <= w.length(c); i++) {
                    out.printf("  %3d %6d  %-6s %s%n", i, ids[i], weight(weights[i]), Printable.escape(tok.text(ids[i])));
                }
            }
        }
    }

    private static boolean sameTokens(TokenWindows a, TokenWindows b) {
        if (a.count() != b.count()) {
            return false;
        }
        for (int c = 0; c < a.count(); c++) {
            if (a.length(c) != b.length(c)
                    || !Arrays.equals(Arrays.copyOf(a.ids(c), a.length(c) + 2), Arrays.copyOf(b.ids(c), b.length(c) + 2))
                    || !Arrays.equals(a.weights(c), b.weights(c))) {
                return false;
            }
        }
        return true;
    }

    private static void writeJson(PrintWriter out, PromptProfile profile, Map<String, ClipTokenizer> tokenizers,
            Map<String, TokenWindows> windows, Map<String, TokenWindows> a1111) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("profile", profile.label());
        List<Object> list = new ArrayList<>();
        for (String name : tokenizers.keySet()) {
            ClipTokenizer tok = tokenizers.get(name);
            TokenWindows w = windows.get(name);
            TokenWindows a = a1111.get(name);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("tokenizer", name);
            t.put("pad", tok.pad());
            t.put("a1111TokenCount", a.tokenCount());
            t.put("a1111TokenLimit", a.tokenLimit());
            List<Object> chunks = new ArrayList<>();
            for (int c = 0; c < w.count(); c++) {
                Map<String, Object> chunk = new LinkedHashMap<>();
                int[] ids = w.ids(c);
                chunk.put("length", w.length(c));
                chunk.put("ids", ids);
                chunk.put("weights", w.weights(c));
                List<String> texts = new ArrayList<>();
                for (int id : ids) {
                    texts.add(tok.text(id));
                }
                chunk.put("tokens", texts);
                chunks.add(chunk);
            }
            t.put("chunks", chunks);
            list.add(t);
        }
        root.put("tokenizers", list);
        out.println(new ObjectMapper().writeValueAsString(root));
    }

    /** A weight to 4 decimals, trailing zeros dropped: "1", "1.2", "0.9091" (the JSON has the exact floats). */
    static String weight(float w) {
        return new java.math.BigDecimal(w).setScale(4, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros()
                .toPlainString();
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
