"""The trajectory search of the released VRG code, re-implemented from its description, to compare optimisers.

Xu, Liu, Kong, arXiv 2510.21792, and the authors' `VRG` repository (schedule/vrg_scheduler.py,
schedule/vrg_alpha_model.py, main.py defaults): alpha_i = alpha_base_i + lp_i * tanh(o_i), where o is the
output of three bias-carrying linear layers (1000 -> 2000 -> 2000 -> N, float64, no activations) applied to a
constant input of 0.5; alpha_bar = cumprod(alpha), cleanest level first; loss = sum_i (sigma_i - sigma_{i-1})^2
MSE(alpha_bar_i) + lambda (alpha_bar_min - alpha_bar_min_orig)^2; SGD with momentum 0.9, lr 2e-4, 3000 epochs,
weight gradients squashed by tanh twice; the lowest loss seen at every 100th epoch is kept. Defaults as main.py:
lp 0.01, lambda 100.

The error curve here is analytic, so that the Java optimiser can be run on exactly the same objective: data
N(0, s^2) per value, denoiser that assumes std k s, whose eps-prediction MSE at VE sigma is
(sigma^2 s^2 + (k s)^4) / ((k s)^2 + sigma^2)^2.

Writes the JSON fixture read by VrgTest (stepwise-harness/src/test/resources/fit/released-vrg.json):
  /usr/bin/python3 tools/vrg/released_method.py --out stepwise-harness/src/test/resources/fit/released-vrg.json
"""
import argparse
import json
import math

import torch


def sd1_alphas_cumprod():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0)


def karras(n, sigma_min, sigma_max, rho=7.0):
    ramp = torch.linspace(0, 1, n, dtype=torch.float64)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return (hi + ramp * (lo - hi)) ** rho


def mse_eps(sigma2, s, k):
    sp2 = (k * s) ** 2
    return (sigma2 * s * s + sp2 * sp2) / (sp2 + sigma2) ** 2


def cpe(alpha_bar, s, k):
    """sum_i (sigma_i - sigma_{i-1})^2 MSE(alpha_bar_i), cleanest first, sigma_{-1} = 0."""
    sigma = ((1 - alpha_bar) / alpha_bar).sqrt()
    prev = torch.cat([torch.zeros(1, dtype=sigma.dtype), sigma[:-1]])
    return ((sigma - prev) ** 2 * mse_eps(sigma ** 2, s, k)).sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--s", type=float, default=0.5)
    ap.add_argument("--k", type=float, default=1.3)
    ap.add_argument("--lp", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--reg-lambda", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.manual_seed(a.seed)

    acp = sd1_alphas_cumprod()
    sig_all = ((1 - acp) / acp).sqrt()
    base_sigmas = karras(a.steps, float(sig_all[0]), float(sig_all[-1]))          # noisiest first
    ab_base = (1 / (1 + base_sigmas ** 2)).flip(0)                                # cleanest first
    alpha_base = torch.cat([ab_base[:1], ab_base[1:] / ab_base[:-1]])
    lp = torch.minimum(torch.minimum(torch.full_like(alpha_base, a.lp), 1 - alpha_base), alpha_base)

    layers = torch.nn.Sequential(torch.nn.Linear(1000, 2000, dtype=torch.float64),
                                 torch.nn.Linear(2000, 2000, dtype=torch.float64),
                                 torch.nn.Linear(2000, a.steps, dtype=torch.float64))
    seed_in = torch.full((1000,), 0.5, dtype=torch.float64)
    opt = torch.optim.SGD(layers.parameters(), lr=a.lr, momentum=0.9)
    ab_min_orig = float(ab_base[-1])

    def trajectory():
        alpha = alpha_base + lp * torch.tanh(layers(seed_in))
        return torch.cumprod(alpha, 0)

    best = None
    for epoch in range(1, a.epochs + 1):
        opt.zero_grad()
        ab = trajectory()
        c = cpe(ab, a.s, a.k)
        loss = c + a.reg_lambda * (ab[-1] - ab_min_orig) ** 2
        loss.backward()
        for layer in layers:
            layer.weight.grad = torch.tanh(torch.tanh(layer.weight.grad))
        opt.step()
        if epoch % 100 == 0 or epoch == a.epochs:
            if best is None or loss.item() < best[0]:
                best = (loss.item(), c.item(), ab.detach().clone(), epoch)
    loss, c, ab, epoch = best
    sig = ((1 - ab) / ab).sqrt().flip(0)
    res = {"what": "the released VRG search (re-implemented from its description, tools/vrg/released_method.py) "
                   "on an analytic error curve; Euler/DDIM objective on the SD1 schedule",
           "command": f"/usr/bin/python3 tools/vrg/released_method.py --steps {a.steps} --s {a.s} --k {a.k} "
                      f"--seed {a.seed} --out {a.out}",
           "curve": {"data_std": a.s, "assumed_std_factor": a.k},
           "settings": {"lp": a.lp, "lr": a.lr, "epochs": a.epochs, "reg_lambda": a.reg_lambda, "seed": a.seed},
           "base_sigmas": base_sigmas.tolist() + [0.0],
           "base_objective": cpe(ab_base, a.s, a.k).item(),
           "released_sigmas": sig.tolist() + [0.0],
           "released_objective": c, "released_loss": loss, "best_epoch": epoch}
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
    print(json.dumps({k: v for k, v in res.items() if "sigmas" not in k}, indent=2))


if __name__ == "__main__":
    main()
