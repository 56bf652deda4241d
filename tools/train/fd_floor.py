"""The floor of the classifier-feature Frechet distance at a given sample count.

FD of N *real* images against the stored test-set statistics is not 0: the N-sample mean and
covariance are noisy, and the trace term is biased upward at small N. This is the value a perfect
generator would get with the same number of images as quality_check.py, so model FDs should be
read against it. Draws `--per-class` images per class (100 -> 1,000 images, like the quality check)
`--draws` times with different seeds, from the Fashion-MNIST test split (which the statistics were
computed from) and from the training split (which they were not), through models/classifier.

Usage: nice -n 19 /usr/bin/python3 tools/train/fd_floor.py [--per-class 100] [--draws 5] [--out FILE]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_split, to_tensor  # noqa: E402
from onnx_numpy_eval import run_model  # noqa: E402
from quality_check import frechet  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "train", "runs", "fd_floor.json"))
    args = ap.parse_args()
    cls_dir = os.path.join(ROOT, "models", "classifier")
    graph = onnx.load(os.path.join(cls_dir, "classifier.onnx"))
    mu_ref = np.load(os.path.join(cls_dir, "test_features_mean.npy"))
    cov_ref = np.load(os.path.join(cls_dir, "test_features_cov.npy"))
    res = {"images": 10 * args.per_class, "draws": args.draws}
    for split, name in (("test", "t10k"), ("train", "train")):
        imgs, labels = load_split(name)
        x_all = to_tensor(imgs).numpy()                 # [N,1,28,28] in [-1, 1], as in training
        fds = []
        for d in range(args.draws):
            rng = np.random.default_rng(1000 + d)
            idx = np.concatenate([rng.choice(np.flatnonzero(labels == c), args.per_class, replace=False)
                                  for c in range(10)])
            feats = run_model(graph, {"x": x_all[idx]}, dtype=np.float32)["features"].astype(np.float64)
            fds.append(frechet(feats.mean(0), np.cov(feats, rowvar=False), mu_ref, cov_ref))
            print(f"{split} draw {d}: FD {fds[-1]:.3f}", flush=True)
        res[split] = {"fd": [round(v, 3) for v in fds], "mean": round(float(np.mean(fds)), 3),
                      "sd": round(float(np.std(fds, ddof=1)), 3) if len(fds) > 1 else None}
    print(json.dumps(res, indent=2))
    with open(args.out, "w") as f:
        json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
