#!/usr/bin/env python3
"""torch's own time for the draw NoiseBench times: torch.randn of 65,536 float32 values (4 x 128 x 128) on one
CPU thread, from a seeded generator, as the best mean of several timed repeats (the same statistic JMH's
average-time mode approximates). Used by tools/bench/noise_vs_torch.sh to put both figures in one run's output.

    /usr/bin/python3 tools/bench/torch_randn_time.py [n] [repeats]
"""
import sys
import time

import torch


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4 * 128 * 128
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(42)
    out = torch.empty(n)
    for _ in range(calls):  # warm-up
        torch.randn(n, out=out, generator=g)
    means = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            torch.randn(n, out=out, generator=g)
        means.append((time.perf_counter() - t) / calls * 1e3)
    cap = [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l]
    print(f"torch {torch.__version__} ({', '.join(cap)}), 1 thread: torch.randn({n}) "
          f"{min(means):.4f} ms/op best of 5 x {calls} calls (all: {', '.join(f'{m:.4f}' for m in means)})")


if __name__ == "__main__":
    main()
