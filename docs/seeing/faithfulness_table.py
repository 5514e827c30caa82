#!/usr/bin/env python3
"""Mean AUC ± 95% CI (normal, over images) per method and metric from `vit faithfulness`'s faithfulness.csv.

    python3 docs/seeing/faithfulness_table.py DIR/faithfulness.csv"""
import csv
import math
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for r in csv.DictReader(open(sys.argv[1])):
    rows[(r["method"], r["metric"])].append(float(r["auc"]))
methods = sorted({m for m, _ in rows})
metrics = [m for m in ("deletion", "insertion", "road-morf", "road-lerf") if any(k[1] == m for k in rows)]
better = {"deletion": "↓", "insertion": "↑", "road-morf": "↓", "road-lerf": "↑"}
n = max(len(v) for v in rows.values())
print(f"| method ({n} images) | " + " | ".join(f"{m} {better[m]}" for m in metrics) + " |")
print("|---|" + "---|" * len(metrics))
key = metrics[0]
for method in sorted(methods, key=lambda m: statistics.mean(rows[(m, key)])):
    cells = []
    for metric in metrics:
        v = rows[(method, metric)]
        half = 1.96 * statistics.stdev(v) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
        cells.append(f"{statistics.mean(v):.3f} ± {half:.3f}")
    print(f"| {method} | " + " | ".join(cells) + " |")
