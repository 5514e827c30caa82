#!/usr/bin/env bash
# Run S (2026-12-07, issue 19): ViT-B/16 forward and backward before and after the kernels moved into their own
# package (KernelSet, PlainOps / OneDnnOps / OpenBlasOps) and Backward's bookkeeping into BackwardRun, alternately,
# two rounds, in one window. BEFORE and AFTER are vit-bench jars built with
#   ./mvnw -B package -pl vit-bench -am -DskipTests
# at the commit before issue 19 (11d258b) and after it; copy each vit-bench/target/benchmarks.jar away first.
set -euo pipefail
BEFORE=${1:?usage: $0 BEFORE.jar AFTER.jar OUTDIR}; AFTER=${2:?}; OUT=${3:?}
mkdir -p "$OUT"
source "$(dirname "$0")/../../nd4j-env.sh"
for round in 1 2; do
  for which in before after; do
    jar=$BEFORE; [ "$which" = after ] && jar=$AFTER
    java -jar "$jar" 'ForwardBench.forward|BackwardBench' -p model=vitB16 -p batch=1,8 \
      -wi 2 -i 5 -w 3 -r 3 -f 1 -rf json -rff "$OUT/2026-12-07-S-$which-$round.json"
  done
done
