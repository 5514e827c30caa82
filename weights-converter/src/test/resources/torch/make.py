# The state dict of TorchCheckpointTest's two checkpoints, for a by-hand cross-check with PyTorch. The tests no longer
# read files PyTorch made: TorchCheckpointTest.viewsAndDtypes writes equivalent ones itself (the test writer
# TorchCheckpoints, zip and legacy formats) into target/torch-checkpoints/. PyTorch 1.13's own files (Debian's
# python3-torch) were committed until then and checked to read the same: the same pickles (up to memo opcodes) and
# the same storage bytes. Real PyTorch-made checkpoints stay covered by ../shared (simplevit-cifar10/pytorch/vit.pt,
# tinyvit-cifar10-custom-names/vit_model.pth).
#
#   python3 make.py                      writes PyTorch's views-and-dtypes.pt and views-and-dtypes-legacy.pt here
#   python3 make.py check FILE...        torch.load's each file (e.g. ../../../../target/torch-checkpoints/*.pt,
#                                        after the tests ran) and checks it holds exactly this state dict
import collections
import sys
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

if sys.argv[1:2] == ["check"]:
    for path in sys.argv[2:]:
        loaded = torch.load(path)
        assert list(loaded) == list(state), (path, list(loaded))
        for name, t in state.items():
            u = loaded[name]
            assert (u.dtype, u.shape, u.stride(), u.storage_offset()) == \
                (t.dtype, t.shape, t.stride(), t.storage_offset()), (path, name)
            assert torch.equal(u, t), (path, name)
        ptr = {name: loaded[name].storage().data_ptr() for name in ("w", "wt", "row")}
        assert len(set(ptr.values())) == 1, (path, "w, wt and row do not share one storage", ptr)
        print("ok", path)
else:
    torch.save(state, "views-and-dtypes.pt")
    torch.save(state, "views-and-dtypes-legacy.pt", _use_new_zipfile_serialization=False)
