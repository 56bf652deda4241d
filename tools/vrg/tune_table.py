#!/usr/bin/env python3
"""Markdown matrices of a `stepwise tune` run's ranking for docs/vrg.md: one row per schedule, one column per
sampler, each cell "FD (adherence)", the best per column in bold. Reads OUT/tune.json.

    /usr/bin/python3 tools/vrg/tune_table.py reports/tune-eps-5/tune.json
"""
import json
import sys


def main(path):
    t = json.load(open(path))
    rows = t["ranking"]
    samplers = []
    schedules = []
    cell = {}
    for r in rows:
        s, sc = r["sampler"], r["schedule"]
        if s not in samplers:
            samplers.append(s)
        key = "vrg (own sampler)" if sc.startswith("vrg ") else sc
        if key not in schedules:
            schedules.append(key)
        cell[(key, s)] = r
    default = ["euler", "dpmpp_2m", "deis", "ipndm", "uni_pc"]
    samplers.sort(key=lambda s: (default.index(s) if s in default else len(default), s))
    order = [sc for sc in ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta",
                           "linear_quadratic", "kl_optimal", "ays sd1", "ays sdxl", "gits table", "gits fitted",
                           "vrg (own sampler)"] if sc in schedules]
    best = {s: min((r["value"] for (k, s2), r in cell.items() if s2 == s and r["value"] is not None), default=None)
            for s in samplers}
    print(f"{t['model']} at {t['nfe']} NFE, {t['figure']} (adherence):\n")
    print("| schedule | " + " | ".join(samplers) + " |")
    print("|---|" + "---|" * len(samplers))
    for sc in order:
        out = []
        for s in samplers:
            r = cell.get((sc, s))
            if r is None or r["value"] is None:
                out.append("–")
                continue
            v = f"{r['value']:.1f}" if r["value"] < 1000 else f"{r['value']:.0f}"
            if r["value"] == best[s]:
                v = f"**{v}**"
            a = f" ({100 * r['adherence']:.0f} %)" if r.get("adherence") is not None else ""
            out.append(v + a)
        print(f"| {sc} | " + " | ".join(out) + " |")
    w = rows[0]
    print(f"\nWinner: {w['sampler']} / {w['schedule']}, {w['value']:.1f} ({w['low']:.1f}-{w['high']:.1f}).", end="")
    if "baseline" in t:
        b = t["baseline"]
        print(f" Baseline {b['sampler']} / {b['schedule']} at its NFE: {b['value']:.1f} ({b['low']:.1f}-{b['high']:.1f});"
              f" winner within its interval: {'yes' if t['winner_within_baseline_interval'] else 'no'}.", end="")
    print()


if __name__ == "__main__":
    main(sys.argv[1])
