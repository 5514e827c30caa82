#!/usr/bin/env bash
# Runs FP1–FP6 (issue 21, the fair peer): ONNX Runtime alone in its own JVM against vit4j, in one window.
#   docs/performance/2026-12-07-FP-runs.sh OUTDIR [BEFORE.jar]
# From the repository root, after
#   ./mvnw -B -q package -pl vit-bench,vit-bench-ort,vit-cli -am -DskipTests -Ppeers
# BEFORE.jar (optional): a vit-bench jar built the same way at the commit before issue 21 (e28a716), for the
# before/after rows of attribution patching (FP5). FP_JMH overrides the JMH settings (e.g. "-wi 0 -i 1 -r 1 -f 1"
# for a dry run; FP_TRACE_JMH and FP_PROFILE ("WARMUP MEASURED") likewise for FP5 and FP6, FP_PLAIN
# ("WARMUP MEASURED") for the plain loop). Prints the load average before each step into OUTDIR/log.txt: read a step whose load is above ~2.5
# as contended (the benchmark's own two threads make 2).
set -euo pipefail
OUT=${1:?usage: $0 OUTDIR [BEFORE.jar]}; BEFORE=${2:-}
mkdir -p "$OUT"
source "$(dirname "$0")/../../nd4j-env.sh"
J=${FP_BENCH_JAR:-vit-bench/target/benchmarks.jar}
O=${FP_ORT_JAR:-vit-bench-ort/target/ort-benchmarks.jar}
T=${FP_TEST_CLASSES:-vit-bench/target/test-classes}
JMH=${FP_JMH:-"-wi 2 -w 3 -i 5 -r 3 -f 1"}
TRACE_JMH=${FP_TRACE_JMH:-"-wi 1 -w 10 -i 3 -r 10 -f 1"}
PROFILE=${FP_PROFILE:-"5 15"}
PLAIN=${FP_PLAIN:-"10 30"}
log() { echo "$(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$OUT/log.txt"; }

# The machine's FMA peak in this window (the "% of peak" of the forward)
log "FP0 FMA peak"
gcc -O2 -mavx512f -fopenmp -o "$OUT/fma_peak" vit-bench/peak/fma_peak.c
OMP_NUM_THREADS=2 OMP_PROC_BIND=close "$OUT/fma_peak" > "$OUT/FP0-fma-peak.txt"

# The peer's model: the benchmarks' seeded ViT-B/16, written by vit export --onnx as a user would
log "export"
java -cp $J io.github.vit4j.bench.BenchModels vitB16 "$OUT/vitb16.vit"
./vit export --onnx "$OUT/vitb16.vit" "$OUT/vitb16.onnx"

for round in 1 2; do
  # FP1: ONNX Runtime's own plain timing (a loop and System.nanoTime, its own JVM), then under JMH (its own JVM)
  for b in 1 8; do
    log "FP1 plain ONNX Runtime, batch $b, round $round"
    java -cp $O io.github.vit4j.bench.ort.PlainTiming "$OUT/vitb16.onnx" $b 2 $PLAIN >> "$OUT/FP1-plain.jsonl"
  done
  log "FP1 OrtBench, round $round"
  java -jar $O OrtBench -p onnx="$OUT/vitb16.onnx" -p batch=1,8 $JMH -rf json -rff "$OUT/FP1-ort-$round.json"
  # FP2: vit4j, every site kept, the logits alone, and the logits with mlp_pre (fc1 and GELU unfused)
  log "FP2 ForwardBench, round $round"
  java -jar $J ForwardBench -p model=vitB16 -p batch=1,8 -p keep=all,logits,mlpPre $JMH \
    -rf json -rff "$OUT/FP2-vit4j-$round.json"
  [ "$round" = 2 ] || {
  # FP2, the idle policy: OpenMP's idle threads spinning (OMP_WAIT_POLICY=ACTIVE) instead of sleeping at once
  # (PASSIVE, vit4j's default), and spinning 20 000 rounds (tens of µs) before they sleep (GOMP_SPINCOUNT)
  log "FP2 ForwardBench, OMP_WAIT_POLICY=ACTIVE, round $round"
  OMP_WAIT_POLICY=ACTIVE java -jar $J ForwardBench -p model=vitB16 -p batch=1,8 -p keep=all $JMH \
    -rf json -rff "$OUT/FP2-vit4j-active-$round.json"
  log "FP2 ForwardBench, GOMP_SPINCOUNT=20000, round $round"
  GOMP_SPINCOUNT=20000 java -jar $J ForwardBench -p model=vitB16 -p batch=1,8 -p keep=all $JMH \
    -rf json -rff "$OUT/FP2-vit4j-spin-$round.json"
  }
  # FP3: the peer as PeerBench times it, in a JVM with vit4j and ND4J loaded (the old, handicapped figure)
  log "FP3 PeerBench.onnxRuntime, round $round"
  java -jar $J 'PeerBench.onnxRuntime' -p batch=1,8 $JMH -rf json -rff "$OUT/FP3-peerbench-$round.json"
