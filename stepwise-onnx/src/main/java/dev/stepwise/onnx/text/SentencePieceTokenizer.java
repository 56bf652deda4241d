package dev.stepwise.onnx.text;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * T5's tokenizer: a SentencePiece unigram model read from the {@code spiece.model} file that a diffusers export
 * keeps in {@code tokenizer_3/} for SD3's T5-XXL encoder. It follows the reference library (google/sentencepiece)
 * step for step: the normaliser's precompiled character map (a darts-clone double-array trie over UTF-8, the
 * {@code nmt_nfkc} rules T5 was trained with), its whitespace rules (leading, trailing and repeated spaces
 * dropped, a dummy "▁" prefix, spaces escaped to "▁"), then the Viterbi segmentation of
 * {@code unigram_model.cc} EncodeOptimized (float path scores, the first best path kept on ties, unknown
 * characters scored min_score - 10) and {@code sentencepiece_processor.cc}'s merging of consecutive unknowns.
 * Thread-safe.
 */
public final class SentencePieceTokenizer {

    private static final String SPACE = "\u2581";
    private static final float UNK_PENALTY = 10;
    // sentencepiece_model.proto, ModelProto.SentencePiece.Type
    private static final int NORMAL = 1, UNKNOWN = 2, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private final Map<String, Integer> pieces;
    private final float[] scores;
    private final int[] types;
    private final int maxPieceChars;
    private final int unk, eos, pad;
    private final float unkScore, maxScore;
    private final CharsMap charsMap;
    private final boolean addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces;

    private SentencePieceTokenizer(Proto.Model m) {
        int n = m.pieces.size();
        pieces = new HashMap<>(n * 2);
        scores = new float[n];
        types = new int[n];
        float min = Float.MAX_VALUE, max = Float.MIN_VALUE; // unigram_model.cc starts max_score_ at FLT_MIN too
        int longest = 1, unkId = -1;
        for (int i = 0; i < n; i++) {
            Proto.Piece p = m.pieces.get(i);
            scores[i] = p.score;
            types[i] = p.type;
            if (p.type == NORMAL || p.type == USER_DEFINED || p.type == UNUSED) {
                pieces.putIfAbsent(p.piece, i);
                longest = Math.max(longest, p.piece.length());
            }
            if (p.type == NORMAL) {
                min = Math.min(min, p.score);
                max = Math.max(max, p.score);
            }
            if (p.type == UNKNOWN) {
                unkId = i;
            }
            if (p.type == BYTE) {
                throw new IllegalArgumentException("byte-fallback pieces are not supported (T5's model has none)");
            }
        }
        if (unkId < 0) {
            throw new IllegalArgumentException("the model defines no <unk> piece");
        }
        maxPieceChars = longest;
        unk = unkId;
        eos = m.eosId;
        pad = m.padId;
        unkScore = min - UNK_PENALTY;
        maxScore = max;
        charsMap = m.charsMap.length == 0 ? null : new CharsMap(m.charsMap);
        addDummyPrefix = m.addDummyPrefix;
        removeExtraWhitespaces = m.removeExtraWhitespaces;
        escapeWhitespaces = m.escapeWhitespaces;
    }

