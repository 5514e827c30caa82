#!/usr/bin/env python3
"""The tables of runs FP1-FP5 (docs/performance.md) from the files 2026-12-07-FP-runs.sh writes into OUTDIR.

    python3 docs/performance/fp_table.py OUTDIR [PEAK_GFLOPS]

Per round, medians of the measured JMH iterations (ms per op), ONNX Runtime's plain loop's median, and the ratios
within the round; ViT-B/16 is 35.13 GFLOP per image."""
import glob
import json
import os
import statistics
import sys

GFLOP = 35.13
out = sys.argv[1]
peak = float(sys.argv[2]) if len(sys.argv) > 2 else 537.0


def medians(path):
    """(benchmark method, frozen params) -> median of the measured iterations' scores."""
    result = {}
    for r in json.load(open(path)):
        raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        params = tuple(sorted((r.get("params") or {}).items()))
        result[(r["benchmark"].rsplit(".", 1)[1], params)] = statistics.median(raw)
    return result


def pick(table, method, **want):
    for (m, params), v in table.items():
        p = dict(params)
        if m == method and all(p.get(k) == str(v2) for k, v2 in want.items()):
            return v
    return None


plain = {}
for line in open(os.path.join(out, "FP1-plain.jsonl")):
    o = json.loads(line)
    plain.setdefault(o["batch"], []).append(o["median_ms"])

print("| round | batch | ORT plain loop | ORT JMH (own JVM) | JMH / plain | ORT in PeerBench (vit4j's JVM) | PeerBench / own JVM "
      "| vit4j every site | / ORT | % of peak | vit4j logits only | / ORT | logits with mlp_pre | fused / unfused |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for rnd in (1, 2):
    try:
        ort = medians(os.path.join(out, f"FP1-ort-{rnd}.json"))
        vit = medians(os.path.join(out, f"FP2-vit4j-{rnd}.json"))
        peer = medians(os.path.join(out, f"FP3-peerbench-{rnd}.json"))
    except FileNotFoundError:
        continue
    for b in (1, 8):
        o = pick(ort, "forward", batch=b)
        pl = plain[b][rnd - 1] if len(plain.get(b, [])) >= rnd else float("nan")
        pb = pick(peer, "onnxRuntime", batch=b)
        va = pick(vit, "forward", batch=b, keep="all")
        vl = pick(vit, "forward", batch=b, keep="logits")
        vm = pick(vit, "forward", batch=b, keep="mlpPre")
        gf = GFLOP * b / (va / 1000)
        print(f"| {rnd} | {b} | {pl:.1f} | {o:.1f} | {o / pl:.3f} | {pb:.1f} | {pb / o:.3f} | {va:.1f} | **{va / o:.3f}** "
              f"| {100 * gf / peak:.0f}% | {vl:.1f} | **{vl / o:.3f}** | {vm:.1f} | {vl / vm:.3f} |")

print("\nFP2, OpenMP's idle policy: vit4j every site kept, ms per op (and / PASSIVE, vit4j's default, same round)")
for rnd in (1, 2):
    try:
        base = medians(os.path.join(out, f"FP2-vit4j-{rnd}.json"))
    except FileNotFoundError:
        continue
    for variant in ("active", "spin"):
        path = os.path.join(out, f"FP2-vit4j-{variant}-{rnd}.json")
        if os.path.exists(path):
            t = medians(path)
            cells = []
            for b in (1, 8):
                v = pick(t, "forward", batch=b)
                p0 = pick(base, "forward", batch=b, keep="all")
                cells.append(f"batch {b}: {v:.1f} ({v / p0:.3f})")
            print(f"  round {rnd} {variant:6s} " + ", ".join(cells))

for which in ("after", "before"):
    path = os.path.join(out, f"FP5-trace-{which}.json")
    if not os.path.exists(path):
        continue
    t = medians(path)
    e = pick(t, "trace", mode="engine")
    a = pick(t, "trace", mode="atp")
    g = pick(t, "trace", mode="atp-ig4")
    atp = "" if a is None else f", atp {a:.0f} ms ({a / e:.3f})"
    print(f"\nFP5 ({which}): engine {e:.0f} ms{atp}, atp-ig4 {g:.0f} ms ({g / e:.3f})")

if os.path.exists(os.path.join(out, "FP5-backward.json")):
    t = medians(os.path.join(out, "FP5-backward.json"))
    for b in (1, 8):
        f = pick(t, "forward", batch=b)
        w = pick(t, "backward", batch=b)
        print(f"\nFP5 backward / forward, batch {b}: {w:.1f} / {f:.1f} = {w / f:.3f}")

if os.path.exists(os.path.join(out, "FP7-vit4j-clip.json")):
    ort = medians(os.path.join(out, "FP7-ort-clip.json"))
    vit = medians(os.path.join(out, "FP7-vit4j-clip.json"))
    for b in (1, 8):
        o = pick(ort, "forward", batch=b)
        va = pick(vit, "forward", batch=b, keep="all")
        vl = pick(vit, "forward", batch=b, keep="logits")
        print(f"\nFP7 CLIP ViT-B/16 batch {b}: ORT {o:.1f}, vit4j every site {va:.1f} ({va / o:.3f}), "
              f"output only {vl:.1f} ({vl / o:.3f})")

path = os.path.join(out, "FP4-neighbour.jsonl")
if os.path.exists(path):
    print("\nFP4: ONNX Runtime batch 1, plain loop, median ms (and the CPU ms of the threads older than its session "
          "during its 15 timed runs)")
    for line in open(path):
        o = json.loads(line)
        older = {k: v for k, v in o["cpu_ms_in_timed_runs"].items() if k != "onnxruntime's"}
        print(f"  {o['mode']:15s} {o['median_ms']:8.1f}  {older}")
