"""Train the Fashion-MNIST evaluation classifier, export ONNX + test-set feature statistics.

Usage: nice -n 19 /usr/bin/python3 tools/train/train_classifier.py [--epochs 4] [--seed 1234]
Outputs: models/classifier/classifier.onnx, test_features_mean.npy, test_features_cov.npy,
         classifier.json; checkpoint in tools/train/runs/classifier/classifier.pt
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLASSES, Classifier, count_params, load_split, to_tensor  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct, feats = 0, []
    with torch.no_grad():
        for i in range(0, len(x), bs):
            logits, f = model(x[i:i + bs])
            correct += (logits.argmax(1) == y[i:i + bs]).sum().item()
            feats.append(f.double())
    return correct / len(x), torch.cat(feats).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "classifier"))
    ap.add_argument("--run", default=os.path.join(ROOT, "tools", "train", "runs", "classifier"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.run, exist_ok=True)

    xtr, ytr = load_split("train")
    xte, yte = load_split("t10k")
    xtr, ytr, xte, yte = to_tensor(xtr), torch.from_numpy(ytr), to_tensor(xte), torch.from_numpy(yte)

    model = Classifier()
    print(f"classifier parameters: {count_params(model)}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    spe = math.ceil(len(xtr) / args.batch)
    total = spe * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 200) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    g = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        te = time.time()
        for i in range(spe):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            xb, yb = xtr[idx], ytr[idx]
            # augmentation: random horizontal flip
            flip = torch.rand(len(xb), generator=g) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            logits, _ = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if i % 100 == 0:
                print(f"ep {ep} step {i}/{spe} loss {loss.item():.4f} elapsed {time.time() - t0:.0f}s", flush=True)
        acc, _ = evaluate(model, xte, yte)
        print(f"epoch {ep} done in {time.time() - te:.0f}s test_acc {acc:.4f}", flush=True)
    wall = time.time() - t0
    torch.save({"model": model.state_dict(), "epochs": args.epochs, "seed": args.seed, "wall_seconds": wall},
               os.path.join(args.run, "classifier.pt"))

    acc, feats = evaluate(model, xte, yte)
    mean = feats.mean(0)
    cov = np.cov(feats, rowvar=False)
    np.save(os.path.join(args.out, "test_features_mean.npy"), mean.astype(np.float64))
    np.save(os.path.join(args.out, "test_features_cov.npy"), cov.astype(np.float64))

    model.eval()
    path = os.path.join(args.out, "classifier.onnx")
    torch.onnx.export(model, (torch.zeros(2, 1, 28, 28),), path, input_names=["x"],
                      output_names=["logits", "features"], opset_version=17,
                      dynamic_axes={"x": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}})
    meta = {"name": "fashion-classifier", "classes": CLASSES,
            "input": {"name": "x", "shape": ["B", 1, 28, 28], "pixel_range": [-1, 1]},
            "outputs": {"logits": ["B", 10], "features": ["B", int(feats.shape[1])]},
            "feature_stats": {"mean": "test_features_mean.npy", "cov": "test_features_cov.npy",
                              "dtype": "float64", "source": "Fashion-MNIST t10k (10000 images)"},
            "test_accuracy": round(acc, 4), "parameters": count_params(model),
            "training": {"seed": args.seed, "epochs": args.epochs, "wall_seconds": round(wall, 1),
                         "command": "nice -n 19 /usr/bin/python3 tools/train/train_classifier.py "
                                    f"--epochs {args.epochs} --seed {args.seed}"}}
    with open(os.path.join(args.out, "classifier.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"FINAL test_acc {acc:.4f} wall {wall:.0f}s", flush=True)


if __name__ == "__main__":
    main()
