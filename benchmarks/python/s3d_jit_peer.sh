#!/bin/bash
# Issue 22 item 4 with the same libtorch, BLAS and threads: MLNetVideo's S3D against torchvision's S3D traced to TorchScript
# (by /usr/bin/python3's PyTorch 1.13) and run by TorchSharp's torch.jit.load in the same .NET process (libtorch 2.10).
# The traced archives are build artefacts under out/ (ignored by git). Build benchmarks/EvlBenchmarks first.
set -e
cd "$(dirname "$0")/../.."
export OMP_WAIT_POLICY=PASSIVE
T=${THREADS:-1}
R=${REPEATS:-7}
echo "load before: $(cat /proc/loadavg)"
for B in ${BATCHES:-1 2}; do
  [ -f out/s3d_train_b$B.pt ] || /usr/bin/python3 benchmarks/python/s3d_torchscript.py --batch $B --frames 16 --size 112 --out out/s3d_train_b$B.pt
  echo "== batch $B"
  benchmarks/EvlBenchmarks/bin/Release/net10.0/EvlBenchmarks s3d-jit-peer --jit out/s3d_train_b$B.pt --threads $T --batch $B --frames 16 --size 112 --repeats $R $EXTRA
done
echo "load after: $(cat /proc/loadavg)"
