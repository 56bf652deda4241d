"""Train the class-conditional Fashion-MNIST UNet (eps-prediction SD1 VP schedule, or SD3-style
rectified flow). Checkpoints into tools/train/runs/<name>/ (git-ignored); --resume continues.

Usage:
  nice -n 19 /usr/bin/python3 tools/train/train_diffusion.py --pred eps  --epochs N [--resume]
  nice -n 19 /usr/bin/python3 tools/train/train_diffusion.py --pred flow --epochs N [--resume]
  ... --bench 20      # time 20 steps and print the projected epoch time, then exit
"""
import argparse
import copy
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import UNet, count_params, load_split, sd1_alphas_cumprod, to_tensor  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def lr_at(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))


def save_ckpt(path, **state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pred", choices=["eps", "flow"], required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="default: 1 for eps, 2 for flow")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--p-uncond", type=float, default=0.12)
    ap.add_argument("--ch0", type=int, default=32)
    ap.add_argument("--ch1", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--run", default=None, help="default tools/train/runs/fashion-<pred>")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-from", default=None,
                    help="warm start: initialise model+EMA from the EMA weights of another checkpoint "
                         "(ignored when resuming)")
    ap.add_argument("--bench", type=int, default=0)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = 1 if args.pred == "eps" else 2
    run = args.run or os.path.join(ROOT, "tools", "train", "runs", f"fashion-{args.pred}")
    os.makedirs(run, exist_ok=True)
    ckpt_path = os.path.join(run, "last.pt")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    xtr, ytr = load_split("train")
    x_all = to_tensor(xtr)
    y_all = F.one_hot(torch.from_numpy(ytr), 10).float()
    n = len(x_all)
    spe = n // args.batch                # drop last partial batch
    total = spe * args.epochs

    model = UNet(args.ch0, args.ch1)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    acp = sd1_alphas_cumprod().float()
    step, wall_prev, init_info = 0, 0.0, None
    if args.init_from and not (args.resume and os.path.exists(ckpt_path)):
        init = torch.load(args.init_from, map_location="cpu")
        model.load_state_dict(init["ema"])
        ema.load_state_dict(init["ema"])
        init_info = {"path": os.path.relpath(args.init_from, ROOT), "pred": init["pred"], "step": init["step"],
                     "wall_seconds": init["wall_seconds"]}
        print(f"initialised from EMA of {args.init_from} (pred={init['pred']}, step {init['step']})", flush=True)
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        torch.set_rng_state(ck["rng"])
        step, wall_prev, init_info = ck["step"], ck["wall_seconds"], ck.get("init_from")
        print(f"resumed from {ckpt_path} at step {step} (epoch {step / spe:.2f}), "
              f"previous wall {wall_prev:.0f}s; training to {args.epochs} epochs = {total} steps", flush=True)
    print(f"pred={args.pred} params={count_params(model)} seed={args.seed} steps/epoch={spe} "
          f"total_steps={total} threads={torch.get_num_threads()}", flush=True)

    t_start = time.time()
    last_ckpt = time.time()

    def checkpoint():
        save_ckpt(ckpt_path, model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                  rng=torch.get_rng_state(), step=step, epochs=args.epochs, spe=spe,
                  wall_seconds=wall_prev + time.time() - t_start, args=vars(args),
                  config=model.config, pred=args.pred, seed=args.seed, init_from=init_info)

    loss_acc, loss_n, t_log = 0.0, 0, time.time()
    perm, perm_ep, t_epoch = None, -1, time.time()
    while step < total:
        ep, i = divmod(step, spe)
        if perm_ep != ep:
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed * 100003 + ep))
            perm_ep = ep
            t_epoch = time.time()
        idx = perm[i * args.batch:(i + 1) * args.batch]
        x0, y = x_all[idx], y_all[idx]
        b = len(x0)
        keep = (torch.rand(b) >= args.p_uncond).float()[:, None]
        y = y * keep
        noise = torch.randn_like(x0)
        if args.pred == "eps":
            ti = torch.randint(0, 1000, (b,))
            a = acp[ti][:, None, None, None]
            xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
            tin, target = ti.float(), noise
        else:
            s = torch.sigmoid(torch.randn(b))          # logit-normal(0, 1)
            sv = s[:, None, None, None]
            xt = (1 - sv) * x0 + sv * noise
            tin, target = s * 1000.0, noise - x0
        for gparam in opt.param_groups:
            gparam["lr"] = lr_at(step, total, args.lr, args.warmup)
        loss = F.mse_loss(model(xt, tin, y), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        step += 1
        loss_acc += loss.item()
        loss_n += 1
        if args.bench and step >= (args.bench + (ck["step"] if args.resume and "ck" in locals() else 0)):
            dt = (time.time() - t_start) / args.bench
            print(f"BENCH {dt:.3f} s/step -> {dt * spe / 60:.1f} min/epoch", flush=True)
            return
        if step % 50 == 0:
            el = wall_prev + time.time() - t_start
            print(f"step {step}/{total} ep {step / spe:.2f} loss {loss_acc / loss_n:.4f} "
                  f"lr {opt.param_groups[0]['lr']:.2e} {(time.time() - t_log) / loss_n:.3f}s/step "
                  f"wall {el:.0f}s", flush=True)
            loss_acc, loss_n, t_log = 0.0, 0, time.time()
        if step % spe == 0:
            print(f"EPOCH {step // spe} done, epoch time {time.time() - t_epoch:.0f}s", flush=True)
            checkpoint()
            last_ckpt = time.time()
        elif time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    print(f"DONE step {step} wall_total {wall_prev + time.time() - t_start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
