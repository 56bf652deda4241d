"""The table of docs/vrg.md from the reports of tools/vrg/evidence.sh:
  /usr/bin/python3 tools/vrg/table.py reports/vrg-fashion-eps"""
import csv
import glob
import json
import os
import sys



def interval(r):
    lo, hi = r.get("frechet_low") or "", r.get("frechet_high") or ""
    return f" ({float(lo):.1f}-{float(hi):.1f})" if lo and hi else ""


root = sys.argv[1]
print("| sampler | steps | schedule | accumulated variance | adherence | FD (1,000 images; 95 % interval) |")
print("|---|---|---|---|---|---|")
for report in sorted(glob.glob(os.path.join(root, "report-*")),
                     key=lambda p: (p.rsplit("-", 2)[-2], int(p.rsplit("-", 1)[-1]))):
    sampler, steps = os.path.basename(report)[len("report-"):].rsplit("-", 1)
    if not os.path.exists(os.path.join(report, "summary.csv")):
        continue
    fit = json.load(open(os.path.join(root, f"vrg-{sampler}-{steps}.json")))["details"]
    rows = {r["scheduler"]: r for r in csv.DictReader(open(os.path.join(report, "summary.csv")))}
    for name, objective in (("karras", fit["objective_before"]), (f"file:vrg-{sampler}-{steps}.json", fit["objective_after"])):
        r = rows[name]
        label = "karras" if name == "karras" else "VRG from karras"
        print(f"| {sampler} | {steps} | {label} | {objective:.4f} | {float(r['adherence']) * 100:.1f} % | {float(r['frechet']):.1f}{interval(r)} |")
