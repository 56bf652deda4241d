"""Export the EMA weights of a fashion diffusion checkpoint to ONNX + model.json.

Usage: /usr/bin/python3 tools/train/export_diffusion.py --pred eps|flow [--ckpt PATH] [--shift 2.0]
Writes models/fashion-<pred>/model.onnx and models/fashion-<pred>/model.json.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CLASSES, SYNONYMS, UNet, count_params  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_ema(ckpt_path):
    ck = torch.load(ckpt_path, map_location="cpu")
    model = UNet(**ck["config"])
    model.load_state_dict(ck["ema"])
    model.eval()
    return model, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pred", choices=["eps", "flow"], required=True)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--shift", type=float, default=1.0, help="recommended flow timestep shift")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--quality", default=None, help="optional JSON file with quality-check results to embed")
    ap.add_argument("--floor", default=None,
                    help="optional fd_floor.py result: the FD real images get at the same count, embedded with the quality")
    args = ap.parse_args()
    torch.set_num_threads(1)
    name = f"fashion-{args.pred}"
    ckpt = args.ckpt or os.path.join(ROOT, "tools", "train", "runs", name, "last.pt")
    model, ck = load_ema(ckpt)
    out_dir = os.path.join(ROOT, "models", name)
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")

    x = torch.randn(3, 1, 28, 28)
    t = torch.tensor([10.0, 500.0, 999.0])
    y = torch.zeros(3, 10)
    y[0, 7] = 1.0
    y[1, 7], y[1, 8] = 1.3, 1.0
    torch.onnx.export(model, (x, t, y), onnx_path, input_names=["x", "t", "y"], output_names=["out"],
                      opset_version=args.opset, do_constant_folding=True,
                      dynamic_axes={"x": {0: "B"}, "t": {0: "B"}, "y": {0: "B"}, "out": {0: "B"}})
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    ops = sorted({n.op_type for n in m.graph.node})
    print("onnx ok; ops:", ops)

    # numeric check with the small numpy ONNX interpreter (no onnxruntime on this machine)
    from onnx_numpy_eval import run_model
    with torch.no_grad():
        ref = model(x, t, y).numpy()
    got = run_model(m, {"x": x.numpy(), "t": t.numpy(), "y": y.numpy()})["out"]
    err = float(np.abs(ref - got).max())
    print(f"max |torch - onnx(numpy eval)| = {err:.2e}")
    assert err < 1e-3, err

    a = ck["args"]
    if args.pred == "eps":
        schedule = {"type": "discrete_vp", "beta_schedule": "scaled_linear", "linear_start": 0.00085,
                    "linear_end": 0.012, "timesteps": 1000}
    else:
        schedule = {"type": "flow", "shift": args.shift, "multiplier": 1000}
    epochs_done = ck["step"] / ck["spe"]
    meta = {
        "name": name,
        "prediction": args.pred,
        "schedule": schedule,
        "image": {"channels": 1, "height": 28, "width": 28, "pixel_range": [-1, 1]},
        "classes": CLASSES,
        "synonyms": SYNONYMS,
        "conditioning": {"input": "y", "shape": ["B", 10],
                         "meaning": "class weight vector; one-hot = plain class prompt, "
                                    "weighted sums for weighted prompts, all-zero = unconditional"},
        "inputs": {"x": ["B", 1, 28, 28], "t": ["B"], "y": ["B", 10]},
        "outputs": {"out": ["B", 1, 28, 28]},
        "parameters": count_params(model),
        "architecture": {"type": "unet", **model.config, "label_dropout": a["p_uncond"]},
        "training": {
            "seed": ck["seed"],
            "epochs": round(epochs_done, 3),
            "planned_epochs": ck["epochs"],
            "steps": ck["step"],
            "batch": a["batch"],
            "lr": a["lr"],
            "ema_decay": a["ema"],
            "wall_seconds": round(ck["wall_seconds"], 1),
            "command": f"nice -n 19 /usr/bin/python3 tools/train/train_diffusion.py --pred {args.pred} "
                       f"--epochs {ck['epochs']}",
        },
        "onnx": {"opset": args.opset, "file": "model.onnx"},
    }
    if ck.get("init_from"):
        ini = ck["init_from"]
        meta["training"]["init_from"] = ini
        meta["training"]["command"] += f" --init-from {ini['path']}"
        meta["training"]["wall_seconds_including_init"] = round(ck["wall_seconds"] + ini["wall_seconds"], 1)
    if args.quality and os.path.exists(args.quality):
        with open(args.quality) as f:
            meta["quality"] = json.load(f)
        if args.floor and os.path.exists(args.floor):
            with open(args.floor) as f:
                fl = json.load(f)
            meta["quality"]["frechet_of_real_images"] = {
                "images": fl["images"], "draws": fl["draws"],
                "test_split_mean": fl["test"]["mean"], "test_split_sd": fl["test"]["sd"],
                "train_split_mean": fl["train"]["mean"], "train_split_sd": fl["train"]["sd"],
                "command": "nice -n 19 /usr/bin/python3 tools/train/fd_floor.py"}
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), epochs {epochs_done:.2f}")


if __name__ == "__main__":
    main()
