package dev.stepwise.onnx.sd;

import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.text.PromptAttention;
import dev.stepwise.onnx.text.PromptProfile;
import dev.stepwise.onnx.text.PromptWeighting;
import dev.stepwise.onnx.text.SentencePieceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * SD3's T5 text encoder, {@code text_encoder_3/model.onnx} with its SentencePiece tokenizer
 * {@code tokenizer_3/spiece.model}: {@code input_ids} [B, S] (int32 or int64) to {@code last_hidden_state}
 * [B, S, width], the width of the transformer's context (T5-XXL's 4096 is SD3's joint width). Its tokens go after
 * CLIP's along the sequence (comfy/text_encoders/sd3_clip.py, SD3ClipModel.encode_token_weights).
 */
public final class T5Encoder implements AutoCloseable {
    static final String FOLDER = "text_encoder_3";
    static final String TOKENIZER = "tokenizer_3";
    /** ComfyUI's T5XXLTokenizer min_length: shorter sequences are padded to it. */
    static final int MIN_TOKENS = 77;
    private static final String OUTPUT = "last_hidden_state";

    private final SentencePieceTokenizer tokenizer;
    private final TypedSession session;
    private final int fixedLength;
    private final int width;

    /** A prompt's T5 sequence: token ids (ending in EOS, then pad) and each token's prompt weight. */
    record Tokens(int[] ids, float[] weights) {
    }

    private T5Encoder(SentencePieceTokenizer tokenizer, TypedSession session) {
        this.tokenizer = tokenizer;
        this.session = session;
        long[] ids = session.input("input_ids", 2);
        fixedLength = (int) ids[1];
        width = (int) session.output(OUTPUT, 3)[2];
    }

