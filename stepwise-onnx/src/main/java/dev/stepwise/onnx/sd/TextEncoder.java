package dev.stepwise.onnx.sd;

import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.text.ClipTokenizer;
import dev.stepwise.onnx.text.PromptProfile;
import dev.stepwise.onnx.text.TokenWindows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A CLIP text encoder of a model folder with its tokenizer: {@code input_ids} [B, 77] (int32 or int64) to the
 * per-token hidden states of the family's layer and, where the family pools, the pooled output.
 */
public final class TextEncoder implements AutoCloseable {
    private final Family.Encoder spec;
    private final ClipTokenizer tokenizer;
    private final TypedSession session;
    private final Layer defaultLayer;
    private final int lastHidden;
    private final int width;
    private final int pooledWidth;
    private FinalLayerNorm norm;   // read from the graph on the first clip skip that needs it

    /** What the encoder gave for a prompt's windows: hidden states [tokens, width] and the first window's pooling. */
    public record Encoded(float[] hidden, int tokens, int width, float[] pooled) {
    }

    /** The output that gives a clip skip's layer, and whether the final layer norm goes on it. */
    record Layer(String output, boolean norm) {
    }

    private TextEncoder(Family.Encoder spec, ClipTokenizer tokenizer, TypedSession session) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.session = session;
        Path file = session.file();
        long[] ids = session.input("input_ids", 2);
        if (ids[1] > 0 && ids[1] != ClipTokenizer.WINDOW) {
            throw new IllegalArgumentException(file + ": input 'input_ids' has " + ids[1] + " tokens, expected "
                    + ClipTokenizer.WINDOW);
        }
        lastHidden = lastHidden(session);
        defaultLayer = layer(0);
        long[] h = session.output(defaultLayer.output(), 3);
        width = (int) h[2];
        if (spec.pooled() != null) {
            long[] p = session.output(spec.pooled(), 2);
            pooledWidth = (int) p[1];
        } else {
            pooledWidth = 0;
        }
    }

    /** N of the export's {@code hidden_states.0..N} (hidden_states.0 the embeddings), or -1 without them. */
    private static int lastHidden(TypedSession session) {
        int last = -1;
        for (String name : session.outputNames()) {
            if (name.startsWith("hidden_states.")) {
                try {
                    last = Math.max(last, Integer.parseInt(name.substring("hidden_states.".length())));
                } catch (NumberFormatException e) {
                    // not one of the numbered layers
                }
            }
        }
        return last;
    }

    /**
     * The layer of clip skip {@code clipSkip} (1 = the model's last layer, 2 = the one before; 0 = the family's
     * own): {@code last_hidden_state} where that is it (the last layer, normed), else {@code hidden_states.K}
     * counted back from the export's last, with the final norm where the family's UIs apply it. One line naming
     * the file when the export does not have that layer.
     */
    Layer layer(int clipSkip) {
        int n = clipSkip == 0 ? spec.clipSkip() : clipSkip;
        Path file = session.file();
        int back = n - 1 - spec.dropped();
        if (back < 0) {
            throw new IllegalArgumentException(file + ": clip skip " + n + " is not in this export: it ends "
                    + spec.dropped() + " layer before the model's last (the diffusers export of this family stops at"
                    + " its penultimate layer); use " + (spec.dropped() + 1) + " or more");
        }
        if (back == 0 && spec.normsHidden()) {
            return new Layer("last_hidden_state", false);
        }
        if (lastHidden < 1) {
            throw new IllegalArgumentException(file + ": expected outputs hidden_states.0..N ("
                    + (clipSkip == 0 ? "this family conditions on layer -" + n : "clip skip " + n + " picks layer -" + n)
                    + "); its outputs are " + session.outputNames() + " (export the text encoder with its hidden states)");
        }
        int index = lastHidden - back;
        if (index < 1) {
            int layers = lastHidden + spec.dropped();
            throw new IllegalArgumentException("clip skip " + n + " is not allowed: " + file + " has " + layers
                    + " layers; use 1.." + layers);
        }
        return new Layer("hidden_states." + index, spec.normsHidden());
    }

    /** Opens {@code dir/<folder>/model.onnx} with the tokenizer read from {@code dir/<tokenizer>/}. */
    static TextEncoder open(Path dir, Family.Encoder spec, ClipTokenizer tokenizer, OnnxOptions options) {
        TypedSession session = TypedSession.open(dir.resolve(spec.folder()).resolve("model.onnx"),
                "the CLIP text encoder", options);
        try {
            return new TextEncoder(spec, tokenizer, session);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public Path file() {
        return session.file();
    }

    /** Values per token of the hidden states used (-1 when the export leaves it free). */
    public int width() {
        return width;
    }

    /** Values of the pooled output (0 when the family does not pool this encoder). */
    public int pooledWidth() {
        return pooledWidth;
    }

    /** The output of the family's own layer (no clip skip set). */
    public String hiddenOutput() {
        return defaultLayer.output();
    }

    Family.Encoder spec() {
        return spec;
    }

    /** Runs the encoder on 77-token windows (one batch) and concatenates the family's layer's hidden states. */
    public Encoded encode(List<int[]> windows) {
        return encode(windows, defaultLayer);
    }

    /** As {@link #encode(List)} at {@code layer}, the final layer norm applied where it says. */
    private Encoded encode(List<int[]> windows, Layer layer) {
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("no token windows to encode");
        }
        int n = windows.size();
        long[] ids = new long[n * ClipTokenizer.WINDOW];
        for (int w = 0; w < n; w++) {
            int[] win = windows.get(w);
            if (win.length != ClipTokenizer.WINDOW) {
                throw new IllegalArgumentException("token window of " + win.length + " ids, expected "
                        + ClipTokenizer.WINDOW);
            }
            for (int i = 0; i < win.length; i++) {
                ids[w * ClipTokenizer.WINDOW + i] = win[i];
            }
        }
        String hiddenName = layer.output();
        List<String> wanted = new ArrayList<>(List.of(hiddenName));
        if (spec.pooled() != null) {
            wanted.add(spec.pooled());
        }
        Map<String, TypedSession.Output> out = session.run(
                Map.of("input_ids", TypedSession.Input.ofLongs(ids, n, ClipTokenizer.WINDOW)), wanted);
        TypedSession.Output h = out.get(hiddenName);
        int tokens = n * ClipTokenizer.WINDOW;
        int w = h.data().length / tokens;
        float[] pooled = null;
        if (spec.pooled() != null) {
            float[] p = out.get(spec.pooled()).data();
            // ComfyUI keeps the first window's pooled output (comfy/sd1_clip.py, encode_token_weights).
            pooled = java.util.Arrays.copyOf(p, p.length / n);
        }
        float[] hidden = h.data();
        if (layer.norm()) {
            if (norm == null) {
                norm = FinalLayerNorm.find(OnnxGraph.read(session.file()), "last_hidden_state", w);
            }
            hidden = norm.apply(hidden);
        }
        return new Encoded(hidden, tokens, w, pooled);
    }

    /**
     * Runs the encoder on a prompt's weighted windows and applies the weights {@code profile}'s way; the empty
     * prompt's window, where the profile needs it, is encoded in the same batch (as ComfyUI appends it). The pooled
     * output stays the first window's, unweighted.
     *
     * @param clipSkip the layer, as {@link #layer}
     */
    public Encoded encode(TokenWindows windows, PromptProfile profile, int clipSkip) {
        Layer layer = layer(clipSkip);
        List<int[]> ids = new ArrayList<>(windows.count() + 1);
        for (int w = 0; w < windows.count(); w++) {
            ids.add(windows.ids(w));
        }
        boolean empty = profile.needsEmptyEncoding(windows);
        if (empty) {
            ids.add(tokenizer.emptyWindow());
        }
        Encoded raw = encode(ids, layer);
        int tokens = windows.count() * ClipTokenizer.WINDOW;
        float[] hidden = empty ? java.util.Arrays.copyOf(raw.hidden(), tokens * raw.width()) : raw.hidden();
        float[] emptyHidden = empty ? java.util.Arrays.copyOfRange(raw.hidden(), tokens * raw.width(),
                raw.hidden().length) : null;
        return new Encoded(profile.weight(hidden, windows, raw.width(), emptyHidden), tokens, raw.width(),
                raw.pooled());
    }

    @Override
    public void close() {
        session.close();
    }
}
