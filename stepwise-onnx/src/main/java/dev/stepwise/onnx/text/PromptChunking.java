package dev.stepwise.onnx.text;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/** Weighted runs of prompt text cut into 77-token windows, as A1111 or ComfyUI cuts them. */
final class PromptChunking {
    /** A1111's {@code comma_padding_backtrack} default: a full chunk breaks after a comma this close to its end. */
    static final int COMMA_BACKTRACK = 20;
    /** ComfyUI's {@code SDTokenizer.max_word_length}: a run this long may be split across windows. */
    static final int MAX_WORD_LENGTH = 8;
    private static final int CHUNK = TokenWindows.CHUNK;
    private static final int WINDOW = TokenWindows.WINDOW;
    // ComfyUI splits a run at " embedding:" / "\nembedding:" and treats a leading "embedding:" as a textual
    // inversion (sd1_clip.py tokenize_with_weights).
    private static final Pattern EMBEDDING = Pattern.compile("(?:^|[ \n])embedding:");

    private PromptChunking() {
    }

    /**
     * A1111's {@code tokenize_line} (modules/sd_hijack_clip.py): runs tokenized one by one and appended; when a
     * chunk holds {@value TokenWindows#CHUNK} tokens and the next is no comma, the chunk breaks after its last comma
     * if that is within {@value #COMMA_BACKTRACK} tokens of the end (the tokens after it move on), else where it
     * is full; a BREAK run closes the chunk (even an empty one). Textual-inversion embeddings are not looked up.
     */
    static TokenWindows a1111(ClipTokenizer tok, List<PromptAttention.Run> runs, TextCleaning cleaning) {
        Windows out = new Windows(tok);
        Chunk chunk = new Chunk();
        int lastComma = -1;
        for (PromptAttention.Run run : runs) {
            if (run.isA1111Break()) {
                out.close(chunk, false);
                lastComma = -1;
                continue;
            }
            float weight = (float) run.weight();
            for (int token : tok.encode(run.text(), cleaning)) {
                if (token == tok.comma()) {
                    lastComma = chunk.size;
                } else if (chunk.size == CHUNK && lastComma != -1 && chunk.size - lastComma <= COMMA_BACKTRACK) {
                    Chunk moved = chunk.tail(lastComma + 1);
                    chunk.size = lastComma + 1;
                    out.close(chunk, false);
                    chunk.moveFrom(moved);
                    lastComma = -1;
                }
                if (chunk.size == CHUNK) {
                    out.close(chunk, false);
                    lastComma = -1;
                }
                chunk.add(token, weight);
            }
        }
        if (chunk.size > 0 || out.count == 0) {
            out.close(chunk, true);
        }
        return out.build();
    }

    /**
     * ComfyUI's {@code SDTokenizer.tokenize_with_weights} (comfy/sd1_clip.py): each run is tokenized as one group;
     * a group that does not fit in the current window starts the next one (the window is closed with EOS and
     * padded), unless it is {@value #MAX_WORD_LENGTH} tokens or longer, then it fills the window and goes on in the
     * next. No comma rule and no BREAK. The token counter is the number of prompt tokens.
     *
     * @throws IllegalArgumentException for a textual-inversion embedding ("embedding:NAME"), which is not loaded
     */
    static TokenWindows comfyui(ClipTokenizer tok, List<PromptAttention.Run> runs, TextCleaning cleaning) {
        Windows out = new Windows(tok);
        Chunk chunk = new Chunk();
        int total = 0;
        for (PromptAttention.Run run : runs) {
            if (EMBEDDING.matcher(run.text()).find()) {
                throw new IllegalArgumentException("the prompt names a textual-inversion embedding (\"embedding:...\" in \""
                        + run.text().strip() + "\"); embeddings are not supported, remove it");
            }
            int[] group = tok.encode(run.text(), cleaning);
            float weight = (float) run.weight();
            total += group.length;
            boolean large = group.length >= MAX_WORD_LENGTH;
            int from = 0;
            while (from < group.length) {
                int left = group.length - from;
                if (chunk.size + left > CHUNK) {
                    if (large) {
                        int room = CHUNK - chunk.size;
                        for (int i = 0; i < room; i++) {
                            chunk.add(group[from + i], weight);
                        }
                        from += room;
                    }
                    out.close(chunk, false);
                } else {
                    for (int i = from; i < group.length; i++) {
                        chunk.add(group[i], weight);
                    }
                    from = group.length;
                }
            }
        }
        out.close(chunk, true);
        out.tokenCount = total;
        return out.build();
    }

    /** The prompt tokens of the window being filled, with their weights. */
    private static final class Chunk {
        int[] ids = new int[CHUNK];
        float[] weights = new float[CHUNK];
        int size;

        void add(int id, float weight) {
            ids[size] = id;
            weights[size] = weight;
            size++;
        }

        Chunk tail(int from) {
            Chunk t = new Chunk();
            for (int i = from; i < size; i++) {
                t.add(ids[i], weights[i]);
            }
            return t;
        }

        void moveFrom(Chunk other) {
            ids = other.ids;
            weights = other.weights;
            size = other.size;
        }
    }

    /** Closed windows: BOS, the chunk, EOS, pad; BOS, EOS and pad weigh 1. */
    private static final class Windows {
        final ClipTokenizer tok;
        int[] ids = new int[WINDOW];
        float[] weights = new float[WINDOW];
        int[] lengths = new int[1];
        int count;
        int tokenCount;

        Windows(ClipTokenizer tok) {
            this.tok = tok;
        }

        /** Closes the chunk into a window and empties it; A1111 counts a full 75 for all but the last. */
        void close(Chunk chunk, boolean last) {
            if ((count + 1) * WINDOW > ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
                weights = Arrays.copyOf(weights, weights.length * 2);
                lengths = Arrays.copyOf(lengths, lengths.length * 2);
            }
            int at = count * WINDOW;
            Arrays.fill(ids, at, at + WINDOW, tok.pad());
            Arrays.fill(weights, at, at + WINDOW, 1f);
            ids[at] = tok.bos();
            System.arraycopy(chunk.ids, 0, ids, at + 1, chunk.size);
            System.arraycopy(chunk.weights, 0, weights, at + 1, chunk.size);
            ids[at + 1 + chunk.size] = tok.eos();
            lengths[count] = chunk.size;
            tokenCount += last ? chunk.size : CHUNK;
            count++;
            chunk.size = 0;
        }

        TokenWindows build() {
            return new TokenWindows(Arrays.copyOf(ids, count * WINDOW), Arrays.copyOf(weights, count * WINDOW),
                    Arrays.copyOf(lengths, count), tokenCount);
        }
    }
}
