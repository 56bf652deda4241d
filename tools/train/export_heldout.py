"""Exports the held-out images that `stepwise error-curve` measures the built-in models on.

The product never reads /usr/share/datasets: this script copies the first N images of the Fashion-MNIST
test split (t10k, which no model was trained on) and their labels into models/heldout/ as uint8 .npy
files, and writes the descriptors (heldout.json) that tell the Java side where they are and what they are:
one in models/heldout/ and one in each built-in model folder, pointing at ../heldout/. The pixels stay
uint8; the Java side maps them to the model's pixel_range as common.to_tensor does for training
(v / 127.5 - 1 in float32 for [-1, 1]).

Usage (from the repository root): /usr/bin/python3 tools/train/export_heldout.py [--count 1000]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLASSES, load_split  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HELDOUT = os.path.join(ROOT, "models", "heldout")
IMAGES = "fashion-mnist-test.npy"
LABELS = "fashion-mnist-test-labels.npy"
MODELS = ("fashion-eps", "fashion-flow")


def descriptor(prefix, count):
    return {
        "format": "stepwise-heldout",
        "version": 1,
        "images": prefix + IMAGES,
        "labels": prefix + LABELS,
        "data": f"Fashion-MNIST test split (t10k), its first {count} images",
    }


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    imgs, labels = load_split("t10k")
    if not 1 <= args.count <= len(imgs):
        sys.exit(f"--count {args.count} must be in 1..{len(imgs)}")
    images = np.ascontiguousarray(imgs[:args.count], dtype=np.uint8)
    classes = np.ascontiguousarray(labels[:args.count], dtype=np.uint8)
    os.makedirs(HELDOUT, exist_ok=True)
    np.save(os.path.join(HELDOUT, IMAGES), images)
    np.save(os.path.join(HELDOUT, LABELS), classes)
    print("wrote", os.path.relpath(os.path.join(HELDOUT, IMAGES), ROOT), images.dtype, list(images.shape))
    print("wrote", os.path.relpath(os.path.join(HELDOUT, LABELS), ROOT), classes.dtype, list(classes.shape))
    write_json(os.path.join(HELDOUT, "heldout.json"), descriptor("", args.count))
    for model in MODELS:
        write_json(os.path.join(ROOT, "models", model, "heldout.json"), descriptor("../heldout/", args.count))
    counts = np.bincount(classes, minlength=len(CLASSES))
    print("images per class:", ", ".join(f"{c} {n}" for c, n in zip(CLASSES, counts)))


if __name__ == "__main__":
    main()
