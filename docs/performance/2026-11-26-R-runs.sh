#!/bin/bash
# Issue 11, round 2 (oneDNN): the runs R1-R6 and the profiles P1, P2 of docs/performance/notebook.md, back to back
# on a quiet machine. From the repository root, after
#   ./mvnw -q -B package -DskipTests -Ppeers -pl vit-bench -am
# Usage: docs/performance/2026-11-26-R-runs.sh [OUT_DIR]     (default /tmp/vit4j-perf; about 25 minutes)
set -u
OUT=${1:-/tmp/vit4j-perf}; mkdir -p "$OUT"
JAR=vit-bench/target/benchmarks.jar
JMH="-wi 3 -w 4 -i 6 -r 4 -f 1"
log() { echo "$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$OUT/log.txt"; }
clean() { env -u OPENBLAS_CORETYPE -u OMP_WAIT_POLICY -u OMP_NUM_THREADS -u OPENBLAS_THREAD_TIMEOUT -u VIT4J_KEEP_OPENBLAS_CORETYPE "$@"; }
tuned() { (source ./nd4j-env.sh; "$@"); }
log "R1 tuned: ForwardBench vitB16, oneDNN and OpenBLAS"
tuned java -jar $JAR ForwardBench -p model=vitB16 -p batch=1,8 -p products=onednn,openblas $JMH -rf json -rff "$OUT/R1-forward.json"
log "R1 tuned: ONNX Runtime"
tuned java -jar $JAR 'PeerBench.onnxRuntime' -p batch=1,8 $JMH -rf json -rff "$OUT/R1-ort.json"
log "R2 nothing set"
clean java -jar $JAR ForwardBench -p model=vitB16 -p batch=1,8 $JMH -rf json -rff "$OUT/R2-unset.json"
log "R3 Haswell"
clean OPENBLAS_CORETYPE=Haswell java -jar $JAR ForwardBench -p model=vitB16 -p batch=1,8 $JMH -rf json -rff "$OUT/R3-haswell.json"
log "P1, P2 profiles"
tuned java -cp vit-bench/target/test-classes:$JAR io.github.vit4j.model.OpProfile vitB16 1 10 30 > "$OUT/P1-profile-b1.json"
tuned java -cp vit-bench/target/test-classes:$JAR io.github.vit4j.model.OpProfile vitB16 8 3 10 > "$OUT/P2-profile-b8.json"
log "R4 trace, restore"
tuned java -jar $JAR TraceBench -p model=deitTiny -p mode=engine,naive -wi 1 -i 3 -w 10 -r 15 -f 1 -rf json -rff "$OUT/R4-trace.json"
tuned java -jar $JAR RestoreCostBench -p layer=0,3,6,9,11 -wi 2 -i 4 -w 3 -r 3 -f 1 -rf json -rff "$OUT/R4-restore.json"
log "R5 repeat, ONNX Runtime first"
tuned java -jar $JAR 'PeerBench.onnxRuntime' -p batch=1,8 $JMH -rf json -rff "$OUT/R5-ort.json"
tuned java -jar $JAR ForwardBench -p model=vitB16 -p batch=1,8 $JMH -rf json -rff "$OUT/R5-forward.json"
log "R6 backward"
tuned java -jar $JAR BackwardBench -p batch=1,8 -wi 3 -i 6 -w 6 -r 6 -f 1 -rf json -rff "$OUT/R6-backward.json"
log done
