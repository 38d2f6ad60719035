#!/bin/bash
# Issue 22 item 4: .NET and PyTorch S3D block profiles, interleaved, same threads, OMP passive.
cd "$(dirname "$0")/../.."
export OMP_WAIT_POLICY=PASSIVE
T=${THREADS:-1}
echo "load before: $(cat /proc/loadavg)"
for r in 1 2; do
  echo "== dotnet $r"; benchmarks/EvlBenchmarks/bin/Release/net10.0/EvlBenchmarks s3d-profile --threads $T --frames 16 --size 112 --repeats 2
  echo "== python $r"; OMP_NUM_THREADS=$T /usr/bin/python3 benchmarks/python/s3d_profile.py --threads $T --frames 16 --size 112 --repeats 2 $([ $r = 2 ] && echo --profile)
done
echo "load after: $(cat /proc/loadavg)"
