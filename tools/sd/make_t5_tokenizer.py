#!/usr/bin/python3
"""Makes the T5 tokenizer fixture for Stepwise's SentencePiece (unigram) tokenizer tests.

T5's real spiece.model cannot be downloaded here, so this trains a small unigram model with T5's settings
(nmt_nfkc normalisation, dummy prefix, pad 0 / eos 1 / unk 2, no bos) on words of the CLIP vocabulary, and
writes, for a list of prompts, the ids that the reference SentencePiece library gives (no eos, no padding).

    /usr/bin/python3 tools/sd/make_t5_tokenizer.py   # needs Debian's python3-sentencepiece

Writes stepwise-onnx/src/test/resources/t5/{spiece.model,reference_ids.tsv}.
"""
import io
import json
import pathlib
import random

import sentencepiece as spm

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "stepwise-onnx/src/test/resources/t5"
CLIP_VOCAB = ROOT / "stepwise-onnx/src/test/resources/clip/vocab.json"

PROMPTS = [
    "a photograph of an astronaut riding a horse",
    "A Photograph of an Astronaut, riding a HORSE!",
    "  leading and trailing spaces  ",
    "many     spaces\tand\ttabs\nand a newline",
    "ultra realistic 8k cg, picture-perfect black sports car, desert wasteland road",
    "café crème brûlée, naïve façade",
    "ﬁne ligatures ﬂ and full-width ＡＢＣ１２３ letters",
    "½ cup of ℌilbert's ① circled ™",
    "emoji 🐱 and 漢字 unknown characters",
    "(masterpiece:1.2), [blurry], \\(escaped\\)",
    "x",
    "",
    "zzzzqqqqxxxx unlikelyword supercalifragilistic",
    "e\u0301 combining accent and \u00a0no-break space",
]


def corpus(rng):
    words = [w[:-4] for w in json.loads(CLIP_VOCAB.read_text()) if w.endswith("</w>") and w[:-4].isalpha()]
    lines = []
    def word():
        w = rng.choice(words)
        r = rng.random()
        return w.capitalize() if r < 0.1 else w + "," if r < 0.2 else str(rng.randint(0, 2048)) if r < 0.25 else w
    for _ in range(40000):
        lines.append(" ".join(word() for _ in range(rng.randint(3, 12))))
    return lines


def main():
    rng = random.Random(20261207)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus(rng)), model_writer=model, model_type="unigram", vocab_size=3000,
        normalization_rule_name="nmt_nfkc", add_dummy_prefix=True, remove_extra_whitespaces=True,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, num_threads=1, seed_sentencepiece_size=200000)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "spiece.model").write_bytes(model.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    rows = ["# prompt (JSON string)<TAB>ids from sentencepiece " + spm.__version__ + " encode (no eos, no padding)"]
    for p in PROMPTS:
        rows.append(json.dumps(p, ensure_ascii=True) + "\t" + ",".join(str(i) for i in sp.encode(p)))
    (OUT / "reference_ids.tsv").write_text("\n".join(rows) + "\n")
    print("wrote", OUT, sp.get_piece_size(), "pieces")


if __name__ == "__main__":
    main()
