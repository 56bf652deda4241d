#!/usr/bin/env bash
# VRG on a built-in model: the error curve, VRG-fitted lists for euler, dpmpp_2m, deis and ipndm at 5, 10 and
# 20 steps from Karras, and a comparison of each fitted list against its base (CFG 3, 100 images per class =
# 1,000 per configuration, seed 0), as in docs/vrg.md. Run from the repository root:
#   bash tools/vrg/evidence.sh fashion-eps        (about 15 minutes on the 2-core machine)
# Writes reports/vrg-<model>/ (curve, schedule files, one compare report per sampler and step count, table.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
model="${1:-fashion-eps}"
samplers="${SAMPLERS:-euler dpmpp_2m deis ipndm}"
steps="${STEPS:-5 10 20}"
radius="${RADIUS:-0.25}"      # optimize-schedule's default; RADIUS=inf for the unbounded search
out="reports/vrg-$model"
[ "$radius" = "0.25" ] || out="$out-r$radius"
mkdir -p "$out"
[ -f "$out/curve.json" ] || ./stepwise error-curve --model "$model" --no-progress -o "$out/curve.json"
for s in $samplers; do
  for n in $steps; do
    f="$out/vrg-$s-$n.json"
    ./stepwise optimize-schedule --method vrg --model "$model" --curve "$out/curve.json" --sampler "$s" \
      --steps "$n" --from karras --radius "$radius" -o "$f"
    cat > "$out/plan-$s-$n.yaml" <<PLAN
name: vrg $s $n steps on $model
model: $model
samplers: [$s]
schedulers: [karras, "file:vrg-$s-$n.json"]
steps: [$n]
cfg: 3
prompts: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot]
seeds: [0]
batch: 100
reference: false
PLAN
    ./stepwise compare "$out/plan-$s-$n.yaml" --no-progress --force --out "$out/report-$s-$n" | tail -n 1
  done
done
