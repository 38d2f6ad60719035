"""Issue 22, item 4: a TorchScript S3D for the same-libtorch peer (benchmarks/EvlBenchmarks s3d-jit-peer).

Traces torchvision's S3D (the same layers, in the same order, as MLNetVideo's S3DNetwork) in train mode at one clip
size and saves the archive. The .NET benchmark loads it with TorchSharp's torch.jit.load — so the peer runs on the very
libtorch 2.10 (same oneDNN/BLAS, same threads) as MLNetVideo's network — copies the same weights into S3DNetwork and
times a training step of both. The archive is a build artefact (under out/, ignored by git), never committed.

    /usr/bin/python3 benchmarks/python/s3d_torchscript.py --batch 2 --frames 16 --size 112 --out out/s3d_train_b2.pt

Traced, not scripted: the training-mode batch norm and dropout are recorded as such, and the head's pooling window is
fixed by the traced clip size (run the .NET side at the same size and batch).
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torchvision.models.video import s3d

parser = argparse.ArgumentParser()
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--frames", type=int, default=16)
parser.add_argument("--size", type=int, default=112)
parser.add_argument("--out", default="out/s3d_train.pt")
a = parser.parse_args()


class WindowAverage(torch.nn.Module):
    """MLNetVideo's head pooling: a temporal window of 2 over the whole remaining frame (the reference's (2,7,7) at 224^2)."""

    def forward(self, x):
        return F.avg_pool3d(x, kernel_size=(min(2, x.shape[2]), x.shape[3], x.shape[4]), stride=1)


torch.manual_seed(1)
model = s3d(num_classes=400)
model.avgpool = WindowAverage()
model.train()
example = torch.randn(a.batch, 3, a.frames, a.size, a.size)
# check_trace would rerun the module and compare outputs, which differ in train mode (dropout).
traced = torch.jit.trace(model, example, check_trace=False)
os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
traced.save(a.out)
params = list(traced.named_parameters())
print(f"torch {torch.__version__}: traced S3D train mode, clip {a.batch}x3x{a.frames}x{a.size}^2, "
      f"{len(params)} parameters, {len(list(traced.named_buffers()))} buffers -> {a.out}")
