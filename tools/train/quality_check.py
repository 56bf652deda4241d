"""Prompt-adherence quality check for the fashion diffusion models.

Samples N images per class with DPM++ 2M on a Karras schedule (default 20 steps, CFG 3, uncond = zero y),
classifies them with models/classifier/classifier.onnx and reports the accuracy (fraction of samples
classified as the prompted class) plus a Frechet distance of classifier features against the stored
Fashion-MNIST test-set statistics.

Usage:
  nice -n 19 /usr/bin/python3 tools/train/quality_check.py --pred eps  [--ckpt PATH | --onnx]
  nice -n 19 /usr/bin/python3 tools/train/quality_check.py --pred flow [--shift 1.0]
By default the EMA weights from tools/train/runs/fashion-<pred>/last.pt are used (identical to the
export); --onnx samples with models/fashion-<pred>/model.onnx through the NumPy ONNX evaluator (slow).
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import zlib

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLASSES, UNet, sd1_alphas_cumprod  # noqa: E402
from onnx_numpy_eval import run_model  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ------------------------------------------------------------------ schedules
def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = np.linspace(0, 1, n)
    mn, mx = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    s = (mx + ramp * (mn - mx)) ** rho
    return np.append(s, 0.0)


def simple(den, n):
    """ComfyUI 'simple' scheduler: every (1000/n)-th of the model's 1000 sigmas, from the top."""
    table = den.sigmas if hasattr(den, "sigmas") else np.array([den.shifted(i / 1000.0) for i in range(1, 1001)])
    ss = len(table) / n
    return np.append(np.array([table[-(1 + int(i * ss))] for i in range(n)]), 0.0)


class EpsDenoiser:
    """k-diffusion style wrapper for the SD1 discrete VP eps model."""

    def __init__(self, net):
        self.net = net
        acp = sd1_alphas_cumprod().numpy()
        self.sigmas = np.sqrt((1 - acp) / acp)
        self.log_sigmas = np.log(self.sigmas)
        self.sigma_min, self.sigma_max = float(self.sigmas[0]), float(self.sigmas[-1])

    def sigma_to_t(self, sigma):
        ls = math.log(sigma)
        low = int(np.clip(np.searchsorted(self.log_sigmas, ls, side="right") - 1, 0, len(self.sigmas) - 2))
        lo, hi = self.log_sigmas[low], self.log_sigmas[low + 1]
        w = np.clip((lo - ls) / (lo - hi), 0.0, 1.0)
        return (1 - w) * low + w * (low + 1)

    def noise_scale(self):
        return self.sigma_max

    def __call__(self, x, sigma, y):
        c_in = 1.0 / math.sqrt(sigma ** 2 + 1.0)
        t = np.full((x.shape[0],), self.sigma_to_t(sigma), np.float32)
        eps = self.net(x * c_in, t, y)
        return x - sigma * eps


class FlowDenoiser:
    """Rectified flow (SD3 style): sigma = s in [0,1], x_s = (1-s) x0 + s n, model predicts v = n - x0."""

    def __init__(self, net, shift=1.0, multiplier=1000.0):
        self.net, self.shift, self.mult = net, shift, multiplier
        self.sigma_min = self.shifted(1.0 / multiplier)
        self.sigma_max = 1.0

    def shifted(self, s):
        return self.shift * s / (1 + (self.shift - 1) * s)

    def noise_scale(self):
        return self.sigma_max

    def __call__(self, x, sigma, y):
        t = np.full((x.shape[0],), sigma * self.mult, np.float32)
        v = self.net(x, t, y)
        return x - sigma * v


def sample_dpmpp_2m(denoiser, sigmas, noise, y, cfg):
    """DPM-Solver++(2M) exactly as k-diffusion's sample_dpmpp_2m; CFG on the denoised prediction."""
    x = noise * sigmas[0]
    y0 = np.zeros_like(y)
    old = None
    for i in range(len(sigmas) - 1):
        s, sn = float(sigmas[i]), float(sigmas[i + 1])
        both = denoiser(np.concatenate([x, x]), s, np.concatenate([y, y0]))
        cond, unc = np.split(both, 2)
        den = unc + cfg * (cond - unc)
        if sn == 0:
            x = den
        else:
            t, tn = -math.log(s), -math.log(sn)
            h = tn - t
            if old is None:
                d = den
            else:
                r = (t + math.log(float(sigmas[i - 1]))) / h
                d = (1 + 1 / (2 * r)) * den - (1 / (2 * r)) * old
            x = (sn / s) * x - math.expm1(-h) * d
        old = den
    return x


