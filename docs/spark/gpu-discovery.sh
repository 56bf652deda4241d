#!/usr/bin/env bash
# Spark's GPU discovery script for `stepwise compare --engine spark` (spark.executor.resource.gpu.discoveryScript):
# prints the executor's GPUs as Spark's ResourceInformation JSON, {"name": "gpu", "addresses": ["0", "1"]}.
# The addresses are nvidia-smi's indices, which are the CUDA device ordinals ONNX Runtime opens (a task gets one).
# With CUDA_VISIBLE_DEVICES set, CUDA renumbers the visible devices from 0, so the script does too.
set -euo pipefail
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  n=$(tr ',' '\n' <<<"$CUDA_VISIBLE_DEVICES" | grep -c .)
  indices=$(seq 0 $((n - 1)))
else
  indices=$(nvidia-smi --query-gpu=index --format=csv,noheader)
fi
printf '{"name": "gpu", "addresses": [%s]}\n' "$(printf '"%s",' $indices | sed 's/,$//')"
