"""Prints the expected table of NonSquarePositionsGoldenTest (not run by the build).

Hugging Face's Dinov2Embeddings.interpolate_pos_encoding (transformers 4.51), re-implemented in float64 on
dinov2-tiny's position embeddings (37 x 37 grid, patch 14): the patch rows reshaped to [1, D, 37, 37] and
resized with torch.nn.functional.interpolate(size=(height // 14, width // 14), mode="bicubic",
align_corners=False, antialias=...) -- antialias=False for DINOv2, True for DINOv2 with registers.
HF runs the call in float32; float64 here gives the exact values that vit4j (double, rounded to float32) targets.

    /usr/bin/python3 weights-converter/src/test/python/nonsquare_positions.py ../shared/models/families/dinov2-tiny
(torch 1.13, Debian's python3-torch)
"""
import json
import struct
import sys

import torch


def tensor(folder, name):
    with open(folder + "/model.safetensors", "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        entry = header[name]
        assert entry["dtype"] == "F32", entry
        start, end = entry["data_offsets"]
        f.seek(8 + n + start)
        raw = f.read(end - start)
    values = struct.unpack("<%df" % (len(raw) // 4), raw)
    return torch.tensor(values, dtype=torch.float64).reshape(entry["shape"])


def interpolate(table, patch, height, width, antialias):
    positions = table.shape[1] - 1
    side = int(positions ** 0.5)
    dim = table.shape[-1]
    grid = table[:, 1:].reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = torch.nn.functional.interpolate(grid, size=(height // patch, width // patch), mode="bicubic",
                                           align_corners=False, antialias=antialias)
    return grid.permute(0, 2, 3, 1).reshape(-1, dim)          # [gh * gw, D], row-major


table = tensor(sys.argv[1], "dinov2.embeddings.position_embeddings")   # [1, 1 + 37 * 37, 64]
CELLS = [(0, 0), (0, 11), (15, 0), (15, 11), (7, 5), (3, 9)]
CHANNELS = range(6)
for height, width, antialias in [(224, 168, False), (224, 168, True), (588, 224, False)]:
    gw = width // 14
    grid = interpolate(table, 14, height, width, antialias)
    print("// %dx%d antialias=%s: grid %dx%d, cells %s, channels 0..5" % (height, width, antialias,
                                                                         height // 14, gw, CELLS, ))
    for y, x in CELLS:
        row = grid[y * gw + x]
        print("{" + ", ".join("%.8ef" % row[c].item() for c in CHANNELS) + "},")
