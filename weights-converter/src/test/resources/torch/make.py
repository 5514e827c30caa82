# Makes the two fixtures of TorchCheckpointTest with PyTorch 1.13 (Debian's python3-torch): one state dict saved in
# torch.save's zip format and in its legacy format. Run from this folder: python3 make.py
import collections
import torch

base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
state = collections.OrderedDict([
    ("w", base),                                                      # float32 [3, 4]
    ("wt", base.t()),                                                 # the same storage, strides [1, 4]
    ("row", base[1]),                                                 # the same storage, offset 4
    ("h", torch.tensor([1.0, -2.0, 0.5, 65504.0], dtype=torch.float16)),
    ("b", torch.tensor([1.0, -3.0, 0.15625], dtype=torch.bfloat16)),
    ("d", torch.tensor([0.1, -1e-3], dtype=torch.float64)),
])
torch.save(state, "views-and-dtypes.pt")
torch.save(state, "views-and-dtypes-legacy.pt", _use_new_zipfile_serialization=False)