done

# FP4: does vit4j slow other native code in its JVM? ONNX Runtime alone, beside an idle vit4j, and right after each
# vit4j forward; then the same with OpenMP's threads left spinning (OMP_WAIT_POLICY=ACTIVE) to show the mechanism
for round in 1 2; do
  for mode in alone loaded between; do
    log "FP4 NeighbourCheck $mode, round $round"
    java -Xmx4g -cp $J io.github.vit4j.bench.peers.NeighbourCheck $mode "$OUT/vitb16.onnx" 1 5 15 >> "$OUT/FP4-neighbour.jsonl"
  done
  log "FP4 NeighbourCheck between, OMP_WAIT_POLICY=ACTIVE, round $round"
  OMP_WAIT_POLICY=ACTIVE java -Xmx4g -cp $J io.github.vit4j.bench.peers.NeighbourCheck between "$OUT/vitb16.onnx" 1 5 15 \
    | sed 's/"mode":"between"/"mode":"between-active"/' >> "$OUT/FP4-neighbour.jsonl"
done

# FP5: one image's ViT-B/16 trace, window 1: the exact engine, attribution patching, atp-ig with 4 steps
for which in after before; do
  jar=$J; modes=engine,atp,atp-ig4
  [ "$which" = before ] && { jar=$BEFORE; modes=engine,atp-ig4; }
  [ -z "$jar" ] && continue
  log "FP5 TraceBench ($which)"
  java -jar "$jar" TraceBench -p model=vitB16 -p mode=$modes -p window=1 $TRACE_JMH \
    -rf json -rff "$OUT/FP5-trace-$which.json"
done

# FP7: a family, CLIP ViT-B/16's image tower (quick GELU), against the same fair peer
java -cp $J io.github.vit4j.bench.BenchModels clipB16 "$OUT/clipb16.vit"
./vit export --onnx "$OUT/clipb16.vit" "$OUT/clipb16.onnx" > /dev/null
log "FP7 OrtBench CLIP"
java -jar $O OrtBench -p onnx="$OUT/clipb16.onnx" -p batch=1,8 $JMH -rf json -rff "$OUT/FP7-ort-clip.json"
log "FP7 ForwardBench CLIP"
java -jar $J ForwardBench -p model=clipB16 -p batch=1,8 -p keep=all,logits $JMH -rf json -rff "$OUT/FP7-vit4j-clip.json"

# FP5: the backward against the forward it needs (the heads' merge in the backward is a oneDNN reorder now)
log "FP5 BackwardBench"
java -jar $J BackwardBench -p batch=1,8 $JMH -rf json -rff "$OUT/FP5-backward.json"

# FP6: where the time of the every-site forward goes, op by op, batch 1 and 8
for b in 1 8; do
  log "FP6 OpProfile batch $b"
  java -cp $T:$J io.github.vit4j.model.kernels.OpProfile vitB16 $b $PROFILE > "$OUT/FP6-profile-b$b.json"
done
log "done"
