"""Issue 22, item 4: the PyTorch side of the S3D training profile (benchmarks/EvlBenchmarks s3d-profile is the .NET side).

torchvision's S3D (the same blocks as MLNetVideo's S3DNetwork: kylemin/S3D's layer sequence) at 1x3xTxSxS, train mode.
Each block of `features` runs forward and backward on the input it gets inside the network, timed separately (median
of --repeats after one warm-up), then the whole training step; then torch.profiler's table of one step by op type.
Prints the same "BLOCK" / "STEP" lines as the .NET side. Run with OMP_WAIT_POLICY=PASSIVE and the same thread count.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/python/s3d_profile.py --threads 1 --frames 16 --size 112
"""
import argparse
import time

import torch
import torch.nn.functional as F
from torchvision.models.video import s3d

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--frames", type=int, default=16)
parser.add_argument("--size", type=int, default=112)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--profile", action="store_true")
a = parser.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = s3d(num_classes=400)


class WindowAverage(torch.nn.Module):
    """MLNetVideo's head pooling: a temporal window of 2 over the whole remaining frame (the reference's (2,7,7) at 224^2)."""

    def forward(self, x):
        return F.avg_pool3d(x, kernel_size=(min(2, x.shape[2]), x.shape[3], x.shape[4]), stride=1)


model.avgpool = WindowAverage()
model.train()
print(f"torch {torch.__version__} threads {torch.get_num_threads()}, clip 1x3x{a.frames}x{a.size}^2")

x = torch.randn(1, 3, a.frames, a.size, a.size)
inp = x
total_f = total_b = 0.0
for i, block in enumerate(model.features):
    fw, bw = [], []
    for r in range(a.repeats + 1):
        leaf = inp.detach().requires_grad_(i > 0)
        t = time.perf_counter()
        y = block(leaf)
        f = time.perf_counter() - t
        g = torch.ones_like(y)
        t = time.perf_counter()
        y.backward(g)
        b = time.perf_counter() - t
        if r > 0:
            fw.append(f)
            bw.append(b)
        block.zero_grad(set_to_none=False)
    fw.sort()
    bw.sort()
    with torch.no_grad():
        nxt = block(inp.detach())
    print(f"BLOCK {i} {i} {type(block).__name__} {fw[len(fw) // 2]:.4f} {bw[len(bw) // 2]:.4f} {'x'.join(map(str, nxt.shape))}")
    total_f += fw[len(fw) // 2]
    total_b += bw[len(bw) // 2]
    inp = nxt
print(f"BLOCKS forward {total_f:.4f} backward {total_b:.4f}")

label = torch.tensor([3])
opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
steps = []
for r in range(a.repeats + 1):
    t = time.perf_counter()
    opt.zero_grad()
    F.cross_entropy(model(x), label).backward()
    opt.step()
    if r > 0:
        steps.append(time.perf_counter() - t)
steps.sort()
print(f"STEP {steps[len(steps) // 2]:.4f}")

if a.profile:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        opt.zero_grad()
        F.cross_entropy(model(x), label).backward()
        opt.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))
