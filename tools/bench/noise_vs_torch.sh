#!/bin/sh
# torch's CPU randn and Stepwise's TorchGenerator, timed back to back in one run on the same machine:
# torch.randn(65536) on one thread (tools/bench/torch_randn_time.py, Debian's python3-torch), then NoiseBench (JMH).
# Build the benchmark jar first: ./mvnw -q -B -ntp -pl stepwise-bench -am package -DskipTests
# Extra arguments go to JMH, e.g. -wi 3 -i 5. Uses the java on PATH (JDK 21 or later).
set -e
cd "$(dirname "$0")/../.."
jar=stepwise-bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "noise_vs_torch.sh: $jar is missing; build it with ./mvnw -q -B -ntp -pl stepwise-bench -am package -DskipTests" >&2; exit 2; }
echo "== torch"
/usr/bin/python3 tools/bench/torch_randn_time.py
echo "== Stepwise (JMH NoiseBench, one thread)"
java -jar "$jar" NoiseBench -f 1 "$@" 2>&1 | grep -E '^(Benchmark|NoiseBench)'
echo "== torch again"
/usr/bin/python3 tools/bench/torch_randn_time.py