    /**
     * Reads {@code spiece.model} (a serialised {@code ModelProto}). A missing, unreadable or malformed file is an
     * {@link IllegalArgumentException} with one line naming it.
     */
    public static SentencePieceTokenizer load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": missing (expected a SentencePiece model, spiece.model)");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": unreadable (" + e.getMessage() + ")");
        }
        try {
            Proto.Model m = Proto.model(bytes);
            if (m.modelType != 1) {
                throw new IllegalArgumentException("model type " + m.modelType + ", expected 1 (unigram)");
            }
            return new SentencePieceTokenizer(m);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            String why = e instanceof IllegalArgumentException ? e.getMessage() : "truncated";
            throw new IllegalArgumentException(file + ": not a SentencePiece unigram model (" + why + ")");
        }
    }

    /** The ids of a text, without the end token, as SentencePieceProcessor.encode gives them. */
    public int[] encode(String text) {
        String s = normalize(text);
        int n = s.length();
        float[] best = new float[n + 1];
        int[] from = new int[n + 1];
        int[] id = new int[n + 1];
        Arrays.fill(from, -1);
        for (int start = 0; start < n; start = next(s, start)) {
            float here = best[start];
            int oneChar = next(s, start) - start;
            boolean single = false;
            for (int end = next(s, start); end <= n && end - start <= maxPieceChars; end = end < n ? next(s, end) : n + 1) {
                Integer piece = pieces.get(s.substring(start, end));
                if (piece == null || types[piece] == UNUSED) {
                    continue;
                }
                // A user-defined symbol gets a bonus so that it is always chosen (length in UTF-8 bytes there).
                float score = types[piece] == USER_DEFINED
                        ? (float) (utf8Length(s, start, end) * (double) maxScore - 0.1)
                        : scores[piece];
                relax(best, from, id, end, start, piece, score + here);
                single |= end - start == oneChar;
            }
            if (!single) {
                relax(best, from, id, start + oneChar, start, unk, unkScore + here);
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int end = n; end > 0; end = from[end]) {
            out.add(id[end]);
        }
        int[] ids = new int[out.size()];
        int k = 0;
        for (int i = out.size() - 1; i >= 0; i--) {
            int t = out.get(i);
            if (t == unk && k > 0 && ids[k - 1] == unk) {
                continue; // sentencepiece_processor.cc merges a run of unknowns into one
            }
            ids[k++] = t;
        }
        return Arrays.copyOf(ids, k);
    }

    private static void relax(float[] best, int[] from, int[] id, int end, int start, int piece, float score) {
        if (from[end] == -1 || score > best[end]) {
            best[end] = score;
            from[end] = start;
            id[end] = piece;
        }
    }

    /** The end-of-sequence id (T5: 1). */
    public int eos() {
        return eos;
    }

    /** The padding id (T5: 0). */
    public int pad() {
        return pad;
    }

    /** The vocabulary size of the model file. */
    public int size() {
        return scores.length;
    }

    /** The normalised form of a text: SentencePiece's Normalizer::Normalize, with "▁" for spaces. */
    String normalize(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(in.length + 4);
        int pos = 0;
        if (removeExtraWhitespaces) {
            while (pos < in.length) {
                Prefix p = prefix(in, pos);
                if (!p.text.equals(" ")) {
                    break;
                }
                pos += p.consumed;
            }
        }
        if (pos == in.length) {
            return "";
        }
        String space = escapeWhitespaces ? SPACE : " ";
        if (addDummyPrefix) {
            out.append(space);
        }
        boolean prevSpace = removeExtraWhitespaces;
        while (pos < in.length) {
            Prefix p = prefix(in, pos);
            String piece = p.text;
            int skip = 0;
            while (prevSpace && skip < piece.length() && piece.charAt(skip) == ' ') {
                skip++;
            }
            piece = piece.substring(skip);
            if (!piece.isEmpty()) {
                out.append(escapeWhitespaces ? piece.replace(" ", SPACE) : piece);
                prevSpace = piece.endsWith(" ");
            }
            pos += p.consumed;
            if (!removeExtraWhitespaces) {
                prevSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            while (out.length() >= space.length() && out.lastIndexOf(space) == out.length() - space.length()) {
                out.setLength(out.length() - space.length());
            }
        }
        return out.toString();
    }

    private record Prefix(String text, int consumed) {
    }

    /** Normalizer::NormalizePrefix: the longest rule of the character map at pos, else one UTF-8 character. */
    private Prefix prefix(byte[] in, int pos) {
        if (charsMap != null) {
            Prefix rule = charsMap.longestRule(in, pos);
            if (rule != null) {
                return rule;
            }
        }
        int len = utf8CharLength(in[pos]);
        len = Math.min(len, in.length - pos);
        return new Prefix(new String(in, pos, len, StandardCharsets.UTF_8), len);
    }

    private static int utf8CharLength(byte lead) {
        int b = lead & 0xFF;
        return b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    }

    private static int next(String s, int i) {
        return i + Character.charCount(s.codePointAt(i));
    }

    private static int utf8Length(String s, int start, int end) {
        return s.substring(start, end).getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * The normaliser's precompiled rules: a little-endian uint32 trie size, a darts-clone double array of that
     * many bytes over UTF-8 input, then NUL-terminated replacement strings the trie's values point into
     * (normalizer.cc DecodePrecompiledCharsMap).
     */
    private static final class CharsMap {
        private final int[] units;
        private final byte[] replacements;

        CharsMap(byte[] blob) {
            ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
            if (blob.length <= 4) {
                throw new IllegalArgumentException("broken precompiled_charsmap");
            }
            int trieSize = b.getInt();
            if (trieSize < 0 || trieSize >= blob.length - 4 || trieSize % 4 != 0) {
                throw new IllegalArgumentException("broken precompiled_charsmap (trie size " + trieSize + ")");
            }
            units = new int[trieSize / 4];
            for (int i = 0; i < units.length; i++) {
                units[i] = b.getInt();
            }
            replacements = Arrays.copyOfRange(blob, 4 + trieSize, blob.length);
        }

        /** darts-clone commonPrefixSearch, keeping the longest match. */
        Prefix longestRule(byte[] key, int pos) {
            int node = 0;
            int unit = units[node];
            node ^= offset(unit);
            int longest = 0, value = -1;
            for (int i = pos; i < key.length; i++) {
                int c = key[i] & 0xFF;
                node ^= c;
                if (node < 0 || node >= units.length) {
                    break;
                }
                unit = units[node];
                if (label(unit) != c) {
                    break;
                }
                node ^= offset(unit);
                if (hasLeaf(unit) && node >= 0 && node < units.length) {
                    longest = i + 1 - pos;
                    value = units[node] & 0x7FFFFFFF;
                }
            }
            if (longest == 0) {
                return null;
            }
            int end = value;
            while (end < replacements.length && replacements[end] != 0) {
                end++;
            }
            return new Prefix(new String(replacements, value, end - value, StandardCharsets.UTF_8), longest);
        }

        private static boolean hasLeaf(int unit) {
            return ((unit >>> 8) & 1) == 1;
        }

        private static int label(int unit) {
            return unit & (0x80000000 | 0xFF);
        }

        private static int offset(int unit) {
            return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
        }
    }

    /** The few fields of sentencepiece_model.proto that encoding needs, read from protobuf's wire format. */
    private static final class Proto {
        record Piece(String piece, float score, int type) {
        }

        static final class Model {
            final List<Piece> pieces = new ArrayList<>();
            int modelType = 1, eosId = 2, padId = -1; // the proto's defaults (unk is found by its piece type)
            byte[] charsMap = new byte[0];
            boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
        }

        private final byte[] buf;
        private int pos;
        private final int end;

        private Proto(byte[] buf, int from, int to) {
            this.buf = buf;
            this.pos = from;
            this.end = to;
        }

        static Model model(byte[] bytes) {
            Model m = new Model();
            Proto r = new Proto(bytes, 0, bytes.length);
            while (r.more()) {
                int tag = (int) r.varint();
                switch (tag) {
                    case (1 << 3) | 2 -> m.pieces.add(r.message().piece());
                    case (2 << 3) | 2 -> r.message().trainer(m);
                    case (3 << 3) | 2 -> r.message().normalizer(m);
                    default -> r.skip(tag);
                }
            }
            if (m.pieces.isEmpty()) {
                throw new IllegalArgumentException("no pieces");
            }
            return m;
        }

        private Piece piece() {
            String piece = null;
            float score = 0;
            int type = NORMAL;
            while (more()) {
                int tag = (int) varint();
                switch (tag) {
                    case (1 << 3) | 2 -> piece = new String(bytes(), StandardCharsets.UTF_8);
                    case (2 << 3) | 5 -> score = Float.intBitsToFloat(fixed32());
                    case (3 << 3) -> type = (int) varint();
                    default -> skip(tag);
                }
            }
            if (piece == null || piece.isEmpty()) {
                throw new IllegalArgumentException("a piece with no text");
            }
            return new Piece(piece, score, type);
        }

        private void trainer(Model m) {
            while (more()) {
                int tag = (int) varint();
                switch (tag) {
                    case (3 << 3) -> m.modelType = (int) varint();
                    case (42 << 3) -> m.eosId = (int) varint();
                    case (43 << 3) -> m.padId = (int) varint();
                    default -> skip(tag);
                }
            }
        }

        private void normalizer(Model m) {
            while (more()) {
                int tag = (int) varint();
                switch (tag) {
                    case (2 << 3) | 2 -> m.charsMap = bytes();
                    case (3 << 3) -> m.addDummyPrefix = varint() != 0;
                    case (4 << 3) -> m.removeExtraWhitespaces = varint() != 0;
                    case (5 << 3) -> m.escapeWhitespaces = varint() != 0;
                    default -> skip(tag);
                }
            }
        }

        private boolean more() {
            return pos < end;
        }

        private long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = byteAt(pos++);
                v |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("malformed varint");
        }

        private int fixed32() {
            int v = (byteAt(pos) & 0xFF) | (byteAt(pos + 1) & 0xFF) << 8 | (byteAt(pos + 2) & 0xFF) << 16
                    | (byteAt(pos + 3) & 0xFF) << 24;
            pos += 4;
            return v;
        }

        private byte[] bytes() {
            int len = length();
            byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return out;
        }

        private Proto message() {
            int len = length();
            Proto sub = new Proto(buf, pos, pos + len);
            pos += len;
            return sub;
        }

        private int length() {
            long len = varint();
            if (len < 0 || pos + len > end) {
                throw new IllegalArgumentException("a field runs past the end of its message");
            }
            return (int) len;
        }

        private byte byteAt(int i) {
            if (i >= end) {
                throw new IllegalArgumentException("truncated");
            }
            return buf[i];
        }

        private void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    int len = length(); // before adding: length() moves pos past the varint
                    pos += len;
                }
                case 5 -> pos += 4;
                default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
            }
            if (pos > end) {
                throw new IllegalArgumentException("truncated");
            }
        }
    }
}