# ------------------------------------------------------------------ metrics
def frechet(mu1, c1, mu2, c2):
    w, v = np.linalg.eigh(c1)
    s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = s1 @ c2 @ s1
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum())


def write_png(path, img):
    """img: uint8 [H,W] grayscale."""
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pred", choices=["eps", "flow"], required=True)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--onnx", action="store_true", help="sample with the exported ONNX file (NumPy evaluator)")
    ap.add_argument("--shift", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--scheduler", choices=["karras", "simple"], default="karras",
                    help="simple = ComfyUI 'simple' (evenly spaced over the model's 1000 sigmas)")
    ap.add_argument("--cfg", type=float, default=3.0)
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="JSON result path (default runs/fashion-<pred>/quality.json)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    name = f"fashion-{args.pred}"
    run = os.path.join(ROOT, "tools", "train", "runs", name)
    os.makedirs(run, exist_ok=True)

    if args.onnx:
        graph = onnx.load(os.path.join(ROOT, "models", name, "model.onnx"))
        def net(x, t, y):
            return run_model(graph, {"x": x, "t": t, "y": y}, dtype=np.float32)["out"]
        source = f"models/{name}/model.onnx"
    else:
        ck = torch.load(args.ckpt or os.path.join(run, "last.pt"), map_location="cpu")
        model = UNet(**ck["config"])
        model.load_state_dict(ck["ema"])
        model.eval()
        def net(x, t, y):
            with torch.no_grad():
                return model(torch.from_numpy(np.ascontiguousarray(x, np.float32)), torch.from_numpy(t),
                             torch.from_numpy(np.ascontiguousarray(y, np.float32))).numpy()
        source = f"EMA of {os.path.relpath(args.ckpt or os.path.join(run, 'last.pt'), ROOT)} " \
                 f"(step {ck['step']}, epoch {ck['step'] / ck['spe']:.2f})"

    den = EpsDenoiser(net) if args.pred == "eps" else FlowDenoiser(net, args.shift)
    if args.scheduler == "karras":
        sigmas = karras(args.steps, den.sigma_min, den.sigma_max)
    else:
        sigmas = simple(den, args.steps)
    cls_graph = onnx.load(os.path.join(ROOT, "models", "classifier", "classifier.onnx"))
    mu_ref = np.load(os.path.join(ROOT, "models", "classifier", "test_features_mean.npy"))
    cov_ref = np.load(os.path.join(ROOT, "models", "classifier", "test_features_cov.npy"))

    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    per_class, feats, grid = [], [], []
    for c in range(10):
        n = args.per_class
        y = np.zeros((n, 10), np.float32)
        y[:, c] = 1.0
        noise = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
        x = np.clip(sample_dpmpp_2m(den, sigmas, noise, y, args.cfg), -1, 1).astype(np.float32)
        out = run_model(cls_graph, {"x": x}, dtype=np.float32)
        pred = out["logits"].argmax(1)
        per_class.append(float((pred == c).mean()))
        feats.append(out["features"].astype(np.float64))
        grid.append(x[:10, 0])
        print(f"class {c} {CLASSES[c]:>10}: acc {per_class[-1]:.3f}  ({time.time() - t0:.0f}s)", flush=True)
    feats = np.concatenate(feats)
    fd = frechet(feats.mean(0), np.cov(feats, rowvar=False), mu_ref, cov_ref)
    acc = float(np.mean(per_class))
    wall = time.time() - t0
    res = {"sampler": "dpmpp_2m", "scheduler": args.scheduler, "steps": args.steps, "cfg": args.cfg,
           "shift": args.shift if args.pred == "flow" else None, "images_per_class": args.per_class,
           "seed": args.seed, "model": source, "classifier_accuracy": round(acc, 4),
           "per_class_accuracy": {CLASSES[i]: round(a, 3) for i, a in enumerate(per_class)},
           "frechet_classifier_distance": round(fd, 3), "wall_seconds": round(wall, 1)}
    print(json.dumps(res, indent=2))
    out_path = args.out or os.path.join(run, "quality.json")
    with open(out_path, "w") as f:
        json.dump(res, f, indent=2)
    img = ((np.concatenate([np.concatenate(list(r), 1) for r in grid], 0) + 1) * 127.5).round().astype(np.uint8)
    write_png(os.path.splitext(out_path)[0] + ".png", np.kron(img, np.ones((3, 3), np.uint8)))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