    /**
     * Opens {@code dir/text_encoder_3/model.onnx} with {@code dir/tokenizer_3/spiece.model}, or returns null where
     * the folder has no T5 (SD3 then conditions on CLIP alone, as ComfyUI does without it).
     */
    static T5Encoder openIfPresent(Path dir, OnnxOptions options) {
        Path file = dir.resolve(FOLDER).resolve("model.onnx");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.load(dir.resolve(TOKENIZER).resolve("spiece.model"));
        TypedSession session = TypedSession.open(file, "the T5 text encoder", options);
        try {
            return new T5Encoder(tokenizer, session);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    public Path file() {
        return session.file();
    }

    /** Values per token of {@code last_hidden_state} (-1 when the export leaves it free). */
    public int width() {
        return width;
    }

    SentencePieceTokenizer tokenizer() {
        return tokenizer;
    }

    /** A plain prompt (no weight syntax): its words, each of weight 1, as {@link #comfyui} cuts them. */
    static Tokens plain(SentencePieceTokenizer tok, String prompt) {
        return comfyui(tok, List.of(new PromptAttention.Run(prompt, 1.0)));
    }

    /**
     * ComfyUI's T5 sequence (comfy/sd1_clip.py SDTokenizer.tokenize_with_weights with sd3_clip.py's T5XXLTokenizer:
     * no start token, one window of any length, min_length 77, pad 0): each weighted run split at spaces (newlines
     * count as spaces), each word tokenized on its own with that run's weight, the end token after the last, padded
     * with 0 to {@value #MIN_TOKENS} tokens.
     */
    static Tokens comfyui(SentencePieceTokenizer tok, List<PromptAttention.Run> runs) {
        Builder b = new Builder();
        for (PromptAttention.Run run : runs) {
            for (String word : run.text().replace('\n', ' ').split(" ")) {
                if (!word.isEmpty()) {
                    b.add(tok.encode(word), (float) run.weight());
                }
            }
        }
        b.add(new int[] {tok.eos()}, 1f);
        return b.build(Math.max(MIN_TOKENS, b.size), tok.pad());
    }

    /**
     * A1111's T5 sequence (modules/models/sd3/sd3_cond.py, Sd3T5.tokenize_line): each run of its attention syntax
     * tokenized whole, BREAK runs skipped, the end token after the last, then padded with the pad id or cut to
     * {@code tokens}, the CLIP part's token count. A1111 computes the runs' multipliers but never applies them to
     * T5's output (Sd3T5.forward), so every weight here is 1.
     */
    static Tokens a1111(SentencePieceTokenizer tok, List<PromptAttention.Run> runs, int tokens) {
        Builder b = new Builder();
        for (PromptAttention.Run run : runs) {
            if (!run.isA1111Break()) {
                b.add(tok.encode(run.text()), 1f);
            }
        }
        b.add(new int[] {tok.eos()}, 1f);
        return b.build(tokens, tok.pad());
    }

    /** The prompt's T5 sequence as {@code profile}'s UI forms it, next to a CLIP part of {@code clipTokens} tokens. */
    Tokens tokens(String prompt, PromptProfile profile, int clipTokens) {
        List<PromptAttention.Run> runs = profile.parse(prompt);
        return profile == PromptProfile.A1111 ? a1111(tokenizer, runs, clipTokens) : comfyui(tokenizer, runs);
    }

    /**
     * Runs the encoder on a sequence and applies its weights ComfyUI's way, from the empty sequence (end token,
     * then pad, of the same length) encoded in the same batch (sd1_clip.py ClipTokenWeightEncoder, gen_empty_tokens).
     */
    TextEncoder.Encoded encode(Tokens t) {
        int n = t.ids().length;
        if (fixedLength > 0 && n != fixedLength) {
            if (n > fixedLength) {
                throw new IllegalArgumentException(session.file() + ": input 'input_ids' takes " + fixedLength
                        + " tokens; the prompt needs " + n + " (shorten the prompt, or export T5 with a free sequence"
                        + " length)");
            }
            // an export of fixed length: padded to it, as diffusers pads T5's input to its max_length
            int[] ids = Arrays.copyOf(t.ids(), fixedLength);
            Arrays.fill(ids, n, fixedLength, tokenizer.pad());
            float[] weights = Arrays.copyOf(t.weights(), fixedLength);
            Arrays.fill(weights, n, fixedLength, 1f);
            return encode(new Tokens(ids, weights));
        }
        boolean weighted = false;
        for (float w : t.weights()) {
            weighted |= w != 1f;
        }
        int rows = weighted ? 2 : 1;
        long[] ids = new long[rows * n];
        Arrays.fill(ids, tokenizer.pad());
        for (int i = 0; i < n; i++) {
            ids[i] = t.ids()[i];
        }
        if (weighted) {
            ids[n] = tokenizer.eos();
        }
        Map<String, TypedSession.Output> out = session.run(
                Map.of("input_ids", TypedSession.Input.ofLongs(ids, rows, n)), List.of(OUTPUT));
        float[] all = out.get(OUTPUT).data();
        int w = all.length / (rows * n);
        float[] hidden = Arrays.copyOf(all, n * w);
        if (weighted) {
            PromptWeighting.interpolate(hidden, 0, t.weights(), Arrays.copyOfRange(all, n * w, 2 * n * w), w);
        }
        return new TextEncoder.Encoded(hidden, n, w, null);
    }

    @Override
    public void close() {
        session.close();
    }

    private static final class Builder {
        int[] ids = new int[MIN_TOKENS];
        float[] weights = new float[MIN_TOKENS];
        int size;

        void add(int[] tokens, float weight) {
            if (size + tokens.length > ids.length) {
                int cap = Math.max(ids.length * 2, size + tokens.length);
                ids = Arrays.copyOf(ids, cap);
                weights = Arrays.copyOf(weights, cap);
            }
            for (int token : tokens) {
                ids[size] = token;
                weights[size++] = weight;
            }
        }

        Tokens build(int length, int pad) {
            int[] i = Arrays.copyOf(ids, length);
            float[] w = Arrays.copyOf(weights, length);
            for (int k = size; k < length; k++) {
                i[k] = pad;
                w[k] = 1f;
            }
            return new Tokens(i, w);
        }
    }
}
